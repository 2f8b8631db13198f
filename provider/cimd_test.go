// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/provider"
)

// cimdHost serves client metadata documents over TLS and counts requests.
type cimdHost struct {
	srv   *httptest.Server
	hits  atomic.Int64   // HTTP requests
	conns atomic.Int64   // accepted TCP connections
	docs  map[string]any // path → document (string = raw body)
}

func newCIMDHost(t *testing.T) *cimdHost {
	t.Helper()
	h := &cimdHost{docs: map[string]any{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.hits.Add(1)
		doc, ok := h.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/redirect.json" {
			http.Redirect(w, r, "/client.json", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/nostore") {
			w.Header().Set("Cache-Control", "no-store")
		}
		if s, ok := doc.(string); ok {
			_, _ = w.Write([]byte(s))
			return
		}
		_ = json.NewEncoder(w).Encode(doc)
	}))
	h.srv.Listener = &countingListener{Listener: h.srv.Listener, n: &h.conns}
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

// countingListener counts accepted connections, to prove the SSRF guard
// refuses before connecting.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func (h *cimdHost) url(path string) string { return h.srv.URL + path }

func (h *cimdHost) tlsConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(h.srv.Certificate())
	return &tls.Config{RootCAs: pool}
}

func TestCIMDClient(t *testing.T) {
	h := newCIMDHost(t)
	id := h.url("/client.json")
	h.docs["/client.json"] = map[string]any{
		"client_id": id, "client_name": "Metadata Client", "redirect_uris": []string{clientRedirect},
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
	}
	e := newEnv(t, 1, func(o *provider.Options) {
		o.CIMD = provider.CIMDOptions{AllowPrivate: true, TLSConfig: h.tlsConfig()}
	})
	base := e.url(0)
	b := newBrowser(t)
	pk := newPKCE()
	cp := b.get(authorizeURL(base, id, pk, nil))
	if cp.status != http.StatusOK || !strings.Contains(cp.body, "Metadata Client") || !strings.Contains(cp.body, "127.0.0.1:1") {
		t.Fatalf("got %d, want the consent page naming the client and redirect host; body: %.300s", cp.status, cp.body)
	}
	q := clientRedirectOf(t, b.loginOP(b.consent(cp, base, "approve")))
	tok := exchange(t, base, id, q.Get("code"), pk.verifier)
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: got %d %v", tok.status, tok.body)
	}
	if next := refresh(t, base, id, tok.str("refresh_token")); next.status != http.StatusOK {
		t.Errorf("refresh: got %d %v", next.status, next.body)
	}
	if got := h.hits.Load(); got != 1 {
		t.Errorf("got %d document fetches, want 1 (cached)", got)
	}
}

func TestAttackCIMDMismatchedClientID(t *testing.T) {
	h := newCIMDHost(t)
	h.docs["/client.json"] = map[string]any{
		"client_id": h.url("/other.json"), "client_name": "Impostor", "redirect_uris": []string{clientRedirect},
	}
	e := newEnv(t, 1, func(o *provider.Options) {
		o.CIMD = provider.CIMDOptions{AllowPrivate: true, TLSConfig: h.tlsConfig()}
	})
	p := newBrowser(t).get(authorizeURL(e.url(0), h.url("/client.json"), newPKCE(), nil))
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Unknown client") {
		t.Errorf("got %d %.200s, want the 400 unknown client page", p.status, p.body)
	}
	if h.hits.Load() != 1 {
		t.Errorf("got %d fetches, want 1", h.hits.Load())
	}
}

func TestAttackCIMDPrivateAddress(t *testing.T) {
	h := newCIMDHost(t)
	for _, path := range []string{"/client.json"} {
		h.docs[path] = map[string]any{"client_id": h.url(path), "client_name": "Local", "redirect_uris": []string{clientRedirect}}
	}
	e := newEnv(t, 1, func(o *provider.Options) {
		// AllowPrivate is off: the guard must refuse loopback even though
		// the TLS certificate is trusted.
		o.CIMD = provider.CIMDOptions{TLSConfig: h.tlsConfig()}
	})
	port := h.srv.URL[strings.LastIndex(h.srv.URL, ":"):]
	for _, id := range []string{
		h.url("/client.json"),                       // a loopback literal
		"https://localhost" + port + "/client.json", // a name that resolves to loopback
		"https://[::1]" + port + "/client.json",
		"https://0.0.0.0" + port + "/client.json",
	} {
		p := newBrowser(t).get(authorizeURL(e.url(0), id, newPKCE(), nil))
		if p.status != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", id, p.status)
		}
	}
	if got := h.conns.Load(); got != 0 {
		t.Errorf("got %d connections to the private host, want 0", got)
	}
}

func TestCIMDRejectedDocuments(t *testing.T) {
	h := newCIMDHost(t)
	doc := func(path string, extra map[string]any) {
		d := map[string]any{"client_id": h.url(path), "client_name": "X", "redirect_uris": []string{clientRedirect}}
		for k, v := range extra {
			d[k] = v
		}
		h.docs[path] = d
	}
	doc("/secret.json", map[string]any{"token_endpoint_auth_method": "client_secret_basic"})
	doc("/noredirect.json", map[string]any{"redirect_uris": []string{}})
	doc("/badredirect.json", map[string]any{"redirect_uris": []string{"http://evil.example/cb"}})
	doc("/other-redirect.json", map[string]any{"redirect_uris": []string{"http://127.0.0.1:1/elsewhere"}})
	h.docs["/huge.json"] = `{"client_id":"` + h.url("/huge.json") + `","pad":"` + strings.Repeat("x", 70<<10) + `"}`
	h.docs["/notjson.json"] = "<html>"
	h.docs["/redirect.json"] = "redirect"
	e := newEnv(t, 1, func(o *provider.Options) {
		o.CIMD = provider.CIMDOptions{AllowPrivate: true, TLSConfig: h.tlsConfig()}
	})
	for _, path := range []string{"/secret.json", "/noredirect.json", "/badredirect.json", "/other-redirect.json", "/huge.json", "/notjson.json", "/redirect.json", "/missing.json", "/"} {
		t.Run(path, func(t *testing.T) {
			p := newBrowser(t).get(authorizeURL(e.url(0), h.url(path), newPKCE(), nil))
			if p.status != http.StatusBadRequest {
				t.Errorf("got %d, want 400", p.status)
			}
		})
	}
	t.Run("http client id", func(t *testing.T) {
		p := newBrowser(t).get(authorizeURL(e.url(0), strings.Replace(h.url("/secret.json"), "https", "http", 1), newPKCE(), nil))
		if p.status != http.StatusBadRequest {
			t.Errorf("got %d, want 400", p.status)
		}
	})
}

func TestCIMDCacheControl(t *testing.T) {
	h := newCIMDHost(t)
	id := h.url("/nostore.json")
	h.docs["/nostore.json"] = map[string]any{"client_id": id, "client_name": "No Store", "redirect_uris": []string{clientRedirect}}
	e := newEnv(t, 1, func(o *provider.Options) {
		o.CIMD = provider.CIMDOptions{AllowPrivate: true, TLSConfig: h.tlsConfig()}
	})
	for range 2 {
		if p := newBrowser(t).get(authorizeURL(e.url(0), id, newPKCE(), nil)); p.status != http.StatusOK {
			t.Fatalf("got %d, want the consent page", p.status)
		}
	}
	if got := h.hits.Load(); got != 2 {
		t.Errorf("got %d fetches of a no-store document, want 2", got)
	}
}

// TestCIMDFetchTimeout: a document host that never answers costs one
// Timeout, then the client is unknown.
func TestCIMDFetchTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	e := newEnv(t, 1, func(o *provider.Options) {
		o.CIMD = provider.CIMDOptions{AllowPrivate: true, TLSConfig: &tls.Config{RootCAs: pool}, Timeout: 200 * time.Millisecond}
	})
	p := newBrowser(t).get(authorizeURL(e.url(0), srv.URL+"/client.json", newPKCE(), nil))
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Unknown client") {
		t.Errorf("got %d, want the 400 unknown client page", p.status)
	}
}
