// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redistest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// replicaHeader picks the replica that serves a request in these tests;
// without it, replica "a" does.
const replicaHeader = "X-Test-Replica"

// replicas is a load balancer whose requests the test steers, in front of
// provider instances that share one Redis (each through a client of its
// own) and nothing else but the encryption key.
type replicas struct {
	t     *testing.T
	srv   *redisserver.Server
	key   []byte
	front *httptest.Server
	op    *providertest.OP

	mu       sync.Mutex // guards handlers
	handlers map[string]http.Handler
}

func newReplicas(t *testing.T, srv *redisserver.Server) *replicas {
	r := &replicas{t: t, srv: srv, key: make([]byte, 32), handlers: map[string]http.Handler{}}
	_, _ = rand.Read(r.key)
	r.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := req.Header.Get(replicaHeader)
		if name == "" {
			name = "a"
		}
		r.mu.Lock()
		h := r.handlers[name]
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.front.Close)
	r.op = providertest.StartOP(t, r.front.URL+provider.DefaultCallbackPath)
	return r
}

// add starts replica name on a store of its own. notifier nil means the
// store's own (the provider finds it); deaf hides the store's Notifier.
func (r *replicas) add(name string, notifier repository.Notifier, deaf bool) {
	t := r.t
	var store repository.Store = newStore(t, r.srv.URL(), "coherence")
	if deaf {
		store = storeOnly{store, store.(repository.Taker)}
	}
	p, err := provider.New(&provider.Options{
		BaseURL:       r.front.URL,
		Store:         store,
		Notifier:      notifier,
		EncryptionKey: r.key,
		Upstream:      r.op.Upstream(),
		TokenCacheTTL: time.Hour, // only a message can make a replica forget a token
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	mux := http.NewServeMux()
	p.Mount(mux)
	mux.Handle("/mcp", p.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		g, _ := provider.GrantFromContext(req.Context())
		_, _ = io.WriteString(w, g.Subject)
	})))
	r.mu.Lock()
	r.handlers[name] = mux
	r.mu.Unlock()
}

// storeOnly hides every ability of a store but Taker.
type storeOnly struct {
	repository.Store
	repository.Taker
}

// call calls the MCP endpoint on one replica and returns the status.
func (r *replicas) call(replica, token string) int {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.front.URL+"/mcp", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(replicaHeader, replica)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// post posts a form (or JSON) to replica a and decodes the JSON answer.
func (r *replicas) post(path, contentType, body string) (int, map[string]any) {
	r.t.Helper()
	resp, err := http.Post(r.front.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// login registers a public client and logs in through replica a, and
// returns the client id and the token response.
func (r *replicas) login() (clientID string, tok map[string]any) {
	t := r.t
	_, reg := r.post(provider.PathRegister, "application/json",
		`{"redirect_uris":["`+providertest.ClientRedirect+`"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}`)
	clientID, _ = reg["client_id"].(string)
	verifier, challenge := providertest.PKCE()
	q, err := providertest.NewBrowser().Authorize(r.front.URL, providertest.AuthorizeURL(r.front.URL, clientID, challenge, r.front.URL+"/mcp"))
	if err != nil || clientID == "" {
		t.Fatalf("login: client %q, %v", clientID, err)
	}
	_, tok = r.post(provider.PathToken, "application/x-www-form-urlencoded", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {q.Get("code")},
		"redirect_uri": {providertest.ClientRedirect}, "code_verifier": {verifier}, "resource": {r.front.URL + "/mcp"},
	}.Encode())
	if tok["access_token"] == nil || tok["refresh_token"] == nil {
		t.Fatalf("token exchange: %v", tok)
	}
	return clientID, tok
}

// revoke revokes a token at replica a (RFC 7009).
func (r *replicas) revoke(clientID, token, hint string) {
	r.t.Helper()
	status, body := r.post(provider.PathRevoke, "application/x-www-form-urlencoded", url.Values{
		"client_id": {clientID}, "token": {token}, "token_type_hint": {hint},
	}.Encode())
	if status != http.StatusOK {
		r.t.Fatalf("revoke: %d %v", status, body)
	}
}

// TestRevocationReachesEveryReplica: a token revoked on replica a is
// refused by replica b, which had it in a verified-token cache with an
// hour to go, once b has handled the revocation message from Redis (the
// recorder reports it: no sleeping, no clock); then the same for a whole
// grant revoked through its refresh token; then, after Redis is killed and
// restarted, b has subscribed again by itself and the next revocation
// reaches it too. Replica c, whose store hides the Notifier, keeps
// accepting a revoked token from its cache, as every replica did before.
func TestRevocationReachesEveryReplica(t *testing.T) {
	srv := redisserver.Start(t, &redisserver.Options{Args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	r := newReplicas(t, srv)
	recB := repositorytest.NewRecorder(newStore(t, srv.URL(), "coherence"))
	r.add("a", nil, false)
	r.add("b", recB, false)
	r.add("c", nil, true)
	recB.WaitFor(t, provider.NotifyTopic, "", true) // b's subscription is in place

	clientID, tok := r.login()
	at, rt := tok["access_token"].(string), tok["refresh_token"].(string)
	for _, rep := range []string{"b", "c"} {
		if got := r.call(rep, at); got != http.StatusOK {
			t.Fatalf("replica %s, before the revocation: got %d, want 200", rep, got)
		}
	}
	r.revoke(clientID, at, "access_token")
	recB.WaitFor(t, provider.NotifyTopic, "access ", false)
	if got := r.call("b", at); got != http.StatusUnauthorized {
		t.Errorf("replica b, after the revocation message: got %d, want 401", got)
	}
	if got := r.call("c", at); got != http.StatusOK {
		t.Errorf("replica c (no Notifier), within its cache TTL: got %d, want 200 from its cache", got)
	}

	// A refresh-token revocation revokes the whole grant.
	_, next := r.post(provider.PathToken, "application/x-www-form-urlencoded", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {rt},
	}.Encode())
	at2, rt2 := next["access_token"].(string), next["refresh_token"].(string)
	if got := r.call("b", at2); got != http.StatusOK {
		t.Fatalf("replica b, refreshed token: got %d %v", got, next)
	}
	r.revoke(clientID, rt2, "refresh_token")
	recB.WaitFor(t, provider.NotifyTopic, "grant ", false)
	if got := r.call("b", at2); got != http.StatusUnauthorized {
		t.Errorf("replica b, after the grant's revocation message: got %d, want 401", got)
	}

	// Redis goes away and comes back (with its data: appendfsync always).
	// b hears the break (a gap: it drops its cache), subscribes again by
	// itself (another gap), and then hears revocations as before.
	client3, tok3 := r.login()
	at3 := tok3["access_token"].(string)
	srv.Kill()
	recB.WaitFor(t, provider.NotifyTopic, "", true)
	srv.Restart()
	recB.WaitFor(t, provider.NotifyTopic, "", true)
	if got := r.call("b", at3); got != http.StatusOK {
		t.Fatalf("replica b, after the restart: got %d, want 200", got)
	}
	r.revoke(client3, at3, "")
	recB.WaitFor(t, provider.NotifyTopic, "access ", false)
	if got := r.call("b", at3); got != http.StatusUnauthorized {
		t.Errorf("replica b, revocation after the restart: got %d, want 401", got)
	}
}

// countingAuthz allows everything and counts its calls.
type countingAuthz struct {
	mu    sync.Mutex // guards calls
	calls int
}

func (a *countingAuthz) Allowed(context.Context, mcpauth.Check) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	return true, nil
}

func (a *countingAuthz) AllowedBulk(_ context.Context, cs []mcpauth.Check) ([]bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	out := make([]bool, len(cs))
	for i := range out {
		out[i] = true
	}
	return out, nil
}

// asked sends one tools/call as user through m and reports whether the
// authorizer was asked (a cache miss).
func asked(t *testing.T, m *mcpauth.Middleware, authz *countingAuthz, user string) bool {
	t.Helper()
	authz.mu.Lock()
	before := authz.calls
	authz.mu.Unlock()
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("X-User", user)
	w := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("%s: got %d", user, w.Code)
	}
	authz.mu.Lock()
	defer authz.mu.Unlock()
	return authz.calls > before
}

// TestPurgeReachesEveryReplica: Middleware.Purge and InvalidateUser on one
// instance empty the decision caches of the others through Redis.
func TestPurgeReachesEveryReplica(t *testing.T) {
	srv := redisserver.Start(t, nil)
	recB := repositorytest.NewRecorder(newStore(t, srv.URL(), "decisions"))
	newMW := func(n repository.Notifier, authz mcpauth.Authorizer) *mcpauth.Middleware {
		m, err := mcpauth.New(authz, &mcpauth.Options{
			Identity: mcpauth.HeaderIdentity("X-User", ""),
			Notifier: n,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	authzB := &countingAuthz{}
	a := newMW(newStore(t, srv.URL(), "decisions"), &countingAuthz{})
	b := newMW(recB, authzB)
	recB.WaitFor(t, mcpauth.NotifyTopic, "", true)

	for _, u := range []string{"alice", "bob"} {
		asked(t, b, authzB, u)
		if asked(t, b, authzB, u) {
			t.Fatalf("%s's second call was not answered by b's cache", u)
		}
	}
	a.InvalidateUser("alice")
	recB.WaitFor(t, mcpauth.NotifyTopic, "user alice", false)
	if !asked(t, b, authzB, "alice") {
		t.Errorf("b still answers alice from its cache after InvalidateUser on a")
	}
	if asked(t, b, authzB, "bob") {
		t.Errorf("InvalidateUser(alice) on a dropped bob's decision on b")
	}
	a.Purge()
	recB.WaitFor(t, mcpauth.NotifyTopic, "purge", false)
	if n := b.Stats().Entries; n != 0 {
		t.Errorf("b holds %d decisions after Purge on a, want 0", n)
	}
}
