// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/internal/pangeaauthntest"
	"github.com/mcpauth/mcpauth/provider"
)

// pangeaEnv is a provider using the Pangea preset against the AuthN double.
func pangeaEnv(t *testing.T, dbl *pangeaauthntest.Server, checkToken bool) (string, *provider.Provider) {
	t.Helper()
	var hh handlerHolder
	srv := httptest.NewServer(&hh)
	t.Cleanup(srv.Close)
	po := provider.PangeaOptions{
		IssuerURL:    dbl.URL,
		ClientID:     dbl.ClientID,
		ClientSecret: dbl.ClientSecret,
		Scopes:       []string{"user"},
	}
	if checkToken {
		po.AuthNToken = dbl.ServiceToken
		po.AuthNBaseURL = dbl.URL
	}
	p, err := provider.New(&provider.Options{BaseURL: srv.URL, Upstream: provider.Pangea(po)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	mux := http.NewServeMux()
	p.Mount(mux)
	mux.Handle("/mcp", p.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ut, err := provider.UpstreamTokenFromContext(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("X-Upstream-Token", ut.AccessToken)
		echoPrincipal(w, r)
	})))
	hh.set(mux)
	return srv.URL, p
}

func TestPangeaPreset(t *testing.T) {
	dbl := pangeaauthntest.New(t, nil)
	base, _ := pangeaEnv(t, dbl, true)
	id := register(t, base, nil).str("client_id")
	pk := newPKCE()
	b := newBrowser(t)
	q := clientRedirectOf(t, b.consent(b.get(authorizeURL(base, id, pk, nil)), base, "approve"))
	tok := exchange(t, base, id, q.Get("code"), pk.verifier)
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: got %d %v", tok.status, tok.body)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+tok.str("access_token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&got)
	want := map[string]any{
		"client_id": id, "subject": "pui_testuser1", "email": "test-user@example.com",
		"source": provider.IdentitySourcePangeaTokenCheck, "scopes": []any{"mcp"}, "resource": base + "/mcp",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	upstreamTok := resp.Header.Get("X-Upstream-Token")
	if !strings.HasPrefix(upstreamTok, "ptu_") {
		t.Errorf("got upstream token %q, want the Pangea ptu_ token", upstreamTok)
	}
	// The Pangea token is never a valid MCP bearer token.
	if status, _, _ := callMCP(t, base, upstreamTok); status != http.StatusUnauthorized {
		t.Errorf("Pangea token as bearer: got %d, want 401", status)
	}
	if strings.Contains(tok.str("access_token")+tok.str("refresh_token"), upstreamTok) {
		t.Errorf("the MCP client received the upstream token")
	}

	reqs := dbl.Requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d AuthN requests, want authorize, token, token check", len(reqs))
	}
	az := reqs[0]
	if az.Path != "/v2/oauth/authorize" || az.Query.Get("client_id") != dbl.ClientID ||
		az.Query.Get("redirect_uri") != base+"/pangea/callback" || az.Query.Get("response_type") != "code" ||
		az.Query.Get("scope") != "user" || az.Query.Get("code_challenge_method") != "S256" || az.Query.Get("code_challenge") == "" {
		t.Errorf("authorize request: got %s %v", az.Path, az.Query)
	}
	if st := az.Query.Get("state"); st == "" || st == "client-state-1" {
		t.Errorf("upstream state %q: want our own random state, not the client's", st)
	}
	if az.Query.Has("resource") || az.Query.Has("nonce") {
		t.Errorf("authorize request forwarded resource or nonce: %v", az.Query)
	}
	tr := reqs[1]
	user, pass, ok := (&http.Request{Header: tr.Header}).BasicAuth()
	if tr.Path != "/v2/oauth/token" || !ok || user != dbl.ClientID || pass != dbl.ClientSecret ||
		tr.Form.Get("grant_type") != "authorization_code" || tr.Form.Get("redirect_uri") != base+"/pangea/callback" ||
		tr.Form.Get("code_verifier") == "" || tr.Form.Has("client_secret") {
		t.Errorf("token request: got %s basic=%v %v", tr.Path, ok, tr.Form)
	}
	tc := reqs[2]
	if tc.Path != "/v2/client/token/check" || tc.Header.Get("Authorization") != "Bearer "+dbl.ServiceToken || !strings.Contains(string(tc.Body), upstreamTok) {
		t.Errorf("token check: got %s %q %s", tc.Path, tc.Header.Get("Authorization"), tc.Body)
	}
}

func TestPangeaWithoutTokenCheck(t *testing.T) {
	dbl := pangeaauthntest.New(t, nil)
	base, _ := pangeaEnv(t, dbl, false)
	id := register(t, base, nil).str("client_id")
	pk := newPKCE()
	b := newBrowser(t)
	q := clientRedirectOf(t, b.consent(b.get(authorizeURL(base, id, pk, nil)), base, "approve"))
	tok := exchange(t, base, id, q.Get("code"), pk.verifier)
	status, _, body := callMCP(t, base, tok.str("access_token"))
	if status != http.StatusOK || !strings.Contains(body, `"source":"none"`) || !strings.Contains(body, `"subject":""`) {
		t.Errorf("got %d %s, want a grant without identity (source none)", status, body)
	}
}

func TestPangeaLoginFormAndErrors(t *testing.T) {
	dbl := pangeaauthntest.New(t, &pangeaauthntest.Options{Login: true})
	base, _ := pangeaEnv(t, dbl, true)
	id := register(t, base, nil).str("client_id")

	t.Run("test login", func(t *testing.T) {
		pk := newPKCE()
		b := newBrowser(t)
		lp := b.consent(b.get(authorizeURL(base, id, pk, nil)), base, "approve")
		if lp.status != http.StatusOK || !strings.Contains(lp.body, `id="login"`) {
			t.Fatalf("got %d, want the AuthN test login page", lp.status)
		}
		f := lp.url.Query()
		f.Set("email", "test-user@example.com")
		f.Set("password", "verysecure")
		q := clientRedirectOf(t, b.post(dbl.URL+"/v2/oauth/authorize", f))
		if tok := exchange(t, base, id, q.Get("code"), pk.verifier); tok.status != http.StatusOK {
			t.Errorf("exchange: got %d %v", tok.status, tok.body)
		}
	})
	t.Run("wrong password is relayed", func(t *testing.T) {
		b := newBrowser(t)
		lp := b.consent(b.get(authorizeURL(base, id, newPKCE(), nil)), base, "approve")
		f := lp.url.Query()
		f.Set("email", "test-user@example.com")
		f.Set("password", "wrong")
		q := clientRedirectOf(t, b.post(dbl.URL+"/v2/oauth/authorize", f))
		if q.Get("error") != "access_denied" || q.Get("state") != "client-state-1" {
			t.Errorf("got %v, want access_denied with the client's state", q)
		}
	})
	t.Run("upstream error is relayed", func(t *testing.T) {
		dbl.FailNextAuthorize("temporarily_unavailable")
		b := newBrowser(t)
		q := clientRedirectOf(t, b.consent(b.get(authorizeURL(base, id, newPKCE(), nil)), base, "approve"))
		if q.Get("error") != "temporarily_unavailable" {
			t.Errorf("got %v, want temporarily_unavailable", q)
		}
	})
}

func TestPangeaTokenCheckFailureIsRelayed(t *testing.T) {
	dbl := pangeaauthntest.New(t, nil)
	var hh handlerHolder
	srv := httptest.NewServer(&hh)
	t.Cleanup(srv.Close)
	p, err := provider.New(&provider.Options{BaseURL: srv.URL, Upstream: provider.Pangea(provider.PangeaOptions{
		IssuerURL: dbl.URL, ClientID: dbl.ClientID, ClientSecret: dbl.ClientSecret,
		AuthNToken: "pts_wrong", AuthNBaseURL: dbl.URL,
	})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	hh.set(p.Handler())
	id := register(t, srv.URL, nil).str("client_id")
	b := newBrowser(t)
	q := clientRedirectOf(t, b.consent(b.get(authorizeURL(srv.URL, id, newPKCE(), nil)), srv.URL, "approve"))
	if q.Get("error") != "server_error" || q.Get("code") != "" {
		t.Errorf("got %v, want server_error and no code", q)
	}
	if got := dbl.Requests()[2]; got.Path != "/v2/client/token/check" {
		t.Errorf("got %s, want the token check", got.Path)
	}
}

// TestOAuthModeWithUserinfo uses the static-endpoint OAuth mode (no
// discovery, no ID token verification) against the OP, with the identity
// from its userinfo endpoint.
func TestOAuthModeWithUserinfo(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) {
		op := o.Upstream.Issuer
		o.Upstream = provider.UpstreamOptions{
			ClientID:     upstreamClientID,
			ClientSecret: upstreamClientSecret,
			AuthURL:      op + "/auth",
			TokenURL:     op + "/oauth/token",
			UserinfoURL:  op + "/userinfo",
			AuthStyle:    "basic",
			Scopes:       []string{"openid", "email"},
		}
	})
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	status, _, body := callMCP(t, base, tok.str("access_token"))
	var got map[string]any
	_ = json.Unmarshal([]byte(body), &got)
	if status != http.StatusOK || got["subject"] != "id1" || got["email"] != "test-user@zitadel.ch" || got["source"] != provider.IdentitySourceUserinfo {
		t.Errorf("got %d %v, want subject id1 from userinfo", status, got)
	}
	if az := e.op.authRequests(); len(az) != 1 || az[0].Has("nonce") || az[0].Get("code_challenge_method") != "S256" {
		t.Errorf("got upstream requests %v, want one with PKCE and no nonce", az)
	}
}
