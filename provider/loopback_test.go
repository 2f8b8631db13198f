// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/provider"
)

// hostileLoopback are plain-http redirect URIs on hosts that look like
// loopback but are not: a code sent there travels in clear text to another
// machine.
var hostileLoopback = []string{
	"http://127.evil.example/cb",
	"http://127.0.0.1.nip.io/cb",
	"http://127.0.0.1.evil.example:8080/cb",
	"http://localhost.evil.example/cb",
	"http://localhost./cb",
	"http://127.1/cb",
	"http://0x7f.1/cb",
	"http://2130706433/cb",
	"http://[::ffff:127.0.0.1]/cb",
	"http://[::1%25lo]/cb",
	"http://127.0.0.1@evil.example/cb",
}

// TestAttackLoopbackLookalikeRegistration: dynamic registration refuses
// every look-alike with invalid_redirect_uri and accepts real loopback.
func TestAttackLoopbackLookalikeRegistration(t *testing.T) {
	// More registrations than one address may make by default.
	e := newEnv(t, 1, func(o *provider.Options) { o.Registration.PerAddressPerMinute = -1 })
	base := e.url(0)
	for _, u := range hostileLoopback {
		t.Run(u, func(t *testing.T) {
			res := register(t, base, map[string]any{"redirect_uris": []string{u}, "token_endpoint_auth_method": "none"})
			if res.status != http.StatusBadRequest || res.str("error") != "invalid_redirect_uri" {
				t.Errorf("got %d %v, want 400 invalid_redirect_uri", res.status, res.body)
			}
		})
	}
	for _, u := range []string{"http://127.0.0.1:1/cb", "http://[::1]:1/cb", "http://localhost:1/cb", "http://LOCALHOST:1/cb"} {
		if res := register(t, base, map[string]any{"redirect_uris": []string{u}, "token_endpoint_auth_method": "none"}); res.status != http.StatusCreated {
			t.Errorf("%s: got %d %v, want 201", u, res.status, res.body)
		}
	}
}

// TestAttackLoopbackLookalikeStaticClient: a look-alike in a static
// client's redirect URIs is a configuration error.
func TestAttackLoopbackLookalikeStaticClient(t *testing.T) {
	for _, u := range hostileLoopback {
		p, err := provider.New(&provider.Options{
			BaseURL:  "https://mcp.example.com",
			Upstream: provider.UpstreamOptions{Issuer: "https://idp.example", ClientID: "c"},
			Clients:  []provider.StaticClient{{ID: "static", RedirectURIs: []string{u}}},
		})
		if err == nil {
			p.Close()
			t.Errorf("%s: New accepted the static client", u)
		}
	}
}

// TestAttackLoopbackLookalikeBaseURL: http BaseURLs are allowed only on a
// loopback host.
func TestAttackLoopbackLookalikeBaseURL(t *testing.T) {
	up := provider.UpstreamOptions{Issuer: "https://idp.example", ClientID: "c"}
	for _, base := range []string{
		"http://127.evil.example", "http://127.0.0.1.nip.io:8080", "http://localhost.", "http://127.1",
		"http://[::ffff:127.0.0.1]", "http://127.0.0.1@evil.example", "https://user@mcp.example.com",
	} {
		p, err := provider.New(&provider.Options{BaseURL: base, Upstream: up})
		if err == nil {
			p.Close()
			t.Errorf("BaseURL %q: accepted", base)
		}
	}
	for _, base := range []string{"http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080", "http://LOCALHOST:8080"} {
		p, err := provider.New(&provider.Options{BaseURL: base, Upstream: up})
		if err != nil {
			t.Errorf("BaseURL %q: %v", base, err)
			continue
		}
		p.Close()
	}
}

// TestAttackLoopbackLookalikeCIMD: a client metadata document with a
// look-alike redirect URI describes no usable client.
func TestAttackLoopbackLookalikeCIMD(t *testing.T) {
	h := newCIMDHost(t)
	for i, u := range hostileLoopback {
		path := "/lookalike-" + string(rune('a'+i)) + ".json"
		h.docs[path] = map[string]any{"client_id": h.url(path), "client_name": "Look-alike", "redirect_uris": []string{u}}
	}
	e := newEnv(t, 1, func(o *provider.Options) {
		o.CIMD = provider.CIMDOptions{AllowPrivate: true, TLSConfig: h.tlsConfig()}
	})
	for i, u := range hostileLoopback {
		path := "/lookalike-" + string(rune('a'+i)) + ".json"
		p := newBrowser(t).get(authorizeURL(e.url(0), h.url(path), newPKCE(), map[string][]string{"redirect_uri": {u}}))
		if p.status != http.StatusBadRequest || strings.Contains(p.body, "csrf_token") {
			t.Errorf("%s: got %d, want 400 and no consent page", u, p.status)
		}
	}
}

// TestAttackLoopbackLookalikeStoredClient: a client registered before the
// loopback check was fixed (its record is in a shared store) gets no
// consent page for a look-alike redirect URI, and the page never calls such
// a host "this computer".
func TestAttackLoopbackLookalikeStoredClient(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	rec, _ := json.Marshal(map[string]any{
		"client_id": "legacy", "token_endpoint_auth_method": "none", "client_name": "Legacy",
		"redirect_uris": []string{"http://127.evil.example/cb"}, "grant_types": []string{"authorization_code"},
		"scopes": []string{"mcp:tools"}, "kind": "dynamic",
	})
	if err := e.store.Set(context.Background(), "mcpauth/provider/client/legacy", rec, time.Hour); err != nil {
		t.Fatal(err)
	}
	p := newBrowser(t).get(authorizeURL(base, "legacy", newPKCE(), map[string][]string{"redirect_uri": {"http://127.evil.example/cb"}}))
	if p.status != http.StatusBadRequest || strings.Contains(p.body, "csrf_token") || strings.Contains(p.body, "this computer") {
		t.Errorf("got %d, want 400 and no consent page; body: %.300s", p.status, p.body)
	}
}

// TestConsentLoopbackText: the consent page says "on this computer" only
// for a loopback redirect URI.
func TestConsentLoopbackText(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	loop := register(t, base, nil).str("client_id")
	remote := register(t, base, map[string]any{"redirect_uris": []string{"https://app.example/cb"}, "token_endpoint_auth_method": "none"}).str("client_id")
	if p := newBrowser(t).get(authorizeURL(base, loop, newPKCE(), nil)); !strings.Contains(p.body, "this computer") {
		t.Errorf("loopback redirect: the page does not say the result stays on this computer")
	}
	p := newBrowser(t).get(authorizeURL(base, remote, newPKCE(), map[string][]string{"redirect_uri": {"https://app.example/cb"}}))
	if p.status != http.StatusOK || strings.Contains(p.body, "this computer") {
		t.Errorf("remote redirect: got %d, and the page says this computer: %v", p.status, strings.Contains(p.body, "this computer"))
	}
}
