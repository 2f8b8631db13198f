// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/permittest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type greetIn struct {
	Name   string `json:"name"`
	Number int    `json:"number,omitempty"`
}

// newMCPServer returns a go-sdk MCP server with the tools used by the
// end-to-end tests. ran records the tools that actually executed.
// When ack is not nil, the "count" tool waits after each progress
// notification until the client has received it: it proves the stream is
// not buffered by the middleware (a buffered stream would deadlock).
func newMCPServer(ran *toolLog, ack chan struct{}) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "e2e", Version: "1.0.0"}, nil)
	for _, name := range []string{"greet", "conditional-greet", "delete_all"} {
		mcp.AddTool(s, &mcp.Tool{Name: name, Description: "test tool " + name},
			func(ctx context.Context, req *mcp.CallToolRequest, in greetIn) (*mcp.CallToolResult, any, error) {
				ran.add(req.Params.Name)
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + in.Name + "!"}}}, nil, nil
			})
	}
	mcp.AddTool(s, &mcp.Tool{Name: "count"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct {
		To int `json:"to"`
	}) (*mcp.CallToolResult, any, error) {
		ran.add(req.Params.Name)
		tok := req.Params.GetProgressToken()
		for i := 1; i <= in.To; i++ {
			if tok != nil {
				if err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
					ProgressToken: tok, Progress: float64(i), Total: float64(in.To), Message: fmt.Sprint(i),
				}); err != nil {
					return nil, nil, err
				}
				if ack != nil {
					select {
					case <-ack:
					case <-ctx.Done():
						return nil, nil, ctx.Err()
					}
				}
			}
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, nil
	})
	return s
}

type toolLog struct {
	mu    sync.Mutex
	tools []string
}

func (l *toolLog) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tools = append(l.tools, name)
}

func (l *toolLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.tools)
}

// e2e wires a go-sdk server behind the middleware (Permit authorizer against
// the PDP double, header identity) and returns a connected go-sdk client
// session acting as user.
type e2e struct {
	pdp *permittest.Server
	mw  *mcpauth.Middleware
	ran *toolLog
	ack chan struct{}
	srv *httptest.Server
}

func newE2E(t *testing.T, opts *mcpauth.Options, sdkOpts *mcp.StreamableHTTPOptions) *e2e {
	t.Helper()
	pdp := permittest.New(t)
	authz, err := mcpauth.NewPermit(&mcpauth.PermitOptions{PDPURL: pdp.URL, APIKey: pdp.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = &mcpauth.Options{Identity: mcpauth.HeaderIdentity("X-User", "")}
	}
	mw, err := mcpauth.New(authz, opts)
	if err != nil {
		t.Fatal(err)
	}
	ran := &toolLog{}
	ack := make(chan struct{})
	server := newMCPServer(ran, ack)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, sdkOpts)
	mux := http.NewServeMux()
	mux.Handle("/mcp", mw.Handler(h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &e2e{pdp: pdp, mw: mw, ran: ran, ack: ack, srv: srv}
}

// headerTransport adds a fixed header to every request.
type headerTransport struct {
	base   http.RoundTripper
	header string
	value  string
}

func (h *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.header, h.value)
	return h.base.RoundTrip(r)
}

func (e *e2e) connect(t *testing.T, user string, copts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-client", Version: "1.0.0"}, copts)
	tr := &mcp.StreamableClientTransport{
		Endpoint:   e.srv.URL + "/mcp",
		HTTPClient: &http.Client{Transport: &headerTransport{base: http.DefaultTransport, header: "X-User", value: user}},
	}
	cs, err := client.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatalf("connect as %q: %v", user, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func resultText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func TestEndToEndGoSDK(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts *mcp.StreamableHTTPOptions
	}{
		{"sse", nil},
		{"json", &mcp.StreamableHTTPOptions{JSONResponse: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			e := newE2E(t, nil, mode.opts)
			e.pdp.Allow(
				permittest.Rule{User: "alice", Type: "mcp_server", Action: "greet"},
				permittest.Rule{User: "alice", Type: "mcp_server", Action: "count"},
				permittest.Rule{User: "alice", Type: "mcp_server", Action: "conditional-greet"},
			)
			cs := e.connect(t, "alice", nil)
			ctx := context.Background()

			// An allowed tool runs.
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "greet", Arguments: map[string]any{"name": "Ada"}})
			if err != nil {
				t.Fatalf("greet: %v", err)
			}
			if res.IsError || resultText(t, res) != "Hello, Ada!" {
				t.Fatalf("greet result = %+v, want Hello, Ada!", res)
			}

			// A denied tool returns the denial as a tool error and never runs.
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "delete_all", Arguments: map[string]any{"name": "x"}})
			if err != nil {
				t.Fatalf("delete_all: %v", err)
			}
			if !res.IsError || !strings.Contains(resultText(t, res), "not authorized") {
				t.Fatalf("delete_all result = %+v, want an isError denial", res)
			}

			// The session stays usable after a denial, and tools/list is
			// filtered per item: delete_all is hidden.
			lt, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatalf("tools/list: %v", err)
			}
			var names []string
			for _, tool := range lt.Tools {
				names = append(names, tool.Name)
			}
			sort.Strings(names)
			if diff := cmp.Diff([]string{"conditional-greet", "count", "greet"}, names); diff != "" {
				t.Errorf("listed tools (-want +got):\n%s", diff)
			}

			if diff := cmp.Diff([]string{"greet"}, e.ran.list()); diff != "" {
				t.Errorf("tools that ran (-want +got):\n%s", diff)
			}

			// The PDP saw exactly: the greet check, the delete_all check and one
			// bulk call for the list, each with the exact wire payload.
			reqs := e.pdp.Requests()
			var paths []string
			for _, r := range reqs {
				paths = append(paths, r.Path)
			}
			if diff := cmp.Diff([]string{"/allowed", "/allowed", "/allowed/bulk"}, paths); diff != "" {
				t.Fatalf("PDP requests (-want +got):\n%s", diff)
			}
			user := permittest.User{Key: "alice", Attributes: map[string]any{"header": "X-User"}}
			wantGreet := []permittest.Check{{
				User:   user,
				Action: "greet",
				Resource: permittest.Resource{
					Type: "mcp_server", Tenant: "default",
					Attributes: map[string]any{"tool_name": "greet", "mcp_method": "tools/call", "arg_name": "Ada"},
					Context:    map[string]any{"tenant": "default"},
				},
			}}
			if diff := cmp.Diff(wantGreet, reqs[0].Checks, cmpWire); diff != "" {
				t.Errorf("greet check payload (-want +got):\n%s", diff)
			}
			var bulk []string
			for _, c := range reqs[2].Checks {
				bulk = append(bulk, c.Action+" "+fmt.Sprint(c.Resource.Attributes["mcp_method"]))
			}
			sort.Strings(bulk)
			wantBulk := []string{"conditional-greet tools/list", "count tools/list", "delete-all tools/list", "greet tools/list"}
			if diff := cmp.Diff(wantBulk, bulk); diff != "" {
				t.Errorf("bulk list checks (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpWire ignores the context member of top-level checks, whose presence
// depends on the Permit SDK, but compares everything the policy can see.
var cmpWire = cmp.FilterPath(func(p cmp.Path) bool {
	return p.String() == "Context"
}, cmp.Ignore())

func TestEndToEndProgressStreamsThroughMiddleware(t *testing.T) {
	e := newE2E(t, nil, nil)
	e.pdp.Allow(permittest.Rule{User: "bob", Action: "count"})
	var mu sync.Mutex
	var progress []string
	cs := e.connect(t, "bob", &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, req.Params.Message)
			mu.Unlock()
			e.ack <- struct{}{} // let the tool go on: each event arrived before the next was sent
		},
	})
	params := &mcp.CallToolParams{Name: "count", Arguments: map[string]any{"to": 3}, Meta: mcp.Meta{"progressToken": "p1"}}
	res, err := cs.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("count: %+v, %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"1", "2", "3"}, progress); diff != "" {
		t.Errorf("progress notifications (-want +got):\n%s", diff)
	}
}

func TestEndToEndUnauthenticated(t *testing.T) {
	e := newE2E(t, nil, nil)
	e.pdp.AllowAll()
	client := mcp.NewClient(&mcp.Implementation{Name: "anon", Version: "1"}, nil)
	_, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: e.srv.URL + "/mcp"}, nil)
	// initialize is bypassed, but the GET stream and tools need identity:
	// connecting succeeds or fails, yet no tool may ever run.
	if err == nil {
		t.Log("connected without identity (initialize is bypassed)")
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mcp",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("status %d, WWW-Authenticate %q; want 401 with a Bearer challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if len(e.ran.list()) != 0 || len(e.pdp.Requests()) != 0 {
		t.Errorf("tools ran %v, PDP requests %d; want none", e.ran.list(), len(e.pdp.Requests()))
	}
}
