// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// demoServer is a go-sdk MCP server with the demo's four tools; ran records
// the tools that executed.
func demoServer(ran *ranLog) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "demo", Version: "1.0.0"}, nil)
	type in struct {
		Name   string `json:"name,omitempty"`
		Number int    `json:"number,omitempty"`
	}
	for _, name := range []string{"greet", "greet-jwt", "login", "conditional-greet"} {
		mcp.AddTool(s, &mcp.Tool{Name: name}, func(ctx context.Context, req *mcp.CallToolRequest, in in) (*mcp.CallToolResult, any, error) {
			ran.add(req.Params.Name)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + in.Name + "!"}}}, nil, nil
		})
	}
	return s
}

type ranLog struct {
	mu    sync.Mutex // guards names
	names []string
}

func (l *ranLog) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, name)
}

func (l *ranLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.names)
}

type userHeader struct {
	base http.RoundTripper
	user string
}

func (u *userHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-User", u.user)
	return u.base.RoundTrip(r)
}

// TestDemoThroughMiddleware runs the demo policy's decisions end to end: a
// go-sdk client calls a go-sdk server through the mcpauth middleware, which
// asks the embedded decision point.
func TestDemoThroughMiddleware(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts *mcp.StreamableHTTPOptions
	}{
		{"sse", nil},
		{"json", &mcp.StreamableHTTPOptions{JSONResponse: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			mw, err := mcpauth.New(policy.Demo(), &mcpauth.Options{
				Identity: mcpauth.HeaderIdentity("X-User", ""),
			})
			if err != nil {
				t.Fatal(err)
			}
			ran := &ranLog{}
			server := demoServer(ran)
			srv := httptest.NewServer(mw.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, mode.opts)))
			t.Cleanup(srv.Close) // runs after the sessions close (cleanups run last-in first-out)

			connect := func(user string) *mcp.ClientSession {
				t.Helper()
				client := mcp.NewClient(&mcp.Implementation{Name: "client", Version: "1.0.0"}, nil)
				cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
					Endpoint:   srv.URL,
					HTTPClient: &http.Client{Transport: &userHeader{base: http.DefaultTransport, user: user}},
				}, nil)
				if err != nil {
					t.Fatalf("connect as %s: %v", user, err)
				}
				t.Cleanup(func() { cs.Close() })
				return cs
			}
			ctx := context.Background()
			calls := []struct {
				user, tool string
				args       map[string]any
				allowed    bool
			}{
				{"admin", "greet", map[string]any{"name": "Ada"}, true},
				{"admin", "greet-jwt", nil, true},
				{"admin", "conditional-greet", map[string]any{"name": "Ada", "number": 5}, true},
				{"client", "greet", map[string]any{"name": "Ada"}, true},
				{"client", "login", nil, true},
				{"client", "greet-jwt", nil, false},
				{"client", "conditional-greet", map[string]any{"name": "Ada", "number": 5}, false},
				{"client", "conditional-greet", map[string]any{"name": "Ada", "number": 10}, false},
				{"client", "conditional-greet", map[string]any{"name": "Ada", "number": 12}, true},
				{"mallory", "greet", map[string]any{"name": "Ada"}, false},
			}
			sessions := map[string]*mcp.ClientSession{}
			var wantRan []string
			for _, c := range calls {
				cs := sessions[c.user]
				if cs == nil {
					cs = connect(c.user)
					sessions[c.user] = cs
				}
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
				if err != nil {
					t.Fatalf("%s calls %s: %v", c.user, c.tool, err)
				}
				if got := !res.IsError; got != c.allowed {
					t.Errorf("%s calls %s %v: allowed %v, want %v (%+v)", c.user, c.tool, c.args, got, c.allowed, res.Content)
				}
				if c.allowed {
					wantRan = append(wantRan, c.tool)
				}
			}
			if diff := cmp.Diff(wantRan, ran.list()); diff != "" {
				t.Errorf("tools that ran (-want +got):\n%s", diff)
			}

			// tools/list is filtered per item with list-time checks: client
			// still sees conditional-greet (its rule depends only on
			// arg_number) but not greet-jwt.
			for user, want := range map[string][]string{
				"admin":   {"conditional-greet", "greet", "greet-jwt", "login"},
				"client":  {"conditional-greet", "greet", "login"},
				"mallory": nil,
			} {
				lt, err := sessions[user].ListTools(ctx, nil)
				if err != nil {
					t.Fatalf("%s lists tools: %v", user, err)
				}
				var names []string
				for _, tool := range lt.Tools {
					names = append(names, tool.Name)
				}
				slices.Sort(names)
				if diff := cmp.Diff(want, names); diff != "" {
					t.Errorf("tools listed to %s (-want +got):\n%s", user, diff)
				}
			}
		})
	}
}

// TestWatcherThroughMiddleware swaps the policy under a running middleware:
// after Reload (and a cache purge from OnReload), the new policy decides.
func TestWatcherThroughMiddleware(t *testing.T) {
	path := t.TempDir() + "/policy.json"
	writeFile(t, path, policy.DemoJSON())
	var mw *mcpauth.Middleware
	w, err := policy.NewWatcher(path, &policy.WatchOptions{
		Interval: -1,
		OnReload: func(_ *policy.Policy, err error) {
			if err == nil {
				mw.Purge()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if mw, err = mcpauth.New(w, nil); err != nil {
		t.Fatal(err)
	}
	call := func() bool {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet-jwt","arguments":{}}}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		d, err := mw.Check(r)
		if (err == nil) != d.Allowed {
			t.Fatalf("Check: decision %+v with error %v", d, err)
		}
		return d.Allowed
	}
	// The middleware's default identity is the fixed user "client".
	if call() {
		t.Fatal("client greet-jwt before the change: got allowed, want denied")
	}
	writeFile(t, path, demoGrantingGreetJWT(t))
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if !call() {
		t.Fatal("client greet-jwt after the change: got denied, want allowed")
	}
}
