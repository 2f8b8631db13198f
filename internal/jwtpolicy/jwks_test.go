// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a manually advanced clock.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock() *clock { return &clock{t: testNow} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// keyServer serves a JWKS document that tests can replace, and counts
// requests.
type keyServer struct {
	*httptest.Server
	requests atomic.Int32
	mu       sync.Mutex // guards status and body
	status   int
	body     []byte
}

func newKeyServer(t *testing.T, jwks ...map[string]any) *keyServer {
	t.Helper()
	s := &keyServer{status: http.StatusOK}
	s.setKeys(t, jwks...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *keyServer) setKeys(t *testing.T, jwks ...map[string]any) {
	t.Helper()
	if jwks == nil {
		jwks = []map[string]any{}
	}
	body, err := json.Marshal(map[string]any{"keys": jwks})
	if err != nil {
		t.Fatal(err)
	}
	s.set(http.StatusOK, body)
}

func (s *keyServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *keyServer) count() int { return int(s.requests.Load()) }

func newJWKSVerifier(t *testing.T, url string, c *clock) *Verifier {
	t.Helper()
	set, err := NewJWKS(JWKSOptions{URL: url, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return newVerifier(t, Config{Keys: set, Algorithms: AsymmetricAlgorithms(), Now: c.Now})
}

func TestJWKSKeySelection(t *testing.T) {
	k := keys(t)
	srv := newKeyServer(t,
		jwkOf(t, "rsa", "RS256", &k.rsa.PublicKey),
		jwkOf(t, "ec", "", &k.p256.PublicKey),
		jwkOf(t, "ed", "EdDSA", k.ed.Public()),
		map[string]any{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
	)
	claims := map[string]any{"sub": "alice"}
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"RSA by kid", sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256", "kid": "rsa"}, claims), nil},
		{"EC by kid", sign(t, "ES256", k.p256, map[string]any{"alg": "ES256", "kid": "ec"}, claims), nil},
		{"Ed25519 by kid", sign(t, "EdDSA", k.ed, map[string]any{"alg": "EdDSA", "kid": "ed"}, claims), nil},
		{"EC without kid, only P-256 key", sign(t, "ES256", k.p256, map[string]any{"alg": "ES256"}, claims), nil},
		{"RS256 without kid, only RSA key", sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256"}, claims), nil},
		{"kid names a key of another type", sign(t, "ES256", k.p256, map[string]any{"alg": "ES256", "kid": "rsa"}, claims), ErrKeyMismatch},
		{"kid names a key pinned to another alg", sign(t, "PS256", k.rsa, map[string]any{"alg": "PS256", "kid": "rsa"}, claims), ErrKeyMismatch},
		{"symmetric key in the set is never used", sign(t, "HS256", []byte("secret"), map[string]any{"alg": "HS256", "kid": "hmac"}, claims), ErrAlgorithm},
		{"signed by another key under a known kid", sign(t, "RS256", k.rsa2, map[string]any{"alg": "RS256", "kid": "rsa"}, claims), ErrSignature},
		{"unknown kid", sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256", "kid": "nope"}, claims), ErrNoKey},
	}
	v := newJWKSVerifier(t, srv.URL, newClock())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token)
			if tt.want == nil && err != nil {
				t.Fatalf("Verify: got %v, want success", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify: got %v, want %v", err, tt.want)
			}
		})
	}
	if got := srv.count(); got != 1 {
		t.Errorf("JWKS requests: got %d, want 1 (the unknown kid came within the refetch interval of the first fetch)", got)
	}
}

func TestJWKSMissingKidWithSeveralKeys(t *testing.T) {
	k := keys(t)
	srv := newKeyServer(t, jwkOf(t, "a", "", &k.rsa.PublicKey), jwkOf(t, "b", "", &k.rsa2.PublicKey))
	v := newJWKSVerifier(t, srv.URL, newClock())
	tok := sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256"}, map[string]any{"sub": "a"})
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrAmbiguousKey) {
		t.Fatalf("Verify: got %v, want %v", err, ErrAmbiguousKey)
	}
}

func TestJWKSCacheAndRotation(t *testing.T) {
	k := keys(t)
	c := newClock()
	srv := newKeyServer(t, jwkOf(t, "old", "", &k.rsa.PublicKey))
	v := newJWKSVerifier(t, srv.URL, c)
	ctx := context.Background()
	oldTok := sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256", "kid": "old"}, map[string]any{"sub": "a"})
	newTok := sign(t, "ES256", k.p256, map[string]any{"alg": "ES256", "kid": "new"}, map[string]any{"sub": "a"})

	step := func(name string, tok string, wantErr error, wantRequests int) {
		t.Helper()
		_, err := v.Verify(ctx, tok)
		switch {
		case wantErr == nil && err != nil:
			t.Errorf("%s: got %v, want success", name, err)
		case wantErr != nil && !errors.Is(err, wantErr):
			t.Errorf("%s: got %v, want %v", name, err, wantErr)
		}
		if got := srv.count(); got != wantRequests {
			t.Errorf("%s: JWKS requests: got %d, want %d", name, got, wantRequests)
		}
	}
	step("first use fetches", oldTok, nil, 1)
	step("cached", oldTok, nil, 1)
	c.Advance(9 * time.Minute)
	step("still cached before refresh", oldTok, nil, 1)

	// The server rotates: "new" replaces "old".
	srv.setKeys(t, jwkOf(t, "new", "", &k.p256.PublicKey))
	step("old key still cached", oldTok, nil, 1)
	step("unknown kid refetches", newTok, nil, 2)
	step("old key gone after refetch", oldTok, ErrNoKey, 2)
	step("new key cached", newTok, nil, 2)

	c.Advance(10 * time.Minute)
	step("refresh after the interval", newTok, nil, 3)
	step("no refetch right after", newTok, nil, 3)
}

func TestJWKSUnknownKidRateLimit(t *testing.T) {
	k := keys(t)
	c := newClock()
	srv := newKeyServer(t, jwkOf(t, "a", "", &k.rsa.PublicKey))
	v := newJWKSVerifier(t, srv.URL, c)
	ctx := context.Background()
	good := sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256", "kid": "a"}, map[string]any{"sub": "a"})
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatal(err)
	}
	forged := func(i int) string {
		return sign(t, "RS256", k.rsa2, map[string]any{"alg": "RS256", "kid": "forged-" + strings.Repeat("x", i)}, map[string]any{"sub": "a"})
	}
	for i := range 50 {
		if _, err := v.Verify(ctx, forged(i)); !errors.Is(err, ErrNoKey) {
			t.Fatalf("forged kid %d: got %v, want %v", i, err, ErrNoKey)
		}
		c.Advance(time.Second)
	}
	// 50 s after the first fetch: no refetch yet.
	if got := srv.count(); got != 1 {
		t.Fatalf("JWKS requests after 50 unknown kids in 50 s: got %d, want 1", got)
	}
	c.Advance(10 * time.Second)
	for i := range 50 {
		if _, err := v.Verify(ctx, forged(i)); !errors.Is(err, ErrNoKey) {
			t.Fatalf("forged kid %d: got %v, want %v", i, err, ErrNoKey)
		}
	}
	if got := srv.count(); got != 2 {
		t.Fatalf("JWKS requests after the minimum interval: got %d, want 2", got)
	}
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatalf("known key after refetches: %v", err)
	}
}

func TestJWKSFailureKeepsKeys(t *testing.T) {
	k := keys(t)
	c := newClock()
	srv := newKeyServer(t, jwkOf(t, "a", "", &k.rsa.PublicKey))
	v := newJWKSVerifier(t, srv.URL, c)
	ctx := context.Background()
	good := sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256", "kid": "a"}, map[string]any{"sub": "a"})
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatal(err)
	}
	failures := []struct {
		name   string
		status int
		body   []byte
	}{
		{"server error", http.StatusInternalServerError, []byte(`{"keys":[]}`)},
		{"not JSON", http.StatusOK, []byte(`<html>`)},
		{"no usable keys", http.StatusOK, []byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)},
		{"oversized", http.StatusOK, append(append([]byte(`{"keys":[],"pad":"`), bytes.Repeat([]byte("x"), MaxJWKSSize)...), `"}`...)},
	}
	want := 1
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			srv.set(f.status, f.body)
			c.Advance(11 * time.Minute) // keys are stale: a refresh is due
			if _, err := v.Verify(ctx, good); err != nil {
				t.Fatalf("Verify with a failed refresh: got %v, want success with the old key", err)
			}
			want++
			if got := srv.count(); got != want {
				t.Fatalf("JWKS requests: got %d, want %d", got, want)
			}
			// Stale keys and a failed refresh: no new attempt within the
			// minimum interval.
			c.Advance(30 * time.Second)
			if _, err := v.Verify(ctx, good); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := srv.count(); got != want {
				t.Fatalf("JWKS requests within the minimum interval: got %d, want %d", got, want)
			}
		})
	}
}

func TestJWKSNeverFetched(t *testing.T) {
	k := keys(t)
	c := newClock()
	srv := newKeyServer(t)
	srv.set(http.StatusNotFound, nil)
	v := newJWKSVerifier(t, srv.URL, c)
	tok := sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256", "kid": "a"}, map[string]any{"sub": "a"})
	_, err := v.Verify(context.Background(), tok)
	if !errors.Is(err, ErrNoKey) || !errors.Is(err, ErrJWKSFetch) {
		t.Fatalf("Verify: got %v, want %v and %v", err, ErrNoKey, ErrJWKSFetch)
	}
	srv.setKeys(t, jwkOf(t, "a", "", &k.rsa.PublicKey))
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrNoKey) || srv.count() != 1 {
		t.Fatalf("Verify within the minimum interval: got %v after %d requests, want %v after 1", err, srv.count(), ErrNoKey)
	}
	c.Advance(time.Minute)
	if _, err := v.Verify(context.Background(), tok); err != nil || srv.count() != 2 {
		t.Fatalf("Verify after the minimum interval: got %v after %d requests, want success after 2", err, srv.count())
	}
}

// gatedTransport answers JWKS requests only when released.
type gatedTransport struct {
	calls   atomic.Int32
	release chan struct{}
	body    []byte
}

func (g *gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	g.calls.Add(1)
	select {
	case <-g.release:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(g.body)),
		Request:    r,
	}, nil
}

func TestJWKSConcurrentFetchesCoalesce(t *testing.T) {
	k := keys(t)
	body, err := json.Marshal(map[string]any{"keys": []any{jwkOf(t, "a", "", &k.rsa.PublicKey)}})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256", "kid": "a"}, map[string]any{"sub": "a"})
	synctest.Test(t, func(t *testing.T) {
		gate := &gatedTransport{release: make(chan struct{}), body: body}
		set, err := NewJWKS(JWKSOptions{URL: "https://keys.example/jwks", Client: &http.Client{Transport: gate}})
		if err != nil {
			t.Fatal(err)
		}
		v := newVerifier(t, Config{Keys: set, Algorithms: []string{"RS256"}, Now: time.Now})

		// One caller gives up while waiting; the fetch must still serve
		// the others.
		impatient, cancel := context.WithCancel(context.Background())
		const callers = 20
		errs := make(chan error, callers)
		for i := range callers {
			ctx := context.Background()
			if i == 0 {
				ctx = impatient
			}
			go func() {
				_, err := v.Verify(ctx, tok)
				errs <- err
			}()
		}
		synctest.Wait() // every caller is blocked on the one fetch
		if got := gate.calls.Load(); got != 1 {
			t.Fatalf("fetches in flight: got %d, want 1", got)
		}
		cancel()
		synctest.Wait()
		close(gate.release)
		var failed []string
		for range callers {
			if err := <-errs; err != nil {
				failed = append(failed, err.Error())
			}
		}
		// Only the cancelled caller may fail, and only with its own
		// context error.
		if len(failed) > 1 || (len(failed) == 1 && failed[0] != context.Canceled.Error()) {
			t.Fatalf("failures: got %q, want at most one %q", failed, context.Canceled)
		}
		if got := gate.calls.Load(); got != 1 {
			t.Fatalf("fetches: got %d, want 1", got)
		}
	})
}

func TestParseJWKS(t *testing.T) {
	k := keys(t)
	notOnCurve := jwkOf(t, "bad-point", "", &k.p256.PublicKey)
	notOnCurve["y"] = notOnCurve["x"]
	tests := []struct {
		name        string
		key         map[string]any
		wantKey     bool
		wantSkipped string
	}{
		{"RSA", jwkOf(t, "r", "RS256", &k.rsa.PublicKey), true, ""},
		{"P-256", jwkOf(t, "p256", "ES256", &k.p256.PublicKey), true, ""},
		{"P-384", jwkOf(t, "p384", "", &k.p384.PublicKey), true, ""},
		{"P-521", jwkOf(t, "p521", "ES512", &k.p521.PublicKey), true, ""},
		{"Ed25519", jwkOf(t, "ed", "", k.ed.Public()), true, ""},
		{"padded members", func() map[string]any {
			m := jwkOf(t, "ed", "", k.ed.Public())
			m["x"] = m["x"].(string) + "="
			return m
		}(), true, ""},
		{"symmetric", map[string]any{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}, false, `key 0 (kid "s"): unsupported kty "oct"`},
		{"encryption key", func() map[string]any { m := jwkOf(t, "enc", "", &k.rsa.PublicKey); m["use"] = "enc"; return m }(), false, `key 0 (kid "enc"): use "enc" is not sig`},
		{"weak RSA", jwkOf(t, "weak", "", &k.rsa1k.PublicKey), false, `key 0 (kid "weak"): jwt: RSA public key has 1024 bits, fewer than 2048`},
		{"even exponent", func() map[string]any { m := jwkOf(t, "e", "", &k.rsa.PublicKey); m["e"] = "Ag"; return m }(), false, `key 0 (kid "e"): bad e`},
		{"point not on curve", notOnCurve, false, `key 0 (kid "bad-point"): invalid EC key, X/Y are not on declared curve`},
		{"short coordinate", func() map[string]any { m := jwkOf(t, "c", "", &k.p256.PublicKey); m["x"] = "AAAA"; return m }(), false, `key 0 (kid "c"): invalid EC public key, wrong length for x`},
		{"unknown curve", func() map[string]any { m := jwkOf(t, "c", "", &k.p256.PublicKey); m["crv"] = "secp256k1"; return m }(), false, `key 0 (kid "c"): unsupported crv "secp256k1"`},
		{"X25519", map[string]any{"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AAAA"}, false, `key 0 (kid "x"): unsupported crv "X25519"`},
		{"alg does not fit", jwkOf(t, "m", "ES384", &k.p256.PublicKey), false, `key 0 (kid "m"): alg "ES384" does not fit the key ([ES256])`},
		{"HMAC alg on RSA key", jwkOf(t, "h", "HS256", &k.rsa.PublicKey), false, `key 0 (kid "h"): unsupported alg "HS256"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(map[string]any{"keys": []any{tt.key}})
			if err != nil {
				t.Fatal(err)
			}
			got, skipped, err := ParseJWKS(data)
			if tt.wantKey {
				if err != nil || len(got) != 1 || len(skipped) != 0 {
					t.Fatalf("ParseJWKS: got %d keys, skipped %q, error %v; want 1 key", len(got), skipped, err)
				}
				if got[0].ID != tt.key["kid"] {
					t.Errorf("kid: got %q, want %q", got[0].ID, tt.key["kid"])
				}
				return
			}
			if !errors.Is(err, ErrJWKSFetch) {
				t.Errorf("ParseJWKS error: got %v, want %v", err, ErrJWKSFetch)
			}
			if diff := cmp.Diff([]string{tt.wantSkipped}, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}
