// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// BenchmarkMap measures one mapping of a tools/call, from the decoded
// request to the check carrying its AuthZEN request: the middleware's
// built-in (Permit-shaped) mapping as the baseline, the binding's default
// tools/call mapping, the binding's declared example mappings, and a
// resources/read by the default mapping and by the built-in one.
func BenchmarkMap(b *testing.B) {
	m := newMapping(b, nil, exampleTools)
	claims := exampleClaims()
	claims["roles"] = []any{"staff", "treasury"}
	id := identity(claims)
	builtin := mcpauth.DefaultMapping(nil)
	cases := []struct {
		name, params string
		mapping      mcpauth.MappingFunc
	}{
		{"builtin", `{"name":"get_customer","arguments":{"id":"cust-12345","case":"case-67890"}}`, builtin},
		{"default_tools_call", `{"name":"get_local_weather","arguments":{"zip":"94110"}}`, m.Map},
		{"declared_single", `{"name":"get_customer","arguments":{"id":"cust-12345","case":"case-67890"}}`, m.Map},
		{"declared_multi", `{"name":"copy_object","arguments":{"source":"/bucket/reports/q1.pdf","destination":"/bucket/archive/q1.pdf"}}`, m.Map},
		{"declared_conditional", `{"name":"transfer_funds","arguments":{"from_account":"acc-1","to_account":"acc-2","amount":15000,"currency":"USD"}}`, m.Map},
		{"default_resources_read", `{"uri":"file:///reports/q1.pdf","_meta":{"progressToken":"p-1"}}`, m.Map},
		{"builtin_resources_read", `{"uri":"file:///reports/q1.pdf","_meta":{"progressToken":"p-1"}}`, builtin},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var p struct {
				Name      string         `json:"name"`
				URI       string         `json:"uri"`
				Arguments map[string]any `json:"arguments"`
			}
			if err := json.Unmarshal([]byte(tc.params), &p); err != nil {
				b.Fatal(err)
			}
			method := "tools/call"
			if p.URI != "" {
				method = "resources/read"
			}
			r := &mcpauth.Request{Method: method, Name: p.Name, URI: p.URI, Params: json.RawMessage(tc.params),
				Arguments: p.Arguments, Identity: id, Tenant: "default"}
			ctx := context.Background()
			if _, ok, err := tc.mapping(ctx, r); err != nil || !ok {
				b.Fatal(ok, err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := tc.mapping(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkServeCached is the whole warm path of a tools/call through the
// middleware, the decision cached: the built-in mapping against the COAZ
// mapping with the tool's declared mapping (whose AuthZEN request the cache
// key covers).
func BenchmarkServeCached(b *testing.B) {
	claims := exampleClaims()
	ident := mcpauth.FuncIdentity(func(*http.Request) (*mcpauth.Identity, error) {
		return identity(claims), nil
	})
	allow := mcpauth.AuthorizerFunc(func(context.Context, mcpauth.Check) (bool, error) { return true, nil })
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_customer","arguments":{"id":"cust-12345","case":"case-67890"}}}`)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`))
	})
	for _, name := range []string{"builtin", "coaz_declared"} {
		b.Run(name, func(b *testing.B) {
			opts := &mcpauth.Options{Identity: ident}
			if name == "coaz_declared" {
				newMapping(b, nil, exampleTools).Configure(opts)
			}
			mw, err := mcpauth.New(allow, opts)
			if err != nil {
				b.Fatal(err)
			}
			h := mw.Handler(next)
			serve := func() int {
				r := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code
			}
			if serve() != 200 || mw.Stats().PDPCalls != 1 {
				b.Fatalf("warm-up: %+v", mw.Stats())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serve()
			}
			b.StopTimer()
			if s := mw.Stats(); s.PDPCalls != 1 {
				b.Fatalf("got %d decision point calls, want 1", s.PDPCalls)
			}
		})
	}
}
