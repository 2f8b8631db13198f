// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mcpauth/mcpauth"
)

// TestMCPGoSessionsBoundToCreator: behind the middleware, an mcp-go
// server's stateful session serves only the identity that created it. mcp-go
// checks no owner itself; every request of another user (or of nobody)
// naming the session is refused by the middleware with 404 and never
// reaches mcp-go, whatever its HTTP method or JSON-RPC kind.
func TestMCPGoSessionsBoundToCreator(t *testing.T) {
	mw, err := mcpauth.New(mcpauth.AuthorizerFunc(func(context.Context, mcpauth.Check) (bool, error) { return true, nil }),
		&mcpauth.Options{Identity: mcpauth.HeaderIdentity("X-User", "")})
	if err != nil {
		t.Fatal(err)
	}
	mcpHandler := server.NewStreamableHTTPServer(newServer([]byte("mcpgo-session-test-secret-32-byt"), nil))
	var reached atomic.Int64
	srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		mcpHandler.ServeHTTP(w, r)
	})))
	t.Cleanup(srv.Close)

	do := func(method, sid, user, body string) (int, string, bool) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, srv.URL, nil)
		if rd != nil {
			req, err = http.NewRequestWithContext(ctx, method, srv.URL, rd)
		}
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if user != "" {
			req.Header.Set("X-User", user)
		}
		if sid != "" {
			req.Header.Set(mcpauth.HeaderSessionID, sid)
		}
		before := reached.Load()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get(mcpauth.HeaderSessionID), reached.Load() > before
	}

	status, sid, _ := do(http.MethodPost, "", "alice",
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if status != http.StatusOK || sid == "" {
		t.Fatalf("initialize: status %d, session %q", status, sid)
	}
	attempts := []struct{ name, method, body string }{
		{"request", http.MethodPost, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`},
		{"bypassed request", http.MethodPost, `{"jsonrpc":"2.0","id":3,"method":"ping"}`},
		{"notification", http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
		{"response", http.MethodPost, `{"jsonrpc":"2.0","id":99,"result":{}}`},
		{"stream", http.MethodGet, ""},
		{"delete", http.MethodDelete, ""},
	}
	type outcome struct {
		Status  int
		Reached bool
	}
	got, want := map[string]outcome{}, map[string]outcome{}
	for _, a := range attempts {
		st, _, r := do(a.method, sid, "bob", a.body)
		got["bob "+a.name] = outcome{st, r}
		want["bob "+a.name] = outcome{http.StatusNotFound, false}
		st, _, r = do(a.method, sid, "", a.body)
		got["nobody "+a.name] = outcome{st, r}
		if a.method == http.MethodPost {
			want["nobody "+a.name] = outcome{http.StatusNotFound, false}
		} else {
			want["nobody "+a.name] = outcome{http.StatusUnauthorized, false}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests naming alice's mcp-go session (-want +got):\n%s", diff)
	}
	for _, a := range attempts[:4] {
		if st, _, r := do(a.method, sid, "alice", a.body); !r || st == http.StatusNotFound {
			t.Errorf("alice %s: status %d, reached %v; want served", a.name, st, r)
		}
	}
}
