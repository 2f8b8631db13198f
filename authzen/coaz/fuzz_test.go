// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
)

// FuzzDeclaredMapping feeds arbitrary declarations and arguments through
// ObserveTools and Map: nothing panics, and whatever is allowed to reach the
// PDP names the token's subject, with a subject nowhere else.
func FuzzDeclaredMapping(f *testing.F) {
	f.Add(`{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.id"}}}`, `{"id":"1"}`)
	f.Add(`{"evaluations":{"subject":{"id":"$token.sub"},"evaluations":[{"action":{"name":"$params.arguments.a"},"resource":{"type":"t","id":"x"}}]}}`, `{"a":"b"}`)
	f.Add(`{"evaluation":{"subject":{"id":"$params.arguments.u"},"action":{"name":"r"},"resource":{"type":"t","id":"x"}}}`, `{"u":"alice@example.com"}`)
	f.Add(`{"evaluation":{"action":{"name":"$params.arguments.n > 1 ? 'a' : 'b'"},"resource":"$params.arguments.r"}}`, `{"n":2,"r":{"type":"t","id":"i"}}`)
	f.Add(`{"evaluation":{"action":{"name":"$$x"},"resource":{"type":"t","id":"$token.?nope"}}}`, `{}`)
	f.Add(`{"evaluation":{"action":{"name":"$params.size() > 1 ? params.name : 'x'"},"resource":{"type":"t","id":"$string(params.arguments.?id.orValue(0))"},"context":{"keys":"$params.arguments.map(k, k)"}}}`, `{"id":"1","z":[1,{"a":null}]}`)
	f.Add(`{"evaluation":{"action":{"name":"$token.roles.exists(r, r == 'x') ? 'a' : 'b'"},"resource":{"type":"t","id":"$params.arguments.s + token.sub"}}}`, `{"s":"é"}`)
	f.Fuzz(func(t *testing.T, mapping, args string) {
		m := newMapping(t, nil, "")
		tool := json.RawMessage(`{"name":"t","inputSchema":{"type":"object","x-authzen-mapping":` + mapping + `}}`)
		m.ObserveTools(httptest.NewRequest("POST", "/mcp", nil), []json.RawMessage{tool})
		var argMap map[string]any
		d := json.NewDecoder(strings.NewReader(args))
		d.UseNumber()
		if d.Decode(&argMap) != nil {
			return
		}
		params, _ := json.Marshal(map[string]any{"name": "t", "arguments": argMap})
		r := &mcpauth.Request{Method: "tools/call", Name: "t", Params: params, Arguments: argMap, Identity: identity(exampleClaims())}
		c, ok, err := m.Map(context.Background(), r)
		if err != nil || !ok {
			return
		}
		req := c.Context[mcpauth.ContextAuthZENRequest].(*authzen.Request)
		if req.Subject == nil || req.Subject.ID != "alice@example.com" || c.User.Key != "alice@example.com" {
			t.Fatalf("subject %+v passed", req.Subject)
		}
		for _, e := range req.Evaluations {
			if e.Subject != nil {
				t.Fatalf("an entry carries a subject: %+v", e.Subject)
			}
		}
		if _, err := req.Effective(); err != nil {
			t.Fatalf("an incomplete request passed: %v", err)
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("the request cannot be sent: %v", err)
		}
	})
}
