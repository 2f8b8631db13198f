// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestEndToEndAmbiguousTools is security issue #10 point 5 through a real
// go-sdk server and client: "greet-jwt" and "greet_jwt" are one action, so
// once a tools/list has shown both, calls to either are refused; with
// Options.AllowAmbiguousTools they run.
func TestEndToEndAmbiguousTools(t *testing.T) {
	for _, allow := range []bool{false, true} {
		server := mcp.NewServer(&mcp.Implementation{Name: "ambiguous", Version: "1.0.0"}, nil)
		ran := &toolLog{}
		for _, name := range []string{"greet", "greet-jwt", "greet_jwt"} {
			mcp.AddTool(server, &mcp.Tool{Name: name},
				func(ctx context.Context, req *mcp.CallToolRequest, in greetIn) (*mcp.CallToolResult, any, error) {
					ran.add(req.Params.Name)
					return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ran " + req.Params.Name}}}, nil, nil
				})
		}
		mw, err := mcpauth.New(mcpauth.AuthorizerFunc(func(context.Context, mcpauth.Check) (bool, error) { return true, nil }),
			&mcpauth.Options{AllowAmbiguousTools: allow, Deny: mcpauth.DenyOptions{ExposeReason: true}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mw.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
		defer srv.Close()
		client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
		cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: srv.URL}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		ctx := context.Background()
		lt, err := cs.ListTools(ctx, nil)
		if err != nil || len(lt.Tools) != 3 {
			t.Fatalf("tools/list: %v, %v", lt, err)
		}
		for _, name := range []string{"greet-jwt", "greet_jwt", "greet"} {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"name": "x"}})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			text := resultText(t, res)
			refused := name != "greet" && !allow
			if refused && (!res.IsError || !strings.Contains(text, "is ambiguous: maps to the same action \"greet-jwt\"")) {
				t.Errorf("allow %v: %s returned %q, want refused as ambiguous", allow, name, text)
			}
			if !refused && (res.IsError || text != "ran "+name) {
				t.Errorf("allow %v: %s returned %q, want it to run", allow, name, text)
			}
		}
		want := "greet"
		if allow {
			want = "greet-jwt,greet_jwt,greet"
		}
		if got := strings.Join(ran.list(), ","); got != want {
			t.Errorf("allow %v: tools that ran %q, want %q", allow, got, want)
		}
	}
}
