// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeaauthntest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/internal/pangeaauthntest"
	"github.com/mcpauth/mcpauth/internal/pangeawire"
)

const redirect = "http://127.0.0.1:1/cb"

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func newServer(t *testing.T, o *pangeaauthntest.Options) *pangeaauthntest.Server {
	t.Helper()
	if o == nil {
		o = &pangeaauthntest.Options{}
	}
	o.RedirectURIs = append(o.RedirectURIs, redirect)
	return pangeaauthntest.New(t, o)
}

// authorizeQuery is a valid authorization request.
func authorizeQuery(s *pangeaauthntest.Server) url.Values {
	return url.Values{"client_id": {s.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "state": {"state-0123456789"}, "scope": {"user"}}
}

// authorize sends q and returns the status, the redirect's query (nil
// without a redirect) and the JSON body (nil with one).
func authorize(t *testing.T, s *pangeaauthntest.Server, q url.Values) (int, url.Values, map[string]any) {
	t.Helper()
	resp, err := noFollow.Get(s.URL + "/v2/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if loc, err := resp.Location(); err == nil {
		return resp.StatusCode, loc.Query(), nil
	}
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, nil, m
}

func token(t *testing.T, s *pangeaauthntest.Server, form url.Values, id, secret string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return doJSON(t, req)
}

// doJSON sends req and decodes the JSON object it answers with.
func doJSON(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

type envelope = pangeawire.Answer

func service(t *testing.T, s *pangeaauthntest.Server, path, serviceToken, body string) (int, envelope) {
	t.Helper()
	a, err := pangeawire.Post(t.Context(), http.DefaultClient, s.URL+path, serviceToken, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Complete() {
		t.Errorf("%s: incomplete envelope %+v", path, a)
	}
	return a.HTTP, a
}

func check(t *testing.T, s *pangeaauthntest.Server, tok string) (int, envelope) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"token": tok})
	return service(t, s, "/v2/client/token/check", s.ServiceToken, string(b))
}

// login runs an auto-approved code flow with PKCE and returns the token
// response.
func login(t *testing.T, s *pangeaauthntest.Server, scope string) map[string]any {
	t.Helper()
	verifier := strings.Repeat("v", 43)
	h := sha256.Sum256([]byte(verifier))
	q := authorizeQuery(s)
	q.Set("scope", scope)
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(h[:]))
	q.Set("code_challenge_method", "S256")
	q.Set("nonce", "n-0123")
	status, back, _ := authorize(t, s, q)
	if status != http.StatusFound || back.Get("code") == "" || back.Get("state") != "state-0123456789" {
		t.Fatalf("authorize: got %d %v, want a code and the state", status, back)
	}
	if !pangeaauthntest.TicketPattern.MatchString(back.Get("code")) {
		t.Errorf("code %q does not match %s", back.Get("code"), pangeaauthntest.TicketPattern)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	status, body := token(t, s, form, s.ClientID, s.ClientSecret)
	if status != http.StatusOK {
		t.Fatalf("token: got %d %v", status, body)
	}
	if status, body := token(t, s, form, s.ClientID, s.ClientSecret); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("code replay: got %d %v, want invalid_grant", status, body)
	}
	return body
}

func TestDefaultsHaveTheSpecsForms(t *testing.T) {
	s := newServer(t, nil)
	for _, tt := range []struct {
		value string
		re    *regexp.Regexp
	}{
		{s.ClientID, pangeaauthntest.ClientIDPattern},
		{s.ClientSecret, pangeaauthntest.ClientSecretPattern},
		{s.ServiceToken, pangeaauthntest.TokenPattern},
		{pangeaauthntest.DefaultUserID, pangeaauthntest.UserIDPattern},
		{s.IssueToken(pangeaauthntest.DefaultUserID), regexp.MustCompile(`^ptu_[a-z2-7]{32}$`)},
	} {
		if !tt.re.MatchString(tt.value) {
			t.Errorf("%q does not match %s", tt.value, tt.re)
		}
	}
}

func TestCodeFlowAndTokenCheck(t *testing.T) {
	s := newServer(t, nil)
	body := login(t, s, "user")
	tok, _ := body["access_token"].(string)
	if !regexp.MustCompile(`^ptu_[a-z2-7]{32}$`).MatchString(tok) || body["token_type"] != "Bearer" || body["scope"] != "user" || body["expires_in"] != float64(3600) {
		t.Fatalf("token response: %v", body)
	}
	for _, k := range []string{"refresh_token", "id_token"} {
		if _, ok := body[k]; ok {
			t.Errorf("token response has %s: %v", k, body)
		}
	}
	status, env := check(t, s, tok)
	var res map[string]any
	_ = json.Unmarshal(env.Result, &res)
	if status != http.StatusOK || env.Status != "Success" || res["identity"] != pangeaauthntest.DefaultUserID || res["email"] != pangeaauthntest.DefaultUserEmail || res["client_id"] != s.ClientID {
		t.Errorf("token check: got %d %s %v", status, env.Status, res)
	}
	for _, k := range []string{"id", "type", "life", "expire", "identity", "email", "profile", "created_at"} { // required by authn-token-info-nocreds
		if _, ok := res[k]; !ok {
			t.Errorf("token check result lacks %s", k)
		}
	}
	if got := len(s.Requests()); got != 4 {
		t.Errorf("got %d recorded requests, want 4", got)
	}
}

// verifyES256 verifies a JWT with the server's published JWKS and returns
// its claims.
func verifyES256(t *testing.T, s *pangeaauthntest.Server, jwt string) map[string]any {
	t.Helper()
	_, env := service(t, s, "/v2/client/jwks", s.ServiceToken, "{}")
	var set struct {
		Keys []struct{ Kid, Kty, Alg, Crv, X, Y string }
	}
	if err := json.Unmarshal(env.Result, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks result %s: %v", env.Result, err)
	}
	if !regexp.MustCompile(`^pvi_[a-z2-7]{32}\|1$`).MatchString(set.Keys[0].Kid) {
		t.Errorf("kid %q is not of the form pvi_…|1", set.Keys[0].Kid)
	}
	var plain struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(s.JWKS(), &plain); err != nil || plain.Keys[0].Kid != set.Keys[0].Kid {
		t.Errorf("JWKS() %s differs from /v2/client/jwks", s.JWKS())
	}
	k := set.Keys[0]
	dec := func(v string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: dec(k.X), Y: dec(k.Y)}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWS", jwt)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h struct{ Alg, Kid string }
	_ = json.Unmarshal(hdr, &h)
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if h.Alg != "ES256" || h.Kid != k.Kid || len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatalf("JWT header %s: signature does not verify", hdr)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	return claims
}

func TestIDTokenAndJWTAccessTokens(t *testing.T) {
	s := newServer(t, &pangeaauthntest.Options{AccessTokens: pangeaauthntest.TokenJWT})
	body := login(t, s, "openid user")
	idt := verifyES256(t, s, body["id_token"].(string))
	for k, want := range map[string]any{"iss": s.URL, "sub": pangeaauthntest.DefaultUserID, "aud": s.ClientID, "email": pangeaauthntest.DefaultUserEmail, "nonce": "n-0123"} {
		if idt[k] != want {
			t.Errorf("id_token %s: got %v, want %v", k, idt[k], want)
		}
	}
	at := body["access_token"].(string)
	if claims := verifyES256(t, s, at); claims["sub"] != pangeaauthntest.DefaultUserID || claims["scope"] != "openid user" {
		t.Errorf("access token claims: %v", claims)
	}
	if !pangeaauthntest.TokenPattern.MatchString(at) {
		t.Errorf("JWT access token does not match authn-token")
	}
	if status, env := check(t, s, at); status != http.StatusOK || env.Status != "Success" {
		t.Errorf("token check of a JWT access token: got %d %s", status, env.Status)
	}
}

func TestForeignTokensAndUnawareCheck(t *testing.T) {
	s := newServer(t, &pangeaauthntest.Options{AccessTokens: pangeaauthntest.TokenForeign})
	tok := login(t, s, "user")["access_token"].(string)
	if pangeaauthntest.TokenPattern.MatchString(tok) {
		t.Fatalf("foreign token %q matches authn-token", tok)
	}
	status, env := check(t, s, tok)
	if diff := cmp.Diff([]pangeaauthntest.FieldError{{Code: "DoesNotMatchPattern", Detail: "token does not match " + pangeaauthntest.TokenPattern.String(), Source: "/token"}}, env.FieldErrors()); status != 400 || env.Status != "ValidationError" || diff != "" {
		t.Errorf("check of a foreign token: got %d %s (-want +got):\n%s", status, env.Status, diff)
	}

	u := newServer(t, &pangeaauthntest.Options{TokenCheckUnaware: true})
	tok = login(t, u, "user")["access_token"].(string)
	if status, env := check(t, u, tok); status != 400 || env.FieldErrors()[0].Code != "DoesNotExist" {
		t.Errorf("unaware check of an OAuth token: got %d %v", status, env.FieldErrors())
	}
	if status, _ := check(t, u, u.IssueToken(pangeaauthntest.DefaultUserID)); status != 200 {
		t.Errorf("unaware check of a session token: got %d, want 200", status)
	}
}

func TestServiceAPIErrors(t *testing.T) {
	s := newServer(t, nil)
	known := s.IssueToken(pangeaauthntest.DefaultUserID)
	tests := []struct {
		name, path, serviceToken, body string
		wantHTTP                       int
		wantStatus                     string
		wantCodes                      []string // code@source
	}{
		{"wrong service token", "/v2/client/token/check", "pts_wrong", `{"token":"` + known + `"}`, 401, "Unauthorized", nil},
		{"not JSON", "/v2/client/token/check", s.ServiceToken, `{`, 400, "InvalidPayloadReceived", nil},
		{"not an object", "/v2/client/token/check", s.ServiceToken, `[]`, 400, "ValidationError", []string{"InvalidObject@/"}},
		{"no token", "/v2/client/token/check", s.ServiceToken, `{}`, 400, "ValidationError", []string{"FieldRequired@/token"}},
		{"token not a string", "/v2/client/token/check", s.ServiceToken, `{"token":5}`, 400, "ValidationError", []string{"InvalidString@/token"}},
		{"token null", "/v2/client/token/check", s.ServiceToken, `{"token":null}`, 400, "ValidationError", []string{"InvalidNull@/token"}},
		{"malformed token", "/v2/client/token/check", s.ServiceToken, `{"token":"not-a-token"}`, 400, "ValidationError", []string{"DoesNotMatchPattern@/token"}},
		{"hex user token", "/v2/client/token/check", s.ServiceToken, `{"token":"ptu_0123456789abcdef0123456789abcdef"}`, 400, "ValidationError", []string{"DoesNotMatchPattern@/token"}},
		{"unknown token", "/v2/client/token/check", s.ServiceToken, `{"token":"ptu_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`, 400, "ValidationError", []string{"DoesNotExist@/token"}},
		{"extra member", "/v2/client/token/check", s.ServiceToken, `{"token":"` + known + `","x":1}`, 400, "ValidationError", []string{"UnexpectedProperty@/x"}},
		{"jwks with a member", "/v2/client/jwks", s.ServiceToken, `{"kid":"x"}`, 400, "ValidationError", []string{"UnexpectedProperty@/kid"}},
		{"jwks without the service token", "/v2/client/jwks", "pts_wrong", `{}`, 401, "Unauthorized", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, env := service(t, s, tt.path, tt.serviceToken, tt.body)
			got := env.Codes()
			if status != tt.wantHTTP || env.Status != tt.wantStatus || !cmp.Equal(got, tt.wantCodes) {
				t.Errorf("got %d %s %v, want %d %s %v", status, env.Status, got, tt.wantHTTP, tt.wantStatus, tt.wantCodes)
			}
		})
	}
}

func TestAuthorizeErrors(t *testing.T) {
	s := newServer(t, nil)
	edit := func(k, v string) url.Values {
		q := authorizeQuery(s)
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	direct := []struct {
		name string
		q    url.Values
	}{
		{"unknown client", edit("client_id", "psa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")},
		{"unregistered redirect", edit("redirect_uri", "http://127.0.0.1:2/cb")},
		{"no redirect", edit("redirect_uri", "")},
	}
	for _, tt := range direct {
		t.Run(tt.name, func(t *testing.T) {
			status, back, body := authorize(t, s, tt.q)
			if status != http.StatusBadRequest || back != nil || body["error"] != "invalid_request" || body["error_description"] == "" {
				t.Errorf("got %d redirect %v body %v, want 400 invalid_request without a redirect", status, back, body)
			}
		})
	}
	redirected := []struct {
		name, want string
		q          url.Values
	}{
		{"no scope", "invalid_scope", edit("scope", "")},
		{"scope not allowed", "invalid_scope", edit("scope", "user admin")},
		{"malformed scope", "invalid_scope", edit("scope", "user,admin")},
		{"token response type", "unsupported_response_type", edit("response_type", "token")},
		{"short state", "invalid_request", edit("state", "abc")},
		{"plain PKCE", "invalid_request", func() url.Values {
			q := edit("code_challenge", strings.Repeat("a", 43))
			q.Set("code_challenge_method", "plain")
			return q
		}()},
		{"PKCE without method", "invalid_request", edit("code_challenge", strings.Repeat("a", 43))},
		{"bad challenge", "invalid_request", func() url.Values {
			q := edit("code_challenge", "short")
			q.Set("code_challenge_method", "S256")
			return q
		}()},
	}
	for _, tt := range redirected {
		t.Run(tt.name, func(t *testing.T) {
			status, back, _ := authorize(t, s, tt.q)
			if status != http.StatusFound || back.Get("error") != tt.want || back.Get("code") != "" {
				t.Errorf("got %d %v, want a redirect with %s", status, back, tt.want)
			}
		})
	}
	t.Run("injected error", func(t *testing.T) {
		s.FailNextAuthorize("access_denied")
		if _, back, _ := authorize(t, s, authorizeQuery(s)); back.Get("error") != "access_denied" || back.Get("state") != "state-0123456789" {
			t.Errorf("got %v, want access_denied with state", back)
		}
	})
}

func TestTokenErrors(t *testing.T) {
	s := newServer(t, nil)
	code := func(challenge string) string {
		q := authorizeQuery(s)
		if challenge != "" {
			q.Set("code_challenge", challenge)
			q.Set("code_challenge_method", "S256")
		}
		_, back, _ := authorize(t, s, q)
		return back.Get("code")
	}
	verifier := strings.Repeat("v", 43)
	h := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(h[:])
	form := func(c string, extra ...string) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}}
		for i := 0; i < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}
	tests := []struct {
		name       string
		form       url.Values
		id, secret string
		wantStatus int
		wantError  string
	}{
		{"client_secret_post", form(code(""), "client_id", s.ClientID, "client_secret", s.ClientSecret), "", "", 401, "invalid_client"},
		{"wrong secret", form(code("")), s.ClientID, "pck_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 401, "invalid_client"},
		{"refresh grant", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"ptr_x"}}, s.ClientID, s.ClientSecret, 400, "unsupported_grant_type"},
		{"client credentials", url.Values{"grant_type": {"client_credentials"}}, s.ClientID, s.ClientSecret, 400, "unsupported_grant_type"},
		{"no code", url.Values{"grant_type": {"authorization_code"}}, s.ClientID, s.ClientSecret, 400, "invalid_request"},
		{"wrong redirect", form(code(""), "redirect_uri", "http://127.0.0.1:1/other"), s.ClientID, s.ClientSecret, 400, "invalid_grant"},
		{"verifier without challenge", form(code(""), "code_verifier", verifier), s.ClientID, s.ClientSecret, 400, "invalid_grant"},
		{"challenge without verifier", form(code(challenge)), s.ClientID, s.ClientSecret, 400, "invalid_grant"},
		{"wrong verifier", form(code(challenge), "code_verifier", strings.Repeat("x", 43)), s.ClientID, s.ClientSecret, 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := token(t, s, tt.form, tt.id, tt.secret)
			if status != tt.wantStatus || body["error"] != tt.wantError || body["error_description"] == "" {
				t.Errorf("got %d %v, want %d %s", status, body, tt.wantStatus, tt.wantError)
			}
		})
	}
	p := newServer(t, &pangeaauthntest.Options{ClientAuth: "client_secret_post"})
	_, back, _ := authorize(t, p, authorizeQuery(p))
	if status, body := token(t, p, form(back.Get("code"), "client_id", p.ClientID, "client_secret", p.ClientSecret), "", ""); status != 200 {
		t.Errorf("client_secret_post client: got %d %v", status, body)
	}
}

func TestUserinfo(t *testing.T) {
	s := newServer(t, &pangeaauthntest.Options{UserinfoPath: "/userinfo"})
	tok := login(t, s, "user")["access_token"].(string)
	get := func(tok string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return doJSON(t, req)
	}
	if status, m := get(tok); status != 200 || m["sub"] != pangeaauthntest.DefaultUserID || m["email"] != pangeaauthntest.DefaultUserEmail {
		t.Errorf("userinfo: got %d %v", status, m)
	}
	if status, _ := get("ptu_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); status != 401 {
		t.Errorf("userinfo with an unknown token: got %d, want 401", status)
	}
	if status, _ := get(s.IssueToken(pangeaauthntest.DefaultUserID)); status != 401 {
		t.Errorf("userinfo with a session token: got %d, want 401", status)
	}
}
