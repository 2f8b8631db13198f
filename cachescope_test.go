// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrivateCacheControl(t *testing.T) {
	tt := []struct {
		name string
		in   []string
		want string
	}{
		{"none", nil, "private"},
		{"go-sdk", []string{"no-cache, no-transform"}, "no-cache, no-transform, private"},
		{"public", []string{"public, max-age=60"}, "max-age=60, private"},
		{"shared-cache directives", []string{"Public, s-maxage=600, proxy-revalidate, must-revalidate"}, "must-revalidate, private"},
		{"field-limited private", []string{`private="Set-Cookie, X-A", max-age=5`}, "max-age=5, private"},
		{"quoted comma kept", []string{`no-cache="a, b", public`}, `no-cache="a, b", private`},
		{"no-store", []string{"no-store"}, "no-store, private"},
		{"several values", []string{"public", "max-age=1,,  immutable "}, "max-age=1, immutable, private"},
		{"already private", []string{"private, max-age=3"}, "max-age=3, private"},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			if got := privateCacheControl(tc.in); got != tc.want {
				t.Errorf("privateCacheControl(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPrivateHeadersVary(t *testing.T) {
	tt := []struct {
		name string
		opts Options
		vary []string // existing Vary values
		want []string
	}{
		{"fixed identity", Options{}, nil, nil},
		{"header identity", Options{Identity: HeaderIdentity("x-user", "")}, nil, []string{"X-User"}},
		{"jwt identity, default header", Options{Identity: JWTIdentity(JWTOptions{})}, []string{"Accept"}, []string{"Accept", "Authorization"}},
		{"already there", Options{Identity: HeaderIdentity("X-User", "")}, []string{"accept, x-user"}, []string{"accept, x-user"}},
		{"star", Options{Identity: HeaderIdentity("X-User", "")}, []string{"*"}, []string{"*"}},
		{"tenant header", Options{Identity: ContextIdentity(), Tenant: TenantOptions{Header: "X-Tenant"}}, nil, []string{"X-Tenant"}},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			m := &Middleware{opts: tc.opts}
			h := http.Header{"Cache-Control": {"public"}}
			if tc.vary != nil {
				h["Vary"] = tc.vary
			}
			m.privateHeaders(h)
			if diff := cmp.Diff(tc.want, h.Values("Vary")); diff != "" {
				t.Errorf("Vary (-want +got):\n%s", diff)
			}
			if got := h.Get("Cache-Control"); got != "private" {
				t.Errorf("Cache-Control = %q, want private", got)
			}
		})
	}
}

func TestListFilterCacheScope(t *testing.T) {
	tt := []struct {
		name, result, want string
	}{
		{"go-sdk", `{"ttlMs":5000,"cacheScope":"public","tools":[{"name":"greet"},{"name":"delete_all"}]}`,
			`{"ttlMs":5000,"cacheScope":"private","tools":[{"name":"greet"}]}`},
		{"absent", `{"tools":[{"name":"greet"}]}`,
			`{"cacheScope":"private","tools":[{"name":"greet"}]}`},
		{"after the list", `{"tools":[{"name":"delete_all"},{"name":"greet"}],"cacheScope":"public"}`,
			`{"tools":[{"name":"greet"}],"cacheScope":"private"}`},
		{"case variants, any value", `{"CacheScope":"public","tools":[],"cacheScope":null,"cacheſcope":{"a":1}}`,
			`{"CacheScope":"private","tools":[],"cacheScope":"private","cacheſcope":"private"}`},
		{"already private", ` { "cacheScope" : "private" , "tools" : [ ] } `,
			` { "cacheScope" : "private" , "tools" : [ ] } `},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(&recorder{allow: func(c Check) bool { return c.Action == "greet" }}, nil)
			if err != nil {
				t.Fatal(err)
			}
			body := `{"jsonrpc":"2.0","id":4,"result":` + tc.result + `}`
			h := &listHandler{contentType: "application/json", chunks: []string{body}}
			w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
			want := `{"jsonrpc":"2.0","id":4,"result":` + tc.want + `}`
			if got := w.Body.String(); got != want {
				t.Errorf("body:\n got %s\nwant %s", got, want)
			}
			if got := w.Header().Get("Cache-Control"); got != "private" {
				t.Errorf("Cache-Control = %q, want private", got)
			}
		})
	}
}

// A list request answered with an error is not a list: it passes, and so
// do its headers; a list answered over SSE gets private headers before the
// stream starts.
func TestListFilterHeaders(t *testing.T) {
	m, err := New(denyAll(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &listHandler{contentType: "text/event-stream", chunks: []string{": hi\n\n"}}
	w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
	if got := w.Header().Get("Cache-Control"); got != "private" {
		t.Errorf("SSE: Cache-Control = %q, want private", got)
	}
	h = &listHandler{contentType: "application/json", status: 500, chunks: []string{`{}`}}
	w = serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
	if got := w.Header().Get("Cache-Control"); got != "" {
		t.Errorf("500: Cache-Control = %q, want none added", got)
	}
	if !strings.Contains(w.Body.String(), "{}") {
		t.Errorf("500: body %q changed", w.Body.String())
	}
}
