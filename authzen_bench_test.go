// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"testing"

	"github.com/mcpauth/mcpauth/internal/authzentest"
	"github.com/mcpauth/mcpauth/internal/permittest"
)

// BenchmarkCachedDecision serves a tools/call whose decision is cached,
// behind the middleware asking a Permit PDP or an AuthZEN PDP (both
// loopback doubles): a cache hit never reaches the authorizer, so the two
// should cost the same.
func BenchmarkCachedDecision(b *testing.B) {
	h := trivialMCP{resp: []byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Hello, Ada!"}]}}`)}
	permitPDP := permittest.Start(permittest.WithoutRecording(), permittest.WithPolicy(func(permittest.Check) bool { return true }))
	defer permitPDP.Close()
	azPDP := authzentest.Start(authzentest.WithoutRecording(), authzentest.WithPolicy(func(authzentest.Evaluation) bool { return true }))
	defer azPDP.Close()
	permit, err := NewPermit(&PermitOptions{PDPURL: permitPDP.URL, APIKey: permitPDP.APIKey})
	if err != nil {
		b.Fatal(err)
	}
	az, err := NewAuthZEN(&AuthZENOptions{PDPURL: azPDP.PDP})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		authz Authorizer
	}{{"permit", permit}, {"authzen", az}} {
		b.Run(tc.name, func(b *testing.B) {
			m, err := New(tc.authz, nil)
			if err != nil {
				b.Fatal(err)
			}
			benchServe(b, m.Handler(h), toolCallBody(100))
			if s := m.Stats(); s.PDPCalls != 1 {
				b.Fatalf("got %d PDP calls, want 1 (the warm-up)", s.PDPCalls)
			}
		})
	}
}

// BenchmarkAuthZENAllowed is one uncached Access Evaluation over loopback
// HTTP, to compare with BenchmarkPermitAllowed.
func BenchmarkAuthZENAllowed(b *testing.B) {
	pdp := authzentest.Start(authzentest.WithoutRecording(), authzentest.WithPolicy(func(authzentest.Evaluation) bool { return true }))
	defer pdp.Close()
	az, err := NewAuthZEN(&AuthZENOptions{PDPURL: pdp.PDP})
	if err != nil {
		b.Fatal(err)
	}
	c := baseCheck()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ok, err := az.Allowed(context.Background(), c); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
