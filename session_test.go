// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// reachLog records the requests that reached the MCP server.
type reachLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *reachLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.seen = append(l.seen, r.Method+" "+r.Header.Get(mcpauth.HeaderSessionID))
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *reachLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// sessionMode is one identity configuration and how a user presents a
// credential in it.
type sessionMode struct {
	name string
	opts mcpauth.Options
	// outer wraps the middleware (context mode's authentication layer).
	outer func(http.Handler) http.Handler
	// cred returns the headers that identify user.
	cred func(t *testing.T, user string) http.Header
	// badCred, when set, is a credential the mode rejects.
	badCred http.Header
	// anonymous is false in modes where every request has an identity.
	anonymous bool
}

const sessionSecret = "a session test secret of 32 bytes or more"

func sessionModes() []sessionMode {
	header := func(name string) func(*testing.T, string) http.Header {
		return func(_ *testing.T, user string) http.Header { return http.Header{name: {user}} }
	}
	return []sessionMode{
		{
			name:      "header",
			opts:      mcpauth.Options{Identity: mcpauth.HeaderIdentity("X-User", "")},
			cred:      header("X-User"),
			anonymous: true,
		},
		{
			name: "jwt",
			opts: mcpauth.Options{Identity: mcpauth.JWTIdentity(mcpauth.JWTOptions{Secret: []byte(sessionSecret)})},
			cred: func(t *testing.T, user string) http.Header {
				tok := hs256(t, sessionSecret, map[string]any{"sub": user, "exp": time.Now().Add(time.Hour).Unix()})
				return http.Header{"Authorization": {"Bearer " + tok}}
			},
			badCred:   http.Header{"Authorization": {"Bearer " + "e30.e30.AAAA"}},
			anonymous: true,
		},
		{
			name: "context",
			opts: mcpauth.Options{Identity: mcpauth.ContextIdentity()},
			outer: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if u := r.Header.Get("X-Principal"); u != "" {
						r = r.WithContext(mcpauth.ContextWithPrincipal(r.Context(), &mcpauth.Principal{Subject: u}))
					}
					h.ServeHTTP(w, r)
				})
			},
			cred:      header("X-Principal"),
			anonymous: true,
		},
		{
			name: "custom",
			opts: mcpauth.Options{Identity: mcpauth.FuncIdentity(func(r *http.Request) (*mcpauth.Identity, error) {
				k := r.Header.Get("X-Api-Key")
				if !strings.HasPrefix(k, "key-") {
					return nil, mcpauth.ErrUnauthenticated
				}
				return &mcpauth.Identity{User: mcpauth.User{Key: strings.TrimPrefix(k, "key-")}}, nil
			})},
			cred:      func(_ *testing.T, user string) http.Header { return http.Header{"X-Api-Key": {"key-" + user}} },
			anonymous: true,
		},
		{
			// Fixed identity: every request is user "client"; the tenant
			// tells owners apart.
			name:  "fixed with tenant header",
			opts:  mcpauth.Options{Tenant: mcpauth.TenantOptions{Header: "X-Tenant"}},
			cred:  header("X-Tenant"),
			outer: nil,
		},
	}
}

// sessionRig is a stateful go-sdk server behind the middleware.
type sessionRig struct {
	t       *testing.T
	url     string
	reached *reachLog
	mw      *mcpauth.Middleware
}

func newSessionRig(t *testing.T, mode sessionMode, opts mcpauth.Options) *sessionRig {
	t.Helper()
	mw, err := mcpauth.New(mcpauth.AuthorizerFunc(func(context.Context, mcpauth.Check) (bool, error) { return true, nil }), &opts)
	if err != nil {
		t.Fatal(err)
	}
	server := newMCPServer(&toolLog{}, nil)
	reached := &reachLog{}
	var h http.Handler = mw.Handler(reached.wrap(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	if mode.outer != nil {
		h = mode.outer(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &sessionRig{t: t, url: srv.URL, reached: reached, mw: mw}
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// do sends one request and returns its status, its session header, and
// whether it reached the server. For GET it returns as soon as the stream's
// headers arrive.
func (s *sessionRig) do(method, sid, body string, cred http.Header) (status int, newSID string, reached bool) {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var req *http.Request
	var err error
	if body != "" {
		req, err = http.NewRequestWithContext(ctx, method, s.url, strings.NewReader(body))
	} else {
		req, err = http.NewRequestWithContext(ctx, method, s.url, nil)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range cred {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		req.Header.Set(mcpauth.HeaderSessionID, sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	before := s.reached.count()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get(mcpauth.HeaderSessionID), s.reached.count() > before
}

// open initializes a session with cred and returns its id.
func (s *sessionRig) open(cred http.Header) string {
	s.t.Helper()
	status, sid, _ := s.do(http.MethodPost, "", initBody, cred)
	if status != http.StatusOK || sid == "" {
		s.t.Fatalf("initialize: status %d, session %q", status, sid)
	}
	return sid
}

// attempt is a request that names a session.
type attempt struct {
	name, method, body string
}

var sessionAttempts = []attempt{
	{"request", http.MethodPost, `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`},
	{"bypassed request", http.MethodPost, `{"jsonrpc":"2.0","id":8,"method":"ping"}`},
	{"notification", http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
	{"response", http.MethodPost, `{"jsonrpc":"2.0","id":99,"result":{}}`},
	{"stream", http.MethodGet, ""},
	{"put", http.MethodPut, ""},
	{"patch", http.MethodPatch, ""},
	{"head", http.MethodHead, ""},
	{"delete", http.MethodDelete, ""},
}

// TestSessionBoundToCreator: in every identity mode, a session the server
// creates serves only the identity that created it. Another identity, or a
// request without a credential, naming it gets 404 and never reaches the
// server, whatever the HTTP method and JSON-RPC message kind.
func TestSessionBoundToCreator(t *testing.T) {
	for _, mode := range sessionModes() {
		t.Run(mode.name, func(t *testing.T) {
			rig := newSessionRig(t, mode, mode.opts)
			alice, bob := mode.cred(t, "alice"), mode.cred(t, "bob")
			sid := rig.open(alice)

			type outcome struct {
				Status  int
				Reached bool
			}
			got := map[string]outcome{}
			want := map[string]outcome{}
			for _, a := range sessionAttempts {
				status, _, reached := rig.do(a.method, sid, a.body, bob)
				got["bob "+a.name] = outcome{status, reached}
				want["bob "+a.name] = outcome{http.StatusNotFound, false}
				if !mode.anonymous {
					continue
				}
				status, _, reached = rig.do(a.method, sid, a.body, nil)
				got["nobody "+a.name] = outcome{status, reached}
				switch a.method {
				case http.MethodPost:
					want["nobody "+a.name] = outcome{http.StatusNotFound, false}
				default:
					// Identified before the session is looked at.
					want["nobody "+a.name] = outcome{http.StatusUnauthorized, false}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("requests naming alice's session (-want +got):\n%s", diff)
			}

			// Alice herself is served, by every method.
			for _, a := range sessionAttempts {
				if a.method == http.MethodDelete {
					continue
				}
				status, _, reached := rig.do(a.method, sid, a.body, alice)
				if !reached || status == http.StatusNotFound || status == http.StatusUnauthorized {
					t.Errorf("alice %s in her session: status %d, reached %v; want served", a.name, status, reached)
				}
			}
			// Her DELETE ends the session and its binding.
			if status, _, reached := rig.do(http.MethodDelete, sid, "", alice); !reached || status/100 != 2 {
				t.Fatalf("alice DELETE: status %d, reached %v", status, reached)
			}
			if status, _, reached := rig.do(http.MethodPost, sid, `{"jsonrpc":"2.0","id":9,"method":"ping"}`, alice); status != http.StatusNotFound || reached {
				t.Errorf("alice after DELETE: status %d, reached %v; want 404 from the middleware", status, reached)
			}
		})
	}
}

// TestAnonymousSessionStaysAnonymous: a session opened without a credential
// cannot be adopted by a token, and serves credential-less requests.
func TestAnonymousSessionStaysAnonymous(t *testing.T) {
	for _, mode := range sessionModes() {
		if !mode.anonymous {
			continue
		}
		t.Run(mode.name, func(t *testing.T) {
			rig := newSessionRig(t, mode, mode.opts)
			sid := rig.open(nil)
			ping := `{"jsonrpc":"2.0","id":3,"method":"ping"}`
			if status, _, reached := rig.do(http.MethodPost, sid, ping, mode.cred(t, "alice")); status != http.StatusNotFound || reached {
				t.Errorf("alice in an anonymous session: status %d, reached %v; want 404, not reached", status, reached)
			}
			if status, _, reached := rig.do(http.MethodPost, sid, ping, nil); status != http.StatusOK || !reached {
				t.Errorf("anonymous ping in the anonymous session: status %d, reached %v; want 200", status, reached)
			}
			// A checked method still needs an identity.
			if status, _, reached := rig.do(http.MethodPost, sid, `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, nil); status != http.StatusUnauthorized || reached {
				t.Errorf("anonymous tools/list: status %d, reached %v; want 401", status, reached)
			}
		})
	}
}

// TestBadCredentialOnBypassedMethod: a presented credential is verified even
// on methods that need no check.
func TestBadCredentialOnBypassedMethod(t *testing.T) {
	for _, mode := range sessionModes() {
		if mode.badCred == nil {
			continue
		}
		t.Run(mode.name, func(t *testing.T) {
			rig := newSessionRig(t, mode, mode.opts)
			for _, body := range []string{initBody, `{"jsonrpc":"2.0","id":2,"method":"ping"}`, `{"jsonrpc":"2.0","method":"notifications/initialized"}`} {
				if status, _, reached := rig.do(http.MethodPost, "", body, mode.badCred); status != http.StatusUnauthorized || reached {
					t.Errorf("%s with a bad credential: status %d, reached %v; want 401", body, status, reached)
				}
			}
		})
	}
}

// TestUnknownSession: a session id the middleware never saw bound is
// refused, like the server refuses one it does not know; so is one that
// went idle past the bound, and one evicted by the size bound.
func TestUnknownSession(t *testing.T) {
	mode := sessionModes()[0]
	alice := mode.cred(t, "alice")
	t.Run("never seen", func(t *testing.T) {
		rig := newSessionRig(t, mode, mode.opts)
		if status, _, reached := rig.do(http.MethodPost, "made-up", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, alice); status != http.StatusNotFound || reached {
			t.Errorf("made-up session: status %d, reached %v", status, reached)
		}
	})
	t.Run("evicted", func(t *testing.T) {
		opts := mode.opts
		opts.Sessions.MaxSessions = 2
		rig := newSessionRig(t, mode, opts)
		first := rig.open(alice)
		rig.open(alice)
		rig.open(alice)
		if status, _, reached := rig.do(http.MethodPost, first, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, alice); status != http.StatusNotFound || reached {
			t.Errorf("evicted session: status %d, reached %v", status, reached)
		}
	})
	t.Run("two session headers", func(t *testing.T) {
		rig := newSessionRig(t, mode, mode.opts)
		sid := rig.open(alice)
		cred := alice.Clone()
		cred[mcpauth.HeaderSessionID] = []string{sid, "other"}
		// do adds the first value again; the request carries three.
		if status, _, reached := rig.do(http.MethodPost, "", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, cred); status != http.StatusBadRequest || reached {
			t.Errorf("two session headers: status %d, reached %v; want 400", status, reached)
		}
	})
}

// TestOptionsUntouched: CORS preflight reaches the server without identity.
func TestOptionsUntouched(t *testing.T) {
	mode := sessionModes()[1] // jwt
	rig := newSessionRig(t, mode, mode.opts)
	if _, _, reached := rig.do(http.MethodOptions, "", "", nil); !reached {
		t.Error("OPTIONS did not reach the server")
	}
	// Every other method is identified first.
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodHead, "TRACE", "PROPFIND"} {
		if status, _, reached := rig.do(m, "", "", nil); status != http.StatusUnauthorized || reached {
			t.Errorf("%s without a credential: status %d, reached %v; want 401", m, status, reached)
		}
	}
}

// TestSessionCheckFromCheck: Middleware.Check refuses another identity's
// session as Handler does.
func TestSessionCheckFromCheck(t *testing.T) {
	mode := sessionModes()[0]
	rig := newSessionRig(t, mode, mode.opts)
	sid := rig.open(mode.cred(t, "alice"))
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := httptest.NewRequest(method, "/", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-User", "bob")
		r.Header.Set(mcpauth.HeaderSessionID, sid)
		d, err := rig.mw.Check(r)
		if !errors.Is(err, mcpauth.ErrUnknownSession) || d.Allowed {
			t.Errorf("%s Check of bob in alice's session = %+v, %v; want ErrUnknownSession", method, d, err)
		}
	}
}

// TestManySessionsBounded: bindings never exceed MaxSessions.
func TestManySessionsBounded(t *testing.T) {
	mode := sessionModes()[0]
	opts := mode.opts
	opts.Sessions.MaxSessions = 5
	rig := newSessionRig(t, mode, opts)
	var sids []string
	for i := 0; i < 12; i++ {
		sids = append(sids, rig.open(mode.cred(t, "u"+strconv.Itoa(i))))
	}
	served := 0
	for i, sid := range sids {
		if status, _, _ := rig.do(http.MethodPost, sid, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, mode.cred(t, "u"+strconv.Itoa(i))); status == http.StatusOK {
			served++
		}
	}
	if served != 5 {
		t.Errorf("sessions still bound after 12 opened with MaxSessions 5: %d, want 5", served)
	}
}

// hs256 signs claims as an HS256 JWT with secret.
func hs256(t *testing.T, secret string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
