// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// echoHandler records the body it received and answers with a fixed
// JSON-RPC result.
type echoHandler struct {
	calls int
	body  []byte
	dec   *Decision
}

func (h *echoHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls++
	h.body, _ = io.ReadAll(r.Body)
	h.dec, _ = DecisionFromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
}

func serve(t *testing.T, m *Middleware, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler(h).ServeHTTP(w, r)
	return w
}

func denyAll() *recorder { return &recorder{allow: func(Check) bool { return false }} }

func TestHandlerResponses(t *testing.T) {
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"greet","arguments":{"a":1}}}`
	list := `{"jsonrpc":"2.0","id":"x","method":"prompts/list"}`
	tt := []struct {
		name       string
		opts       *Options
		authz      Authorizer
		req        func() *http.Request
		wantStatus int
		wantBody   string
		wantNext   bool
	}{
		{
			name: "allowed call reaches the handler", authz: &recorder{},
			req: func() *http.Request { return postJSON(call) }, wantStatus: 200,
			wantBody: `{"jsonrpc":"2.0","id":1,"result":{}}`, wantNext: true,
		},
		{
			name: "denied tools/call is a tool error result", authz: denyAll(),
			req: func() *http.Request { return postJSON(call) }, wantStatus: 200,
			wantBody: `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"Unauthorized: not authorized to call tool \"greet\""}],"isError":true}}`,
		},
		{
			name: "denied tools/call with reason exposed", authz: denyAll(),
			opts: &Options{Deny: DenyOptions{ExposeReason: true}},
			req:  func() *http.Request { return postJSON(call) }, wantStatus: 200,
			wantBody: `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"Unauthorized: not authorized to call tool \"greet\" (user \"client\" may not \"greet\" on mcp_server)"}],"isError":true,"_meta":{"io.github.mcpauth/denial-reason":"user \"client\" may not \"greet\" on mcp_server"}}}`,
		},
		{
			name: "denied tools/call as JSON-RPC error", authz: denyAll(),
			opts: &Options{Deny: DenyOptions{ToolCall: ToolDenyError, Code: -32003, Message: "Forbidden"}},
			req:  func() *http.Request { return postJSON(call) }, wantStatus: 200,
			wantBody: `{"jsonrpc":"2.0","id":7,"error":{"code":-32003,"message":"Forbidden"}}`,
		},
		{
			name: "denied tools/call as HTTP 403", authz: denyAll(),
			opts: &Options{Deny: DenyOptions{ToolCall: ToolDenyHTTP403}},
			req:  func() *http.Request { return postJSON(call) }, wantStatus: 403,
			wantBody: `{"jsonrpc":"2.0","id":7,"error":{"code":-32010,"message":"Unauthorized"}}`,
		},
		{
			name: "denied other method is JSON-RPC -32010", authz: denyAll(),
			opts: &Options{ListFiltering: ListCheckOnly},
			req:  func() *http.Request { return postJSON(list) }, wantStatus: 200,
			wantBody: `{"jsonrpc":"2.0","id":"x","error":{"code":-32010,"message":"Unauthorized"}}`,
		},
		{
			name: "denied notification is HTTP 403", authz: denyAll(),
			opts: &Options{BypassMethods: []string{}, UnknownMethods: UnknownCheckAccess},
			req: func() *http.Request {
				return postJSON(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			},
			wantStatus: 403,
			wantBody:   `{"jsonrpc":"2.0","id":null,"error":{"code":-32010,"message":"Unauthorized"}}`,
		},
		{
			name: "unknown method denied without a check", authz: &recorder{},
			req: func() *http.Request {
				return postJSON(`{"jsonrpc":"2.0","id":3,"method":"tasks/result","params":{}}`)
			},
			wantStatus: 200,
			wantBody:   `{"jsonrpc":"2.0","id":3,"error":{"code":-32010,"message":"Unauthorized"}}`,
		},
		{
			name: "decision point failure fails closed without leaking", authz: AuthorizerFunc(func(context.Context, Check) (bool, error) {
				return false, errors.New("dial tcp 10.0.0.7:7766: secret internal detail")
			}),
			opts: &Options{Deny: DenyOptions{ExposeReason: true, ToolCall: ToolDenyError}},
			req:  func() *http.Request { return postJSON(call) }, wantStatus: 200,
			wantBody: `{"jsonrpc":"2.0","id":7,"error":{"code":-32010,"message":"Unauthorized","data":"authorization system error"}}`,
		},
		{
			name: "wrong content type is 415", authz: &recorder{},
			req: func() *http.Request {
				r := postJSON(call)
				r.Header.Set("Content-Type", "text/plain")
				return r
			},
			wantStatus: 415,
			wantBody:   `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Unsupported Media Type","data":"content type is not application/json"}}`,
		},
		{
			name: "content type with charset is accepted", authz: &recorder{},
			req: func() *http.Request {
				r := postJSON(call)
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				return r
			},
			wantStatus: 200, wantBody: `{"jsonrpc":"2.0","id":1,"result":{}}`, wantNext: true,
		},
		{
			name: "oversized body is 413", authz: &recorder{}, opts: &Options{Limits: Limits{MaxBodyBytes: 32}},
			req:        func() *http.Request { return postJSON(call) },
			wantStatus: 413,
			wantBody:   `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Request Entity Too Large","data":"body exceeds 32 bytes"}}`,
		},
		{
			name: "oversized body without Content-Length is 413", authz: &recorder{}, opts: &Options{Limits: Limits{MaxBodyBytes: 32}},
			req: func() *http.Request {
				r := postJSON(call)
				r.ContentLength = -1
				return r
			},
			wantStatus: 413,
			wantBody:   `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Request Entity Too Large","data":"body exceeds 32 bytes"}}`,
		},
		{
			name: "batch rejected by default", authz: &recorder{},
			req:        func() *http.Request { return postJSON(`[` + call + `]`) },
			wantStatus: 400,
			wantBody:   `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request","data":"batch requests are not supported"}}`,
		},
		{
			name: "batch with a denied element denies the whole batch", authz: &recorder{allow: func(c Check) bool { return c.Action != "drop" }},
			opts: &Options{AllowBatch: true},
			req: func() *http.Request {
				return postJSON(`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}},` +
					`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"drop"}}]`)
			},
			wantStatus: 200,
			wantBody:   `[{"jsonrpc":"2.0","id":1,"error":{"code":-32010,"message":"Unauthorized"}},{"jsonrpc":"2.0","id":2,"error":{"code":-32010,"message":"Unauthorized"}}]`,
		},
		{
			name: "allowed batch reaches the handler", authz: &recorder{}, opts: &Options{AllowBatch: true},
			req: func() *http.Request {
				return postJSON(`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}},{"jsonrpc":"2.0","method":"notifications/initialized"}]`)
			},
			wantStatus: 200, wantBody: `{"jsonrpc":"2.0","id":1,"result":{}}`, wantNext: true,
		},
		{
			name: "unauthenticated is 401 with a Bearer challenge", authz: &recorder{},
			opts: &Options{Identity: HeaderIdentity("X-User", "")},
			req:  func() *http.Request { return postJSON(call) }, wantStatus: 401,
			wantBody: `{"jsonrpc":"2.0","id":7,"error":{"code":-32010,"message":"Unauthenticated"}}`,
		},
		{
			name: "GET without identity is 401", authz: &recorder{},
			opts: &Options{Identity: HeaderIdentity("X-User", "")},
			req:  func() *http.Request { return httptest.NewRequest(http.MethodGet, "/mcp", nil) }, wantStatus: 401,
			wantBody: `{"jsonrpc":"2.0","id":null,"error":{"code":-32010,"message":"Unauthenticated"}}`,
		},
		{
			name: "GET with identity passes", authz: denyAll(),
			req:        func() *http.Request { return httptest.NewRequest(http.MethodGet, "/mcp", nil) },
			wantStatus: 200, wantBody: `{"jsonrpc":"2.0","id":1,"result":{}}`, wantNext: true,
		},
		{
			name: "OPTIONS passes untouched", authz: denyAll(),
			opts:       &Options{Identity: HeaderIdentity("X-User", "")},
			req:        func() *http.Request { return httptest.NewRequest(http.MethodOptions, "/mcp", nil) },
			wantStatus: 200, wantBody: `{"jsonrpc":"2.0","id":1,"result":{}}`, wantNext: true,
		},
		{
			name: "client response passes without a check", authz: denyAll(),
			req:        func() *http.Request { return postJSON(`{"jsonrpc":"2.0","id":5,"result":{"roots":[]}}`) },
			wantStatus: 200, wantBody: `{"jsonrpc":"2.0","id":1,"result":{}}`, wantNext: true,
		},
		{
			name: "deny handler writes its own response", authz: denyAll(),
			opts: &Options{Deny: DenyOptions{Handler: func(w http.ResponseWriter, r *http.Request, d *Denial) {
				w.WriteHeader(http.StatusTeapot)
				io.WriteString(w, d.Method+" "+d.Check.Action)
			}}},
			req: func() *http.Request { return postJSON(call) }, wantStatus: 418, wantBody: "tools/call greet",
		},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.authz, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			h := &echoHandler{}
			r := tc.req()
			sent := ""
			if r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				sent = string(b)
				r.Body = io.NopCloser(strings.NewReader(sent))
			}
			w := serve(t, m, h, r)
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tc.wantBody {
				t.Errorf("body:\n got %s\nwant %s", got, tc.wantBody)
			}
			if got := h.calls > 0; got != tc.wantNext {
				t.Fatalf("next handler called = %v, want %v", got, tc.wantNext)
			}
			if tc.wantNext && r.Method == http.MethodPost && string(h.body) != sent {
				t.Errorf("next handler got body %q, want the identical %q", h.body, sent)
			}
			if tc.wantStatus == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestMCPHeadersCrossChecked(t *testing.T) {
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`
	tt := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"no headers", nil, 200},
		{"matching", map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "greet"}, 200},
		{"matching base64 name", map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "=?base64?Z3JlZXQ=?="}, 200},
		{"other method", map[string]string{"Mcp-Method": "tools/list"}, 400},
		{"other name", map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "delete_all"}, 400},
		{"bad base64", map[string]string{"Mcp-Name": "=?base64?***?="}, 400},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(&recorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := postJSON(call)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			h := &echoHandler{}
			w := serve(t, m, h, r)
			if w.Code != tc.want {
				t.Errorf("status %d, want %d (%s)", w.Code, tc.want, w.Body.String())
			}
			if tc.want != 200 && h.calls != 0 {
				t.Error("a mismatched request reached the server")
			}
		})
	}
}

func TestResourceMetadataChallenge(t *testing.T) {
	m, err := New(&recorder{}, &Options{Identity: HeaderIdentity("X-User", ""), ResourceMetadataURL: "https://mcp.example/.well-known/oauth-protected-resource/mcp"})
	if err != nil {
		t.Fatal(err)
	}
	w := serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	want := `Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"`
	if got := w.Header().Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate = %q, want %q", got, want)
	}
}

func TestInvalidTokenChallenge(t *testing.T) {
	m, err := New(&recorder{}, &Options{Identity: JWTIdentity(JWTOptions{Secret: []byte("0123456789abcdef0123456789abcdef")})})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	tt := []struct{ name, auth, want string }{
		{"missing", "", "Bearer"},
		{"garbage", "Bearer not.a.jwt", `Bearer error="invalid_token"`},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			r := postJSON(body)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := serve(t, m, &echoHandler{}, r)
			if w.Code != 401 || w.Header().Get("WWW-Authenticate") != tc.want {
				t.Errorf("got %d %q, want 401 %q", w.Code, w.Header().Get("WWW-Authenticate"), tc.want)
			}
		})
	}
}

func TestRequiredTenantMissingIs403(t *testing.T) {
	m, err := New(&recorder{}, &Options{Tenant: TenantOptions{Header: "X-Tenant", Required: true}})
	if err != nil {
		t.Fatal(err)
	}
	h := &echoHandler{}
	w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`))
	if w.Code != 403 || h.calls != 0 {
		t.Errorf("status %d, handler calls %d; want 403 and none", w.Code, h.calls)
	}
	r := postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`)
	r.Header.Set("X-Tenant", "acme")
	rec := &recorder{}
	m, _ = New(rec, &Options{Tenant: TenantOptions{Header: "X-Tenant", Required: true}})
	if w := serve(t, m, h, r); w.Code != 200 || rec.checks[0].Resource.Tenant != "acme" {
		t.Errorf("with the header: status %d, checks %+v; want 200 in tenant acme", w.Code, rec.checks)
	}
}

func TestDecisionInContext(t *testing.T) {
	m, err := New(&recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &echoHandler{}
	serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`))
	if h.dec == nil || !h.dec.Allowed || h.dec.Method != "tools/call" || len(h.dec.Checks) != 1 || h.dec.Identity.User.Key != "client" {
		t.Fatalf("decision in context = %+v", h.dec)
	}
}

func TestAuditRecords(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := New(&recorder{allow: func(c Check) bool { return c.Action == "greet" }}, &Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"password":"hunter2"}}}`))
	serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"drop","arguments":{"password":"hunter2"}}}`))
	// The same call again is answered by the cache; a method without a
	// mapping rule is decided by the mapping; a bypassed one asks nobody.
	serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"greet","arguments":{"password":"hunter2"}}}`))
	serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":4,"method":"sampling/whatever"}`))
	serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":5,"method":"ping"}`))
	var recs []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		delete(rec, "time")
		delete(rec, "latency")
		recs = append(recs, rec)
	}
	want := []map[string]any{
		{"level": "INFO", "msg": "mcpauth decision", "decision": "allow", "user": "client", "tenant": "default",
			"method": "tools/call", "tool_name": "greet", "resource": "mcp_server", "action": "greet", "source": "pdp"},
		{"level": "WARN", "msg": "mcpauth decision", "decision": "deny", "user": "client", "tenant": "default",
			"method": "tools/call", "tool_name": "drop", "resource": "mcp_server", "action": "drop", "source": "pdp",
			"reason": `user "client" may not "drop" on mcp_server`},
		{"level": "INFO", "msg": "mcpauth decision", "decision": "allow", "user": "client", "tenant": "default",
			"method": "tools/call", "tool_name": "greet", "resource": "mcp_server", "action": "greet", "source": "cache"},
		{"level": "WARN", "msg": "mcpauth decision", "decision": "deny", "user": "client", "tenant": "default",
			"method": "sampling/whatever", "source": "mapping", "reason": `method "sampling/whatever" is not allowed`},
		{"level": "DEBUG", "msg": "mcpauth decision", "decision": "allow", "user": "client", "tenant": "default",
			"method": "ping", "source": "bypass"},
	}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("audit records (-want +got):\n%s", diff)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Error("audit log contains an argument value")
	}
}

func TestNewValidation(t *testing.T) {
	tt := []struct {
		name string
		opts *Options
		want string
	}{
		{"negative body cap", &Options{Limits: Limits{MaxBodyBytes: -1}}, "mcpauth: Options.Limits.MaxBodyBytes is negative"},
		{"bad glob", &Options{BypassMethods: []string{"ok", "[x"}}, `mcpauth: Options.BypassMethods[1]: malformed pattern "[x"`},
		{"empty public tool", &Options{PublicTools: []string{""}}, "mcpauth: Options.PublicTools[0] is empty"},
		{"bad tool deny style", &Options{Deny: DenyOptions{ToolCall: 9}}, "mcpauth: Options.Deny.ToolCall: unknown value 9"},
		{"negative ttl", &Options{Cache: CacheOptions{DenyTTL: -1}}, "mcpauth: Options.Cache: negative duration"},
		{"bad list mode", &Options{ListFiltering: 7}, "mcpauth: Options.ListFiltering: unknown value 7"},
		{"nil identity func", &Options{Identity: FuncIdentity(nil)}, "mcpauth: Options.Identity: FuncIdentity with a nil IdentityFunc"},
		{"JWT without a key", &Options{Identity: JWTIdentity(JWTOptions{})}, "mcpauth: Options.Identity: JWTOptions: set exactly one of Secret, PublicKey, JWKSURL"},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(&recorder{}, tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("New error = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("New(nil, nil) succeeded, want an error")
	}
}

// listHandler answers a list request with the given content type, writing
// the events or body in pieces and flushing between them.
type listHandler struct {
	contentType string
	status      int
	chunks      []string
	flushes     int
}

func (h *listHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", h.contentType)
	w.Header().Set("Content-Length", "999")
	if h.status != 0 {
		w.WriteHeader(h.status)
	}
	for _, c := range h.chunks {
		io.WriteString(w, c)
		if err := http.NewResponseController(w).Flush(); err == nil {
			h.flushes++
		}
	}
}

const toolsResult = `{"jsonrpc":"2.0","id":4,"result":{"tools":[{"name":"greet","inputSchema":{"type":"object"}},{"name":"delete_all","inputSchema":{"type":"object"}},{"name":"login"}],"nextCursor":"c2"}}`

func TestListFilterJSON(t *testing.T) {
	m, err := New(&recorder{allow: func(c Check) bool { return c.Action == "greet" }}, &Options{PublicTools: []string{"login"}})
	if err != nil {
		t.Fatal(err)
	}
	h := &listHandler{contentType: "application/json", chunks: []string{toolsResult[:40], toolsResult[40:]}}
	w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
	// The server's bytes without delete_all, marked private.
	want := `{"jsonrpc":"2.0","id":4,"result":{"cacheScope":"private","tools":[{"name":"greet","inputSchema":{"type":"object"}},{"name":"login"}],"nextCursor":"c2"}}`
	if got := w.Body.String(); got != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
	if got, want := w.Header().Get("Content-Length"), strconv.Itoa(len(want)); got != want {
		t.Errorf("Content-Length = %q, want %q (the handler's own 999 replaced)", got, want)
	}
}

func TestListFilterEmptyPageKeepsCursor(t *testing.T) {
	m, err := New(denyAll(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &listHandler{contentType: "application/json", chunks: []string{toolsResult}}
	w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
	want := `{"jsonrpc":"2.0","id":4,"result":{"cacheScope":"private","tools":[],"nextCursor":"c2"}}`
	if got := w.Body.String(); got != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
}

func TestListFilterSSE(t *testing.T) {
	m, err := New(&recorder{allow: func(c Check) bool { return c.Action == "greet" }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	progress := "event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n"
	request := "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"roots/list\"}\n\n"
	prime := "id: 0\ndata:\n\n"
	comment := ": keep-alive\n\n"
	result := "event: message\r\nid: 2\r\ndata: " + toolsResult + "\r\n\r\n"
	h := &listHandler{contentType: "text/event-stream", chunks: []string{prime, comment, progress[:30], progress[30:], request, result}}
	w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
	filtered := "event: message\r\nid: 2\r\ndata: " +
		`{"jsonrpc":"2.0","id":4,"result":{"cacheScope":"private","tools":[{"name":"greet","inputSchema":{"type":"object"}}],"nextCursor":"c2"}}` + "\r\n\r\n"
	want := prime + comment + progress + request + filtered
	if got := w.Body.String(); got != want {
		t.Errorf("stream:\n got %q\nwant %q", got, want)
	}
	if h.flushes != len(h.chunks) {
		t.Errorf("flushes = %d, want %d: Flush must keep working through the filter", h.flushes, len(h.chunks))
	}
	if !w.Flushed {
		t.Error("the recorder was never flushed")
	}
}

func TestListFilterPassesErrorsUntouched(t *testing.T) {
	m, err := New(denyAll(), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"jsonrpc":"2.0","id":4,"result":{"tools":[{"name":"x"}]}}`
	h := &listHandler{contentType: "application/json", status: 500, chunks: []string{body}}
	w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
	if w.Code != 500 || w.Body.String() != body {
		t.Errorf("got %d %s, want the 500 response untouched", w.Code, w.Body.String())
	}
}

func TestListFilterFailsClosed(t *testing.T) {
	m, err := New(AuthorizerFunc(func(context.Context, Check) (bool, error) { return false, errors.New("pdp down") }), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &listHandler{contentType: "application/json", chunks: []string{toolsResult}}
	w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
	want := `{"jsonrpc":"2.0","id":4,"error":{"code":-32603,"message":"Internal error"}}`
	if got := w.Body.String(); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestListFilterItemChecks(t *testing.T) {
	tt := []struct {
		method, result string
		want           []Check
	}{
		{"prompts/list", `{"jsonrpc":"2.0","id":1,"result":{"prompts":[{"name":"summarize"}]}}`, []Check{{
			User: User{Key: "client", Attributes: map[string]any{"type": "fixed_identity"}}, Action: "read",
			Resource: Resource{Type: "mcp_server_prompts", Key: "summarize", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "prompts/list", "resource_type": "prompts", "prompt_name": "summarize"}},
		}}},
		{"resources/list", `{"jsonrpc":"2.0","id":1,"result":{"resources":[{"uri":"file:///a","name":"a"}]}}`, []Check{{
			User: User{Key: "client", Attributes: map[string]any{"type": "fixed_identity"}}, Action: "read",
			Resource: Resource{Type: "mcp_server_resources", Key: "file:///a", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "resources/list", "resource_type": "resources", "resource_uri": "file:///a"}},
		}}},
		{"resources/templates/list", `{"jsonrpc":"2.0","id":1,"result":{"resourceTemplates":[{"uriTemplate":"db://{id}","name":"t"}]}}`, []Check{{
			User: User{Key: "client", Attributes: map[string]any{"type": "fixed_identity"}}, Action: "read",
			Resource: Resource{Type: "mcp_server_resources", Key: "db://{id}", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "resources/templates/list", "resource_type": "resources", "resource_uri": "db://{id}"}},
		}}},
		{"tools/list", `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a.b_c"}]}}`, []Check{{
			User: User{Key: "client", Attributes: map[string]any{"type": "fixed_identity"}}, Action: "a-b-c",
			Resource: Resource{Type: "mcp_server", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "tools/list", "tool_name": "a.b_c"}},
		}}},
	}
	for _, tc := range tt {
		t.Run(tc.method, func(t *testing.T) {
			rec := &recorder{}
			m, err := New(rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := &listHandler{contentType: "application/json", chunks: []string{tc.result}}
			w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":1,"method":"`+tc.method+`"}`))
			if diff := cmp.Diff(tc.want, rec.checks); diff != "" {
				t.Errorf("item checks (-want +got):\n%s", diff)
			}
			// Allowed everything: the only change is the cache scope.
			want := strings.Replace(tc.result, `"result":{`, `"result":{"cacheScope":"private",`, 1)
			if got := w.Body.String(); got != want {
				t.Errorf("body:\n got %s\nwant %s", got, want)
			}
		})
	}
}
