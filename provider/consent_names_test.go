// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/provider"
)

var (
	titleRE        = regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	headingRE      = regexp.MustCompile(`(?s)<h1>(.*?)</h1>`)
	verificationRE = regexp.MustCompile(`(?s)<p id="client-verification"[^>]*data-verified="(true|false)"[^>]*>(.*?)</p>`)
	tagRE          = regexp.MustCompile(`<[^>]*>`)
)

// pageText returns the text of the first match of re's last group in body,
// without tags and with entities decoded.
func pageText(re *regexp.Regexp, body string) (string, bool) {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(m[len(m)-1], ""))), " "), true
}

// TestAttackConsentBorrowedName: a dynamically registered client may call
// itself anything, "Claude" included; the consent page shows that name as
// the client's own, unverified claim, in the title, the heading and a
// marker, while an operator-configured client is shown as verified.
func TestAttackConsentBorrowedName(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) {
		o.Clients = append(o.Clients, provider.StaticClient{ID: "claude-desktop", Name: "Claude", RedirectURIs: []string{clientRedirect}})
	})
	base := e.url(0)
	impostor := register(t, base, map[string]any{
		"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "none", "client_name": "Claude",
	}).str("client_id")

	tests := []struct {
		name, clientID string
		verified       bool
	}{
		{"dynamic client", impostor, false},
		{"static client", "claude-desktop", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newBrowser(t).get(authorizeURL(base, tt.clientID, newPKCE(), nil))
			if p.status != http.StatusOK {
				t.Fatalf("got %d, want the consent page", p.status)
			}
			if !strings.Contains(p.body, `id="client-name">Claude<`) {
				t.Errorf("the page does not show the name Claude in #client-name")
			}
			m := verificationRE.FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("the page has no #client-verification marker; body: %.600s", p.body)
			}
			if got := m[1] == "true"; got != tt.verified {
				t.Errorf("got data-verified=%s, want %v", m[1], tt.verified)
			}
			title, _ := pageText(titleRE, p.body)
			heading, _ := pageText(headingRE, p.body)
			marker, _ := pageText(verificationRE, p.body)
			for where, text := range map[string]string{"title": title, "heading": heading, "marker": marker} {
				if got := strings.Contains(strings.ToLower(text), "unverified"); got == tt.verified {
					t.Errorf("%s %q: says unverified = %v, want %v", where, text, got, !tt.verified)
				}
			}
			if !tt.verified && !strings.Contains(marker, "chose this name") {
				t.Errorf("marker %q does not say the application chose the name itself", marker)
			}
			if tt.verified && (title != "Authorize Claude" || heading != "Authorize Claude?") {
				t.Errorf("got title %q and heading %q, want the plain name", title, heading)
			}
		})
	}
}

// TestConsentCIMDNameUnverified: a Client ID Metadata Document's name is
// the document author's claim; only the host serving it is checked.
func TestConsentCIMDNameUnverified(t *testing.T) {
	h := newCIMDHost(t)
	id := h.url("/client.json")
	h.docs["/client.json"] = map[string]any{"client_id": id, "client_name": "Claude", "redirect_uris": []string{clientRedirect}}
	e := newEnv(t, 1, func(o *provider.Options) {
		o.CIMD = provider.CIMDOptions{AllowPrivate: true, TLSConfig: h.tlsConfig()}
	})
	p := newBrowser(t).get(authorizeURL(e.url(0), id, newPKCE(), nil))
	m := verificationRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || m[1] != "false" {
		t.Fatalf("got %d and marker %q, want the consent page with data-verified=false", p.status, m)
	}
	marker, _ := pageText(verificationRE, p.body)
	if host := strings.TrimPrefix(h.srv.URL, "https://"); !strings.Contains(marker, host) {
		t.Errorf("marker %q does not name the document's host %s", marker, host)
	}
}
