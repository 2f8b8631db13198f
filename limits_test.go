// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// watchedBody is a request body that records whether it was read.
type watchedBody struct {
	r    io.Reader
	read atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

func (b *watchedBody) Close() error { return nil }

func jwtMiddleware(t *testing.T, authz Authorizer, opts Options) *Middleware {
	t.Helper()
	opts.Identity = JWTIdentity(JWTOptions{Secret: idSecret})
	m, err := New(authz, &opts)
	if err != nil {
		t.Fatal(err)
	}
	m.ident.now = func() time.Time { return idNow }
	return m
}

// TestNoBodyReadBeforeIdentity: a request that needs an identity and cannot
// present a valid one is refused before a byte of its body is read.
func TestNoBodyReadBeforeIdentity(t *testing.T) {
	m := jwtMiddleware(t, &recorder{}, Options{})
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`
	tests := []struct {
		name   string
		header http.Header
	}{
		{"bad token", http.Header{"Authorization": {"Bearer not.a.token"}}},
		{"bad token on a bypassed method", http.Header{"Authorization": {"Bearer not.a.token"}, "Mcp-Method": {"initialize"}}},
		{"two authorization headers", http.Header{"Authorization": {"Bearer a", "Bearer b"}}},
		{"no credential, method header needs one", http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"greet"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &watchedBody{r: strings.NewReader(call)}
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Body = body
			r.ContentLength = int64(len(call))
			r.Header = tt.header.Clone()
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			reached := false
			m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })).ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized || reached {
				t.Fatalf("status %d, reached %v; want 401", w.Code, reached)
			}
			if body.read.Load() {
				t.Error("the body was read before the caller was identified")
			}
		})
	}
}

// TestAnonymousBodyCap: without a credential only a small body is read; a
// larger one is answered 401 (authenticate first), not buffered.
func TestAnonymousBodyCap(t *testing.T) {
	m := jwtMiddleware(t, &recorder{}, Options{Limits: Limits{MaxAnonymousBodyBytes: 1024}})
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"pad":"` + strings.Repeat("x", 2000) + `"}}}`
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(ping))
	r.Header.Set("Content-Type", "application/json")
	w := serve(t, m, &echoHandler{}, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("anonymous 2 KB ping with a 1 KiB cap: status %d, want 401", w.Code)
	}
	small := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	small.Header.Set("Content-Type", "application/json")
	if w := serve(t, m, &echoHandler{}, small); w.Code != http.StatusOK {
		t.Errorf("anonymous small ping: status %d, want 200", w.Code)
	}
	// With a valid credential the full MaxBodyBytes applies.
	authed := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(ping))
	authed.Header.Set("Content-Type", "application/json")
	authed.Header.Set("Authorization", "Bearer "+signJWT(t, "HS256", idSecret, nil, map[string]any{"sub": "alice"}))
	if w := serve(t, m, &echoHandler{}, authed); w.Code != http.StatusOK {
		t.Errorf("authenticated 2 KB ping: status %d, want 200", w.Code)
	}
}

// shortBody declares a large Content-Length and sends a few bytes.
type shortBody struct{ r io.Reader }

func (b shortBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b shortBody) Close() error               { return nil }

// TestBodyBufferNotSizedFromContentLength: a request that declares 4 MiB
// and sends 40 bytes costs about 40 bytes of buffer, not 4 MiB.
func TestBodyBufferNotSizedFromContentLength(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body = shortBody{strings.NewReader(body)}
	r.ContentLength = 4 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	buf, err := readBody(r, 4<<20)
	runtime.ReadMemStats(&after)
	if err != nil || string(buf) != body {
		t.Fatalf("readBody = %q, %v", buf, err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Errorf("readBody allocated %d bytes for a 40-byte body declaring 4 MiB; want far less than 4 MiB", n)
	}
}

// TestArgumentLimits: arguments too many or too deep to check cheaply are
// refused with -32602 before any decision point is asked.
func TestArgumentLimits(t *testing.T) {
	var keys strings.Builder
	for i := 0; i < 200000; i++ {
		if i > 0 {
			keys.WriteByte(',')
		}
		keys.WriteString(`"k` + strings.Repeat("x", i%5) + itoa(i) + `":1`)
	}
	deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
	tests := []struct {
		name, args string
		opts       Limits
		wantCode   int
	}{
		{name: "200,000 keys", args: `{` + keys.String() + `}`, wantCode: -32602},
		{name: "40 levels", args: deep, wantCode: -32602},
		{name: "40 levels with a higher limit", args: deep, opts: Limits{MaxArgumentDepth: 64}},
		{name: "5 values over a limit of 4", args: `{"a":1,"b":[1,2]}`, opts: Limits{MaxArgumentValues: 4}, wantCode: -32602},
		{name: "5 values at a limit of 5", args: `{"a":1,"b":[1,2]}`, opts: Limits{MaxArgumentValues: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			m, err := New(rec, &Options{Limits: withBodyCap(tt.opts, 8<<20)})
			if err != nil {
				t.Fatal(err)
			}
			w := serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":`+tt.args+`}}`))
			var resp struct {
				Error *struct {
					Code int    `json:"code"`
					Data string `json:"data"`
				} `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil && tt.wantCode != 0 {
				t.Fatalf("response %q: %v", w.Body.String(), err)
			}
			if tt.wantCode == 0 {
				if resp.Error != nil || rec.count() != 1 {
					t.Fatalf("response %s, checks %d; want the call checked", w.Body.String(), rec.count())
				}
				return
			}
			if resp.Error == nil || resp.Error.Code != tt.wantCode || !strings.Contains(resp.Error.Data, "params.arguments") {
				t.Fatalf("response %s; want error %d naming params.arguments", w.Body.String(), tt.wantCode)
			}
			if n := rec.count(); n != 0 {
				t.Errorf("the decision point was asked %d times; want 0", n)
			}
		})
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestSessionIdleAndServerEnd: a binding unused past the idle bound is
// forgotten, but not while a request naming it is in flight; a 404 from the
// server ends the binding too.
func TestSessionIdleAndServerEnd(t *testing.T) {
	m, err := New(&recorder{}, &Options{
		Identity: HeaderIdentity("X-User", ""),
		Sessions: SessionOptions{IdleTimeout: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1e9, 0)
	m.sessions.now = func() time.Time { return now }

	serverSays := http.StatusOK
	release, started := make(chan struct{}), make(chan struct{})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderSessionID) == "" {
			w.Header().Set(HeaderSessionID, "s-"+r.Header.Get("X-User"))
		}
		if r.Method == http.MethodGet {
			w.WriteHeader(http.StatusOK)
			close(started)
			<-release
			return
		}
		w.WriteHeader(serverSays)
	}))
	do := func(method, sid string) int {
		r := httptest.NewRequest(method, "/", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`))
		if method != http.MethodPost {
			r = httptest.NewRequest(method, "/", nil)
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-User", "alice")
		if sid != "" {
			r.Header.Set(HeaderSessionID, sid)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := do(http.MethodPost, ""); code != http.StatusOK {
		t.Fatalf("initialize: %d", code)
	}
	now = now.Add(59 * time.Second)
	if code := do(http.MethodPost, "s-alice"); code != http.StatusOK {
		t.Fatalf("within the idle bound: %d, want 200", code)
	}
	// A long GET stream keeps the session alive past the bound.
	done := make(chan int)
	go func() { done <- do(http.MethodGet, "s-alice") }()
	<-started
	now = now.Add(10 * time.Minute)
	if code := do(http.MethodPost, "s-alice"); code != http.StatusOK {
		t.Fatalf("idle bound passed while a stream is open: %d, want 200", code)
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	now = now.Add(61 * time.Second)
	if code := do(http.MethodPost, "s-alice"); code != http.StatusNotFound {
		t.Fatalf("past the idle bound: %d, want 404", code)
	}

	// The server's 404 for a session ends its binding.
	if code := do(http.MethodPost, ""); code != http.StatusOK {
		t.Fatalf("initialize again: %d", code)
	}
	serverSays = http.StatusNotFound
	if code := do(http.MethodPost, "s-alice"); code != http.StatusNotFound {
		t.Fatalf("server 404: %d", code)
	}
	if _, ok := m.sessions.lru.Peek("s-alice"); ok {
		t.Error("binding kept after the server answered 404 for its session")
	}
}

func (a *recorder) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.checks)
}

// deadlineRecorder is a ResponseWriter that records the read deadlines set
// through http.ResponseController.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	mu        sync.Mutex
	deadlines []bool // true: a deadline was set; false: lifted
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deadlines = append(d.deadlines, !t.IsZero())
	return nil
}

// TestBodyReadDeadline: the middleware bounds the body read with a read
// deadline and lifts it after, and lifts it for GET streams.
func TestBodyReadDeadline(t *testing.T) {
	m, err := New(&recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(&echoHandler{})
	post := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(post, postJSON(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if diff := cmp.Diff([]bool{true, false}, post.deadlines); diff != "" {
		t.Errorf("POST read deadlines (set=true, lifted=false) (-want +got):\n%s", diff)
	}
	get := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/", nil))
	if diff := cmp.Diff([]bool{false}, get.deadlines); diff != "" {
		t.Errorf("GET read deadlines (-want +got):\n%s", diff)
	}
	off, err := New(&recorder{}, &Options{Limits: Limits{BodyReadTimeout: -1}})
	if err != nil {
		t.Fatal(err)
	}
	none := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	off.Handler(&echoHandler{}).ServeHTTP(none, postJSON(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if len(none.deadlines) != 0 {
		t.Errorf("deadlines with BodyReadTimeout -1: %v, want none", none.deadlines)
	}
}

// TestSlowBodyCut: a client that sends half a body and stalls is answered
// 408 once BodyReadTimeout passes, instead of holding the connection.
func TestSlowBodyCut(t *testing.T) {
	m, err := New(&recorder{}, &Options{Limits: Limits{BodyReadTimeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	reached := make(chan struct{}, 1)
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached <- struct{}{} })))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	// The client stalls; the server answers when the deadline passes.
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: status %d, want 408", resp.StatusCode)
	}
	select {
	case <-reached:
		t.Error("a stalled request reached the server")
	default:
	}
}

// TestSessionIDTooLongNotBound: a session id longer than the middleware
// binds is never bound, so every request naming it is refused, the
// creator's included (fail closed), and the binding table stays empty.
func TestSessionIDTooLongNotBound(t *testing.T) {
	m, err := New(&recorder{}, &Options{Identity: HeaderIdentity("X-User", "")})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("s", maxSessionIDLen+1)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderSessionID, long)
		w.WriteHeader(http.StatusOK)
	}))
	do := func(sid string) int {
		r := postJSON(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`)
		r.Header.Set("X-User", "alice")
		if sid != "" {
			r.Header.Set(HeaderSessionID, sid)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := do(""); code != http.StatusOK {
		t.Fatalf("initialize: %d", code)
	}
	if n := m.sessions.lru.Len(); n != 0 {
		t.Errorf("%d bindings after a %d-byte session id, want 0", n, len(long))
	}
	if code := do(long); code != http.StatusNotFound {
		t.Errorf("request naming the unbound long session: %d, want 404", code)
	}
}

// withBodyCap returns l with MaxBodyBytes set to n.
func withBodyCap(l Limits, n int64) Limits {
	l.MaxBodyBytes = n
	return l
}
