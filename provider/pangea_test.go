// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/internal/pangeaauthntest"
	"github.com/mcpauth/mcpauth/provider"
)

// pangeaOptions are the preset's options for the AuthN double, with the
// token check as the identity source.
func pangeaOptions(dbl *pangeaauthntest.Server) provider.PangeaOptions {
	return provider.PangeaOptions{
		IssuerURL:    dbl.URL,
		ClientID:     dbl.ClientID,
		ClientSecret: dbl.ClientSecret,
		Scopes:       []string{"user"},
		AuthNToken:   dbl.ServiceToken,
		AuthNBaseURL: dbl.URL,
	}
}

// pangeaCase starts an AuthN double with o and returns it with the
// preset's options for it, changed by edit when it is not nil.
func pangeaCase(t *testing.T, o pangeaauthntest.Options, edit func(*provider.PangeaOptions, *pangeaauthntest.Server)) (*pangeaauthntest.Server, provider.PangeaOptions) {
	t.Helper()
	dbl := pangeaauthntest.New(t, &o)
	po := pangeaOptions(dbl)
	if edit != nil {
		edit(&po, dbl)
	}
	return dbl, po
}

// pangeaEnv is a provider using the Pangea preset against the AuthN double,
// whose OAuth client gets the provider's callback as its redirect URI. The
// provider logs to logs when it is not nil.
func pangeaEnv(t *testing.T, dbl *pangeaauthntest.Server, po provider.PangeaOptions, logs ...*logBuffer) string {
	t.Helper()
	var hh handlerHolder
	srv := httptest.NewServer(&hh)
	t.Cleanup(srv.Close)
	o := &provider.Options{BaseURL: srv.URL, Upstream: provider.Pangea(po)}
	if len(logs) > 0 {
		o.Logger = slog.New(slog.NewTextHandler(logs[0], &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := provider.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	dbl.AllowRedirectURI(p.CallbackURL())
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
	return srv.URL
}

// pangeaLogin walks the whole login (registration, consent, AuthN, code
// exchange) and calls the MCP endpoint with the token. It returns the
// client's redirect parameters, and the principal and upstream token when
// the login succeeded.
func pangeaLogin(t *testing.T, base string) (redirect url.Values, principal map[string]any, upstreamToken string) {
	t.Helper()
	id := register(t, base, nil).str("client_id")
	pk := newPKCE()
	b := newBrowser(t)
	q := clientRedirectOf(t, b.consent(b.get(authorizeURL(base, id, pk, nil)), base, "approve"))
	if q.Get("code") == "" {
		return q, nil, ""
	}
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
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("MCP call: got %d", resp.StatusCode)
	}
	_ = json.NewDecoder(resp.Body).Decode(&principal)
	upstreamToken = resp.Header.Get("X-Upstream-Token")
	if strings.Contains(tok.str("access_token")+tok.str("refresh_token"), upstreamToken) {
		t.Errorf("the MCP client received the upstream token")
	}
	if status, _, _ := callMCP(t, base, upstreamToken); status != http.StatusUnauthorized {
		t.Errorf("Pangea token as bearer: got %d, want 401", status)
	}
	return q, principal, upstreamToken
}

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// paths returns "METHOD path" of the double's recorded requests.
func paths(dbl *pangeaauthntest.Server) []string {
	var out []string
	for _, r := range dbl.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// TestPangeaIdentityModes drives the full login against the strict AuthN
// double in every identity-resolution mode and with every form of access
// token, and checks who the grant says the user is and which AuthN calls
// it took.
func TestPangeaIdentityModes(t *testing.T) {
	const (
		authz = "GET /v2/oauth/authorize"
		tok   = "POST /v2/oauth/token"
		check = "POST /v2/client/token/check"
		jwks  = "POST /v2/client/jwks"
		info  = "GET /userinfo"
	)
	user := map[string]any{"subject": pangeaauthntest.DefaultUserID, "email": pangeaauthntest.DefaultUserEmail}
	tests := []struct {
		name     string
		dbl      pangeaauthntest.Options
		edit     func(*provider.PangeaOptions, *pangeaauthntest.Server)
		wantUser map[string]any // nil: no subject
		source   string
		calls    []string
	}{
		{
			name: "token check, opaque tokens (default sources)", source: provider.IdentitySourcePangeaTokenCheck, wantUser: user,
			calls: []string{authz, tok, check},
		},
		{
			name: "token check, JWT access tokens", dbl: pangeaauthntest.Options{AccessTokens: pangeaauthntest.TokenJWT},
			source: provider.IdentitySourcePangeaTokenCheck, wantUser: user, calls: []string{authz, tok, check},
		},
		{
			name:   "ID token, keys from AuthN's jwks (default sources with openid)",
			edit:   func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) { o.Scopes = []string{"openid", "user"} },
			source: provider.IdentitySourceIDToken, wantUser: user, calls: []string{authz, tok, jwks},
		},
		{
			name: "ID token, keys from a JWKS URL, no AuthN token",
			edit: func(o *provider.PangeaOptions, d *pangeaauthntest.Server) {
				keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(d.JWKS()) }))
				t.Cleanup(keys.Close)
				o.Scopes, o.AuthNToken, o.JWKSURL = []string{"openid"}, "", keys.URL
			},
			source: provider.IdentitySourceIDToken, wantUser: user, calls: []string{authz, tok},
		},
		{
			name: "userinfo", dbl: pangeaauthntest.Options{UserinfoPath: "/userinfo"},
			edit: func(o *provider.PangeaOptions, d *pangeaauthntest.Server) {
				o.UserinfoURL, o.Identity = d.URL+"/userinfo", []string{provider.IdentitySourceUserinfo}
			},
			source: provider.IdentitySourceUserinfo, wantUser: user, calls: []string{authz, tok, info},
		},
		{
			name: "none, tied to the client as pangea-authn-fastmcp does",
			edit: func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) {
				o.AuthNToken, o.Identity = "", []string{provider.IdentitySourceNone}
			},
			source: provider.IdentitySourceNone, calls: []string{authz, tok},
		},
		{
			name: "token check skipped for a foreign token, ID token decides",
			dbl:  pangeaauthntest.Options{AccessTokens: pangeaauthntest.TokenForeign},
			edit: func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) {
				o.Scopes, o.Identity = []string{"openid", "user"}, []string{provider.IdentitySourcePangeaTokenCheck, provider.IdentitySourceIDToken}
			},
			source: provider.IdentitySourceIDToken, wantUser: user, calls: []string{authz, tok, jwks},
		},
		{
			name: "ID token not granted, token check decides",
			edit: func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) {
				o.Identity = []string{provider.IdentitySourceIDToken, provider.IdentitySourcePangeaTokenCheck}
				o.Scopes = []string{"openid", "user"}
			},
			dbl:    pangeaauthntest.Options{WithholdScopes: []string{"openid"}},
			source: provider.IdentitySourcePangeaTokenCheck, wantUser: user, calls: []string{authz, tok, check},
		},
		{
			name: "foreign token and no other source: none",
			dbl:  pangeaauthntest.Options{AccessTokens: pangeaauthntest.TokenForeign},
			edit: func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) {
				o.Identity = []string{provider.IdentitySourcePangeaTokenCheck, provider.IdentitySourceNone}
			},
			source: provider.IdentitySourceNone, calls: []string{authz, tok},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbl, po := pangeaCase(t, tt.dbl, tt.edit)
			base := pangeaEnv(t, dbl, po)
			_, got, upstreamTok := pangeaLogin(t, base)
			want := map[string]any{"subject": "", "email": ""}
			if tt.wantUser != nil {
				want = tt.wantUser
			}
			want = map[string]any{"subject": want["subject"], "email": want["email"], "source": tt.source}
			if diff := cmp.Diff(want, map[string]any{"subject": got["subject"], "email": got["email"], "source": got["source"]}); diff != "" {
				t.Errorf("grant (-want +got):\n%s", diff)
			}
			if upstreamTok == "" {
				t.Errorf("the grant holds no upstream token")
			}
			if diff := cmp.Diff(tt.calls, paths(dbl)); diff != "" {
				t.Errorf("AuthN calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPangeaWire checks what the preset sends AuthN: the configured scope
// (as pangea-authn-fastmcp always does), our own state, S256 PKCE, a nonce
// only with openid, client_secret_basic, and the service token.
func TestPangeaWire(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		dbl := pangeaauthntest.New(t, nil)
		base := pangeaEnv(t, dbl, pangeaOptions(dbl))
		_, _, upstreamTok := pangeaLogin(t, base)
		reqs := dbl.Requests()
		az := reqs[0].Query
		if reqs[0].Path != "/v2/oauth/authorize" || az.Get("client_id") != dbl.ClientID || az.Get("redirect_uri") != base+"/pangea/callback" ||
			az.Get("response_type") != "code" || az.Get("scope") != "user" || az.Get("code_challenge_method") != "S256" || az.Get("code_challenge") == "" {
			t.Errorf("authorize request: got %s %v", reqs[0].Path, az)
		}
		if st := az.Get("state"); st == "" || st == "client-state-1" || !pangeaauthntest.StatePattern.MatchString(st) {
			t.Errorf("upstream state %q: want our own, of authn-callback-state's form", st)
		}
		if az.Has("resource") || az.Has("nonce") {
			t.Errorf("authorize request forwarded resource or sent a nonce without openid: %v", az)
		}
		tr := reqs[1]
		user, pass, ok := (&http.Request{Header: tr.Header}).BasicAuth()
		if !ok || user != dbl.ClientID || pass != dbl.ClientSecret || tr.Form.Get("code_verifier") == "" || tr.Form.Has("client_secret") {
			t.Errorf("token request: basic=%v %v", ok, tr.Form)
		}
		tc := reqs[2]
		if tc.Header.Get("Authorization") != "Bearer "+dbl.ServiceToken || string(tc.Body) != `{"token":"`+upstreamTok+`"}` {
			t.Errorf("token check: %q %s", tc.Header.Get("Authorization"), tc.Body)
		}
	})
	t.Run("openid and no PKCE", func(t *testing.T) {
		dbl := pangeaauthntest.New(t, nil)
		po := pangeaOptions(dbl)
		po.Scopes, po.DisablePKCE = []string{"user", "openid"}, true
		base := pangeaEnv(t, dbl, po)
		pangeaLogin(t, base)
		reqs := dbl.Requests()
		az := reqs[0].Query
		if az.Get("scope") != "user openid" || az.Get("nonce") == "" || az.Has("code_challenge") || az.Has("code_challenge_method") || reqs[1].Form.Has("code_verifier") {
			t.Errorf("authorize %v, token %v: want the scopes, a nonce and no PKCE", az, reqs[1].Form)
		}
	})
}

// TestPangeaIdentityFailures: a source that applies and fails, or no
// source applying, fails the login closed: the client gets server_error
// and no code.
func TestPangeaIdentityFailures(t *testing.T) {
	tests := []struct {
		name    string
		dbl     pangeaauthntest.Options
		edit    func(*provider.PangeaOptions, *pangeaauthntest.Server)
		wantLog string
	}{
		{"token check refuses the OAuth token", pangeaauthntest.Options{TokenCheckUnaware: true}, nil,
			"Pangea identity source pangea_token_check: pangea: /v2/client/token/check: ValidationError (HTTP 400): DoesNotExist at /token [prq_"},
		{"wrong service token", pangeaauthntest.Options{}, func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) {
			o.AuthNToken = "pts_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		}, "pangea: /v2/client/token/check: Unauthorized (HTTP 401)"},
		{"token check does not apply to a foreign token", pangeaauthntest.Options{AccessTokens: pangeaauthntest.TokenForeign}, nil,
			"no Pangea identity source applied to this login (pangea_token_check: the access token is not of a form the token check accepts (authn-token))"},
		{"ID token from another issuer", pangeaauthntest.Options{Issuer: "https://elsewhere.example"}, func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) {
			o.Scopes = []string{"openid"}
		}, "Pangea identity source id_token: issuer does not match"},
		{"ID token signed by an unknown key", pangeaauthntest.Options{}, func(o *provider.PangeaOptions, _ *pangeaauthntest.Server) {
			other := pangeaauthntest.New(t, nil)
			keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(other.JWKS()) }))
			t.Cleanup(keys.Close)
			o.Scopes, o.JWKSURL = []string{"openid"}, keys.URL
		}, "Pangea identity source id_token: invalid signature"},
		{"userinfo refuses", pangeaauthntest.Options{UserinfoPath: "/userinfo"}, func(o *provider.PangeaOptions, d *pangeaauthntest.Server) {
			o.UserinfoURL, o.Identity = d.URL+"/nothing-here", []string{provider.IdentitySourceUserinfo}
		}, "Pangea identity source userinfo: provider: upstream userinfo: status 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbl, po := pangeaCase(t, tt.dbl, tt.edit)
			var logs logBuffer
			q, principal, _ := pangeaLogin(t, pangeaEnv(t, dbl, po, &logs))
			if q.Get("error") != "server_error" || q.Get("code") != "" || principal != nil {
				t.Errorf("got %v, want server_error and no code", q)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs lack %q:\n%s", tt.wantLog, logs.String())
			}
			secrets := []string{dbl.ClientSecret, dbl.ServiceToken, po.AuthNToken}
			for _, r := range dbl.Requests() {
				var body struct{ Token string }
				if json.Unmarshal(r.Body, &body) == nil && body.Token != "" {
					secrets = append(secrets, body.Token)
				}
			}
			for _, sec := range secrets {
				if strings.Contains(logs.String(), sec) {
					t.Errorf("the logs hold a secret: %s", logs.String())
				}
			}
		})
	}
}

// TestPangeaConfigErrors: New names the missing or wrong setting.
func TestPangeaConfigErrors(t *testing.T) {
	ok := provider.PangeaOptions{IssuerURL: "https://pdn-x.login.aws.us.pangea.cloud", ClientID: "psa_x", ClientSecret: "pck_x", Scopes: []string{"user"}, AuthNToken: "pts_x"}
	tests := []struct {
		name string
		edit func(*provider.PangeaOptions)
		want string
	}{
		{"no issuer", func(o *provider.PangeaOptions) { o.IssuerURL = "" }, "PangeaOptions.IssuerURL is required"},
		{"no secret", func(o *provider.PangeaOptions) { o.ClientSecret = "" }, "PangeaOptions.ClientID and ClientSecret are required"},
		{"no scopes", func(o *provider.PangeaOptions) { o.Scopes = nil }, "PangeaOptions.Scopes is required"},
		{"bad scope", func(o *provider.PangeaOptions) { o.Scopes = []string{"a b"} }, `PangeaOptions.Scopes: "a b" is not an AuthN scope`},
		{"http issuer", func(o *provider.PangeaOptions) { o.IssuerURL = "http://pdn-x.login.aws.us.pangea.cloud" }, `PangeaOptions.IssuerURL "http://pdn-x.login.aws.us.pangea.cloud" must be an https URL`},
		{"http AuthN API", func(o *provider.PangeaOptions) { o.AuthNBaseURL = "http://authn.example.com" }, `PangeaOptions.AuthNBaseURL "http://authn.example.com" must be an https URL`},
		{"relative JWKS URL", func(o *provider.PangeaOptions) { o.JWKSURL = "/jwks" }, `PangeaOptions.JWKSURL "/jwks" must be an https URL`},
		{"http userinfo", func(o *provider.PangeaOptions) { o.UserinfoURL = "http://10.0.0.1/userinfo" }, `PangeaOptions.UserinfoURL "http://10.0.0.1/userinfo" must be an https URL`},
		{"no identity source (the old README snippet)", func(o *provider.PangeaOptions) { o.AuthNToken = "" }, "Pangea has no identity source: set PangeaOptions.AuthNToken"},
		{"empty identity list", func(o *provider.PangeaOptions) { o.Identity = []string{} }, "PangeaOptions.Identity is empty"},
		{"unknown source", func(o *provider.PangeaOptions) { o.Identity = []string{"email"} }, `unknown source "email"`},
		{"source twice", func(o *provider.PangeaOptions) { o.Identity = []string{"pangea_token_check", "pangea_token_check"} }, "lists \"pangea_token_check\" twice"},
		{"none not last", func(o *provider.PangeaOptions) { o.Identity = []string{"none", "pangea_token_check"} }, `"none" always applies, so it must come last`},
		{"id_token without openid", func(o *provider.PangeaOptions) { o.Identity = []string{"id_token"} }, `has "id_token" but Scopes lacks "openid"`},
		{"id_token without keys", func(o *provider.PangeaOptions) {
			o.Scopes, o.AuthNToken, o.Identity = []string{"openid"}, "", []string{"id_token"}
		}, "set PangeaOptions.AuthNToken (keys from AuthN's /v2/client/jwks) or JWKSURL"},
		{"userinfo without URL", func(o *provider.PangeaOptions) { o.Identity = []string{"userinfo"} }, `has "userinfo" but PangeaOptions.UserinfoURL is empty`},
		{"token check without token", func(o *provider.PangeaOptions) {
			o.AuthNToken, o.Identity = "", []string{"pangea_token_check"}
		}, `has "pangea_token_check" but PangeaOptions.AuthNToken is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			_, err := provider.New(&provider.Options{BaseURL: "https://mcp.example.com", Upstream: provider.Pangea(o)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if p, err := provider.New(&provider.Options{BaseURL: "https://mcp.example.com", Upstream: provider.Pangea(ok)}); err != nil {
		t.Errorf("valid options: %v", err)
	} else {
		_ = p.Close()
	}
}

func TestPangeaLoginFormAndErrors(t *testing.T) {
	dbl := pangeaauthntest.New(t, &pangeaauthntest.Options{Login: true})
	base := pangeaEnv(t, dbl, pangeaOptions(dbl))
	id := register(t, base, nil).str("client_id")

	t.Run("test login", func(t *testing.T) {
		pk := newPKCE()
		b := newBrowser(t)
		lp := b.consent(b.get(authorizeURL(base, id, pk, nil)), base, "approve")
		if lp.status != http.StatusOK || !strings.Contains(lp.body, `id="login"`) {
			t.Fatalf("got %d, want the AuthN test login page", lp.status)
		}
		f := lp.url.Query()
		f.Set("email", pangeaauthntest.DefaultUserEmail)
		f.Set("password", pangeaauthntest.DefaultUserPassword)
		q := clientRedirectOf(t, b.post(dbl.URL+"/v2/oauth/authorize", f))
		if tok := exchange(t, base, id, q.Get("code"), pk.verifier); tok.status != http.StatusOK {
			t.Errorf("exchange: got %d %v", tok.status, tok.body)
		}
	})
	t.Run("wrong password is relayed", func(t *testing.T) {
		b := newBrowser(t)
		lp := b.consent(b.get(authorizeURL(base, id, newPKCE(), nil)), base, "approve")
		f := lp.url.Query()
		f.Set("email", pangeaauthntest.DefaultUserEmail)
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
	t.Run("a scope the client may not request is relayed", func(t *testing.T) {
		d := pangeaauthntest.New(t, &pangeaauthntest.Options{Scopes: []string{"other"}})
		b := pangeaEnv(t, d, pangeaOptions(d))
		q, _, _ := pangeaLogin(t, b)
		if q.Get("error") != "server_error" || !strings.Contains(q.Get("error_description"), "invalid_scope") {
			t.Errorf("got %v, want the upstream's invalid_scope relayed as server_error", q)
		}
	})
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
