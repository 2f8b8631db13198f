// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthchi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthchi"
	"github.com/mcpauth/mcpauth/internal/mounttest"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type nameIn struct {
	Name   string `json:"name,omitempty"`
	Number int    `json:"number,omitempty"`
}

// newMCPHandler returns a stateful go-sdk handler serving the demo
// policy's tools; each tool answers "<tool>: Hello, <name>!".
func newMCPHandler() http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "chi-test", Version: "1.0.0"}, nil)
	for _, name := range []string{"greet", "greet-jwt", "login", "conditional-greet"} {
		mcp.AddTool(s, &mcp.Tool{Name: name}, func(_ context.Context, req *mcp.CallToolRequest, in nameIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: req.Params.Name + ": Hello, " + in.Name + "!"}}}, nil, nil
		})
	}
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
}

// seen records the decisions the MCP handler received for tools/call.
type seen struct {
	mu    sync.Mutex
	calls []string
}

func (s *seen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := mcpauth.DecisionFromContext(r.Context()); ok && d.Method == mcpauth.MethodToolsCall {
			s.mu.Lock()
			s.calls = append(s.calls, d.Identity.User.Key+" "+d.Checks[0].Action)
			s.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (s *seen) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// userHeader sets X-User on every request.
type userHeader string

func (u userHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-User", string(u))
	return http.DefaultTransport.RoundTrip(r)
}

func connect(t *testing.T, endpoint, user string) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "chi-client", Version: "1.0.0"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: &http.Client{Transport: userHeader(user)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func newMiddleware(t *testing.T) *mcpauth.Middleware {
	t.Helper()
	mw, err := mcpauth.New(policy.Demo(), &mcpauth.Options{
		Identity: mcpauth.HeaderIdentity("X-User", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

// TestMiddleware drives a go-sdk server behind chi with the go-sdk client,
// with the middleware installed by r.With and by r.Use.
func TestMiddleware(t *testing.T) {
	tests := []struct {
		name  string
		route func(r chi.Router, mw func(http.Handler) http.Handler, h http.Handler)
		path  string
	}{
		{"With", func(r chi.Router, mw func(http.Handler) http.Handler, h http.Handler) {
			r.With(mw).Handle("/mcp", h)
		}, "/mcp"},
		{"Use in a group", func(r chi.Router, mw func(http.Handler) http.Handler, h http.Handler) {
			r.Group(func(r chi.Router) {
				r.Use(mw)
				r.Handle("/mcp", h)
			})
		}, "/mcp"},
		{"Use in a subrouter", func(r chi.Router, mw func(http.Handler) http.Handler, h http.Handler) {
			r.Route("/api", func(r chi.Router) {
				r.Use(mw)
				r.Handle("/mcp", h)
			})
		}, "/api/mcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &seen{}
			r := chi.NewRouter()
			tt.route(r, mcpauthchi.Middleware(newMiddleware(t)), rec.wrap(newMCPHandler()))
			r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
			srv := httptest.NewServer(r)
			t.Cleanup(srv.Close)

			cs := connect(t, srv.URL+tt.path, "client")
			res, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range res.Tools {
				names = append(names, tool.Name)
			}
			slices.Sort(names)
			if diff := cmp.Diff([]string{"conditional-greet", "greet", "login"}, names); diff != "" {
				t.Errorf("tools/list for client (-want +got):\n%s", diff)
			}

			calls := []struct {
				tool    string
				args    map[string]any
				text    string
				isError bool
			}{
				{"greet", map[string]any{"name": "Ada"}, "greet: Hello, Ada!", false},
				{"greet-jwt", nil, `Unauthorized: not authorized to call tool "greet-jwt"`, true},
				{"conditional-greet", map[string]any{"name": "Ada", "number": 5}, `Unauthorized: not authorized to call tool "conditional-greet"`, true},
				{"conditional-greet", map[string]any{"name": "Ada", "number": 12}, "conditional-greet: Hello, Ada!", false},
			}
			for _, c := range calls {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
				if err != nil {
					t.Fatalf("%s: %v", c.tool, err)
				}
				text := res.Content[0].(*mcp.TextContent).Text
				if text != c.text || res.IsError != c.isError {
					t.Errorf("%s(%v): got %q (isError %v), want %q (isError %v)", c.tool, c.args, text, res.IsError, c.text, c.isError)
				}
			}
			// Only allowed calls reached the MCP handler, with the decision.
			if diff := cmp.Diff([]string{"client greet", "client conditional-greet"}, rec.list()); diff != "" {
				t.Errorf("calls that reached the handler (-want +got):\n%s", diff)
			}

			// Routes outside the middleware are untouched.
			resp, err := http.Get(srv.URL + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Errorf("/healthz: got %d %q, want 200 \"ok\"", resp.StatusCode, body)
			}
		})
	}
}

// TestMountProvider checks that every route of an authorization server
// (the stand-in of [mounttest.Server]; examples/adapters runs this with the
// real provider) answers through chi exactly as through its own handler,
// next to other routes.
func TestMountProvider(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "http://127.0.0.1:8080/auth"} {
		t.Run(base, func(t *testing.T) {
			p := mounttest.NewServer(t, base)
			r := chi.NewRouter()
			mcpauthchi.MountProvider(r, p)
			r.Get("/other", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "other") })

			mounttest.SameAnswers(t, p.Handler(), r, p.Paths())
			if got := mounttest.Serve(r, http.MethodGet, "/other"); got.Body != "other" {
				t.Errorf("GET /other: got %+v", got)
			}
			meta := mounttest.Serve(r, http.MethodGet, p.Paths()[0])
			if meta.Status != http.StatusOK || meta.ContentType != "application/json" {
				t.Errorf("authorization server metadata: got %d %s", meta.Status, meta.ContentType)
			}
		})
	}
}
