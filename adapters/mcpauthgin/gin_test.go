// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthgin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthgin"
	"github.com/mcpauth/mcpauth/internal/mounttest"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func init() { gin.SetMode(gin.TestMode) }

type nameIn struct {
	Name   string `json:"name,omitempty"`
	Number int    `json:"number,omitempty"`
}

// newMCPHandler returns a stateful go-sdk handler serving the demo
// policy's tools; each tool answers "<tool>: Hello, <name>!".
func newMCPHandler(opts *mcp.StreamableHTTPOptions) http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "gin-test", Version: "1.0.0"}, nil)
	for _, name := range []string{"greet", "greet-jwt", "login", "conditional-greet"} {
		mcp.AddTool(s, &mcp.Tool{Name: name}, func(_ context.Context, req *mcp.CallToolRequest, in nameIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: req.Params.Name + ": Hello, " + in.Name + "!"}}}, nil, nil
		})
	}
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, opts)
}

// record is what the handlers after the middleware saw.
type record struct {
	mu       sync.Mutex
	calls    []string // "user action principal-email" of each tools/call that went through
	statuses []int    // the status an outer gin middleware saw for each POST
}

func (rec *record) add(s string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.calls = append(rec.calls, s)
}

func (rec *record) status(s int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.statuses = append(rec.statuses, s)
}

func (rec *record) get() ([]string, []int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.calls), slices.Clone(rec.statuses)
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
	c := mcp.NewClient(&mcp.Implementation{Name: "gin-client", Version: "1.0.0"}, nil)
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

// newEngine serves the go-sdk handler at /mcp behind an authentication
// stand-in (a principal from X-User), the mcpauth middleware in context
// identity mode, and a recorder reading the decision and principal from
// the gin.Context.
func newEngine(t *testing.T, rec *record, sdkOpts *mcp.StreamableHTTPOptions) *gin.Engine {
	t.Helper()
	mw, err := mcpauth.New(policy.Demo(), &mcpauth.Options{
		Identity: mcpauth.ContextIdentity(),
	})
	if err != nil {
		t.Fatal(err)
	}
	authn := func(c *gin.Context) {
		if u := c.GetHeader("X-User"); u != "" {
			p := &mcpauth.Principal{Subject: u, Email: u + "@example.com"}
			c.Request = c.Request.WithContext(mcpauth.ContextWithPrincipal(c.Request.Context(), p))
		}
	}
	outer := func(c *gin.Context) {
		c.Next()
		if c.Request.Method == http.MethodPost {
			rec.status(c.Writer.Status())
		}
	}
	inspect := func(c *gin.Context) {
		d, ok := mcpauthgin.Decision(c)
		if !ok {
			t.Error("no decision in the gin.Context")
			return
		}
		if v, _ := c.Get(mcpauthgin.DecisionKey); v != d {
			t.Errorf("c.Get(DecisionKey) = %v, want the decision", v)
		}
		if d.Method != mcpauth.MethodToolsCall {
			return
		}
		p, ok := mcpauthgin.Principal(c)
		if !ok {
			t.Error("no principal in the gin.Context")
			return
		}
		if v, _ := c.Get(mcpauthgin.PrincipalKey); v != p {
			t.Errorf("c.Get(PrincipalKey) = %v, want the principal", v)
		}
		rec.add(d.Identity.User.Key + " " + d.Checks[0].Action + " " + p.Email)
	}
	r := gin.New()
	r.Any("/mcp", outer, authn, mcpauthgin.Middleware(mw), inspect, gin.WrapH(newMCPHandler(sdkOpts)))
	return r
}

// TestMiddleware drives a go-sdk server behind gin with the go-sdk client:
// allowed and denied calls, the ABAC rule and the filtered tool list, with
// SSE and with JSON responses.
func TestMiddleware(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts *mcp.StreamableHTTPOptions
	}{
		{"SSE", nil},
		{"JSON", &mcp.StreamableHTTPOptions{JSONResponse: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &record{}
			srv := httptest.NewServer(newEngine(t, rec, tt.opts))
			t.Cleanup(srv.Close)

			cs := connect(t, srv.URL+"/mcp", "client")
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
			_ = cs.Close()

			got, statuses := rec.get()
			want := []string{"client greet client@example.com", "client conditional-greet client@example.com"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("calls that reached the handlers (-want +got):\n%s", diff)
			}
			for i, s := range statuses {
				if s != http.StatusOK && s != http.StatusAccepted {
					t.Errorf("POST %d: the outer middleware saw status %d", i, s)
				}
			}
		})
	}
}

// TestMiddlewareUnauthenticated checks that a request without identity is
// answered 401 with a Bearer challenge and aborts the chain.
func TestMiddlewareUnauthenticated(t *testing.T) {
	rec := &record{}
	r := newEngine(t, rec, nil)
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("got %d, WWW-Authenticate %q; want 401 with a Bearer challenge", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if _, statuses := rec.get(); !slices.Equal(statuses, []int{http.StatusUnauthorized}) {
		t.Errorf("the outer middleware saw %v, want [401]", statuses)
	}
}

func TestWrap(t *testing.T) {
	type ctxKey struct{}
	tests := []struct {
		name       string
		mw         func(http.Handler) http.Handler
		wantStatus int
		wantBody   string
	}{
		{
			name: "answers and aborts",
			mw: func(http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(http.StatusTeapot)
					_, _ = io.WriteString(w, "no")
				})
			},
			wantStatus: http.StatusTeapot,
			wantBody:   "no",
		},
		{
			name: "passes a new request on",
			mw: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "v")))
				})
			},
			wantStatus: http.StatusCreated,
			wantBody:   "handler saw v",
		},
		{
			name: "wraps the writer",
			mw: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(upper{w}, r)
				})
			},
			wantStatus: http.StatusCreated,
			wantBody:   "HANDLER SAW ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			r.GET("/", mcpauthgin.Wrap(tt.mw), func(c *gin.Context) {
				v, _ := c.Request.Context().Value(ctxKey{}).(string)
				c.String(http.StatusCreated, "handler saw %s", v)
			})
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// upper upper-cases everything written through it.
type upper struct{ http.ResponseWriter }

func (u upper) Write(p []byte) (int, error) {
	return u.ResponseWriter.Write([]byte(strings.ToUpper(string(p))))
}

// TestMountProvider checks that every route of an authorization server
// (the stand-in of [mounttest.Server]; examples/adapters runs this with the
// real provider) answers through gin exactly as through its own handler.
func TestMountProvider(t *testing.T) {
	tests := []struct {
		name  string
		base  string
		group func(r *gin.Engine) *gin.RouterGroup
	}{
		{"root group", "http://127.0.0.1:8080", func(r *gin.Engine) *gin.RouterGroup { return &r.RouterGroup }},
		{"base path", "http://127.0.0.1:8080/auth", func(r *gin.Engine) *gin.RouterGroup { return &r.RouterGroup }},
		{"group with middleware", "http://127.0.0.1:8080", func(r *gin.Engine) *gin.RouterGroup {
			return r.Group("/", func(c *gin.Context) { c.Header("X-Group", "yes") })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mounttest.NewServer(t, tt.base)
			r := gin.New()
			if err := mcpauthgin.MountProvider(tt.group(r), p); err != nil {
				t.Fatal(err)
			}
			r.GET("/other", func(c *gin.Context) { c.String(http.StatusOK, "other") })
			mounttest.SameAnswers(t, p.Handler(), r, p.Paths())
			if got := mounttest.Serve(r, http.MethodGet, "/other"); got.Body != "other" {
				t.Errorf("GET /other: got %+v", got)
			}
		})
	}

	t.Run("group outside the paths", func(t *testing.T) {
		r := gin.New()
		err := mcpauthgin.MountProvider(r.Group("/api"), mounttest.NewServer(t, "http://127.0.0.1:8080/api"))
		if err == nil || !strings.Contains(err.Error(), "outside the group's base path") {
			t.Errorf("got %v, want the base-path error", err)
		}
		if routes := r.Routes(); len(routes) != 0 {
			t.Errorf("registered %d routes, want none", len(routes))
		}
	})
}
