// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

//go:build linux

package provider_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/provider"
)

// TestConsentPageInChromium drives the real consent page in headless
// Chromium: it checks what the page shows, clicks approve (then logs in at
// the OP) and deny with real mouse events, and checks what reaches the
// client's redirect URI.
func TestConsentPageInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	c := startChromium(t, ctx)

	e := newEnv(t, 1, nil)
	base := e.url(0)
	var (
		mu       sync.Mutex
		received []url.Values
	)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			mu.Lock()
			received = append(received, r.URL.Query())
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!DOCTYPE html><title>client callback</title><p>done</p>"))
	}))
	t.Cleanup(cb.Close)
	redirect := cb.URL + "/callback"
	reg := register(t, base, map[string]any{
		"redirect_uris": []string{redirect}, "token_endpoint_auth_method": "none",
		"client_name": "Browser Test Client", "scope": "mcp:tools",
	})
	id := reg.str("client_id")
	last := func() url.Values {
		mu.Lock()
		defer mu.Unlock()
		if len(received) == 0 {
			return nil
		}
		return received[len(received)-1]
	}
	text := func(sel string) string {
		t.Helper()
		var s string
		if err := c.eval(ctx, `document.querySelector(`+jsString(sel)+`).textContent`, &s); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(s)
	}
	location := func() string {
		t.Helper()
		var s string
		if err := c.eval(ctx, `location.href`, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("approve", func(t *testing.T) {
		pk := newPKCE()
		if err := c.navigate(ctx, authorizeURL(base, id, pk, url.Values{"redirect_uri": {redirect}, "scope": {"mcp:tools"}})); err != nil {
			t.Fatal(err)
		}
		if got := text("#client-name"); got != "Browser Test Client" {
			t.Errorf("got client name %q, want Browser Test Client", got)
		}
		if got, want := text("#redirect-host"), strings.TrimPrefix(cb.URL, "http://"); got != want {
			t.Errorf("got redirect host %q, want %q", got, want)
		}
		if got := text("#scopes"); got != "mcp:tools" {
			t.Errorf("got scopes %q, want mcp:tools", got)
		}
		if err := c.click(ctx, "#approve"); err != nil {
			t.Fatal(err)
		}
		if loc := location(); !strings.HasPrefix(loc, e.op.URL+"/login/username") {
			t.Fatalf("after approve got %s, want the OP login page", loc)
		}
		login := `document.getElementById("username").value = ` + jsString("test-user@127.0.0.1") +
			`; document.getElementById("password").value = "verysecure"; true`
		if err := c.eval(ctx, login, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.click(ctx, `button[type="submit"]`); err != nil {
			t.Fatal(err)
		}
		if loc := location(); !strings.HasPrefix(loc, redirect) {
			t.Fatalf("after login got %s, want the client's redirect URI", loc)
		}
		q := last()
		if q.Get("code") == "" || q.Get("state") != "client-state-1" || q.Get("iss") != base {
			t.Fatalf("client received %v, want code, state and iss", q)
		}
		tok := postForm(t, base+provider.PathToken, url.Values{
			"grant_type": {"authorization_code"}, "client_id": {id}, "code": {q.Get("code")},
			"redirect_uri": {redirect}, "code_verifier": {pk.verifier},
		}, "", "")
		if tok.status != http.StatusOK || tok.str("scope") != "mcp:tools" {
			t.Errorf("exchange: got %d %v", tok.status, tok.body)
		}
	})

	t.Run("deny", func(t *testing.T) {
		if err := c.navigate(ctx, authorizeURL(base, id, newPKCE(), url.Values{"redirect_uri": {redirect}})); err != nil {
			t.Fatal(err)
		}
		if err := c.click(ctx, "#deny"); err != nil {
			t.Fatal(err)
		}
		if loc := location(); !strings.HasPrefix(loc, redirect) {
			t.Fatalf("after deny got %s, want the client's redirect URI", loc)
		}
		q := last()
		if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != "client-state-1" {
			t.Errorf("client received %v, want error access_denied and no code", q)
		}
	})

	// visibleText returns the rendered text of the element matched by sel,
	// or "" if it is missing or not visible.
	visibleText := func(sel string) string {
		t.Helper()
		var s string
		expr := `(() => { const e = document.querySelector(` + jsString(sel) + `); if (!e) return "";
			const st = getComputedStyle(e), r = e.getBoundingClientRect();
			if (st.display === "none" || st.visibility !== "visible" || Number(st.opacity) === 0 || r.width === 0 || r.height === 0) return "";
			return e.innerText; })()`
		if err := c.eval(ctx, expr, &s); err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(s), " ")
	}

	t.Run("self-chosen name is marked unverified", func(t *testing.T) {
		impostor := register(t, base, map[string]any{
			"redirect_uris": []string{redirect}, "token_endpoint_auth_method": "none", "client_name": "Claude",
		}).str("client_id")
		if err := c.navigate(ctx, authorizeURL(base, impostor, newPKCE(), url.Values{"redirect_uri": {redirect}})); err != nil {
			t.Fatal(err)
		}
		if got := text("#client-name"); got != "Claude" {
			t.Errorf("got client name %q, want Claude", got)
		}
		if h1 := visibleText("h1"); !strings.Contains(strings.ToLower(h1), "unverified") || !strings.Contains(h1, "Claude") {
			t.Errorf("got heading %q, want it to call the name Claude unverified", h1)
		}
		if m := visibleText("#client-verification"); !strings.Contains(m, "Unverified") || !strings.Contains(m, "chose this name") {
			t.Errorf("got verification marker %q, want a visible unverified notice", m)
		}
		var title string
		if err := c.eval(ctx, `document.title`, &title); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.ToLower(title), "unverified") {
			t.Errorf("got title %q, want it to say unverified", title)
		}
	})

	t.Run("operator's client is shown as verified", func(t *testing.T) {
		if err := c.navigate(ctx, authorizeURL(base, "static-public", newPKCE(), nil)); err != nil {
			t.Fatal(err)
		}
		if h1 := visibleText("h1"); h1 != "Authorize Static Public?" {
			t.Errorf("got heading %q, want Authorize Static Public?", h1)
		}
		if m := visibleText("#client-verification"); m == "" || strings.Contains(strings.ToLower(m), "unverified") {
			t.Errorf("got verification marker %q, want a visible verified notice", m)
		}
		if body := visibleText("body"); strings.Contains(strings.ToLower(body), "unverified") {
			t.Errorf("the page of a configured client says unverified: %q", body)
		}
	})

	t.Run("framing is refused", func(t *testing.T) {
		// A same-origin page frames the consent page next to a frameable
		// control page; the browser must refuse to render the consent page
		// (X-Frame-Options DENY, frame-ancestors 'none').
		consentURL := authorizeURL(base, id, newPKCE(), url.Values{"redirect_uri": {redirect}})
		e.extra.HandleFunc("/test/framer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<!DOCTYPE html><iframe id="f" src="` + consentURL + `"></iframe><iframe id="g" src="/test/control"></iframe>`))
		})
		e.extra.HandleFunc("/test/control", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<!DOCTYPE html><button id="approve">control</button>`))
		})
		if err := c.navigate(ctx, base+"/test/framer"); err != nil {
			t.Fatal(err)
		}
		rendered := func(frame string) bool {
			t.Helper()
			var ok bool
			expr := `(() => { try { const d = document.getElementById(` + jsString(frame) + `).contentDocument; return !!(d && d.getElementById("approve")); } catch (e) { return false; } })()`
			if err := c.eval(ctx, expr, &ok); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !rendered("g") {
			t.Fatal("the control page did not render in its frame; the check cannot work")
		}
		if rendered("f") {
			t.Error("the consent page rendered inside a frame")
		}
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "<", `\x3c`)
	return `"` + r.Replace(s) + `"`
}
