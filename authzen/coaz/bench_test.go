// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// BenchmarkMap measures one mapping of a tools/call, from the decoded
// request to the check carrying its AuthZEN request: the middleware's
// built-in (Permit-shaped) mapping as the baseline, the binding's default
// tools/call mapping, and the binding's declared example mappings.
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
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var p struct {
				Name      string         `json:"name"`
				Arguments map[string]any `json:"arguments"`
			}
			if err := json.Unmarshal([]byte(tc.params), &p); err != nil {
				b.Fatal(err)
			}
			r := &mcpauth.Request{Method: "tools/call", Name: p.Name, Params: json.RawMessage(tc.params),
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
