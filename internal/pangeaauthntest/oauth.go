// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeaauthntest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// oauthError writes an authn-oauth-error body ({error, error_description};
// the RFC 6749 §5.2 shape).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><title>Pangea AuthN test login</title></head><body>
<form method="post" action="/v2/oauth/authorize">
{{range $k, $v := .}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">
{{end}}<input name="email"> <input name="password" type="password">
<button id="login" type="submit">Sign in</button>
</form></body></html>`))

// challengePattern is an S256 code challenge: base64url of 32 bytes
// (RFC 7636 §4.2).
var challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// authorize is GET /v2/oauth/authorize (and the POST of the test login
// form). Errors before the redirect URI is trusted are 400 JSON; later
// ones go back to the redirect URI (RFC 6749 §4.1.2.1).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "GET only")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the request cannot be parsed")
		return
	}
	q := r.Form
	for k, v := range q {
		if len(v) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", "parameter "+k+" is repeated")
			return
		}
	}
	if q.Get("client_id") != s.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unknown client_id")
		return
	}
	redirect := q.Get("redirect_uri")
	s.mu.Lock()
	registered := slices.Contains(s.redirects, redirect)
	s.mu.Unlock()
	u, err := url.Parse(redirect)
	if redirect == "" || err != nil || !registered {
		oauthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri is not registered for this client")
		return
	}
	state := q.Get("state")
	back := func(params url.Values) {
		v := u.Query()
		for k, p := range params {
			v[k] = p
		}
		if state != "" {
			v.Set("state", state)
		}
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	fail := func(code, desc string) { back(url.Values{"error": {code}, "error_description": {desc}}) }
	scope := q.Get("scope")
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return
	case state != "" && !StatePattern.MatchString(state):
		fail("invalid_request", "state does not match "+StatePattern.String())
		return
	case scope == "":
		fail("invalid_scope", "scope is required")
		return
	case !ScopePattern.MatchString(scope):
		fail("invalid_scope", "scope does not match "+ScopePattern.String())
		return
	case challenge == "" && method != "":
		fail("invalid_request", "code_challenge_method without code_challenge")
		return
	case challenge != "" && method != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case challenge != "" && !challengePattern.MatchString(challenge):
		fail("invalid_request", "code_challenge is not an S256 challenge")
		return
	}
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(s.opts.Scopes, sc) {
			fail("invalid_scope", "scope "+sc+" is not allowed for this client")
			return
		}
	}
	s.mu.Lock()
	injected := s.nextError
	s.nextError = ""
	user := s.user
	s.mu.Unlock()
	if injected != "" {
		fail(injected, "injected by the test")
		return
	}
	if s.opts.Login {
		if r.Method != http.MethodPost {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = loginPage.Execute(w, r.URL.Query())
			return
		}
		user = nil
		for i := range s.opts.Users {
			cand := &s.opts.Users[i]
			if cand.Email == q.Get("email") && subtle.ConstantTimeCompare([]byte(cand.Password), []byte(q.Get("password"))) == 1 {
				user = cand
			}
		}
		if user == nil {
			fail("access_denied", "wrong email or password")
			return
		}
	}
	granted := slices.DeleteFunc(strings.Fields(scope), func(sc string) bool { return slices.Contains(s.opts.WithholdScopes, sc) })
	code := "pmc_" + randBase32()
	s.mu.Lock()
	s.codes[code] = &codeGrant{redirectURI: redirect, challenge: challenge, scope: strings.Join(granted, " "), nonce: q.Get("nonce"), user: user}
	s.mu.Unlock()
	back(url.Values{"code": {code}})
}

// clientAuth checks the client credentials of a token request by the
// client's one token_endpoint_auth_method.
func (s *Server) clientAuth(r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	formID, formSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	switch s.opts.ClientAuth {
	case "client_secret_basic":
		if !basic || formSecret != "" {
			return false
		}
		// RFC 6749 §2.3.1: both parts are form-urlencoded.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || formID != "" && formID != id {
			return false
		}
	default: // client_secret_post
		if basic {
			return false
		}
		id, secret = formID, formSecret
	}
	return id == s.ClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) == 1
}

// token is POST /v2/oauth/token: the authorization_code grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body cannot be parsed")
		return
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", "parameter "+k+" is repeated")
			return
		}
	}
	if !s.clientAuth(r) {
		if s.opts.ClientAuth == "client_secret_basic" {
			w.Header().Set("WWW-Authenticate", `Basic realm="pangea"`)
		}
		oauthError(w, http.StatusUnauthorized, "invalid_client", s.opts.ClientAuth+" authentication failed")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		// authn-oauth-client-grant-types lists client_credentials and
		// authorization_code; the double models the latter only, and
		// there is no refresh_token grant.
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", gt+" is not supported")
		return
	}
	code := r.PostForm.Get("code")
	if code == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "code is required")
		return
	}
	s.mu.Lock()
	g := s.codes[code]
	delete(s.codes, code)
	s.mu.Unlock()
	verifier := r.PostForm.Get("code_verifier")
	switch {
	case g == nil:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	case g.challenge == "" && verifier != "":
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier without a code_challenge")
		return
	case g.challenge != "":
		h := sha256.Sum256([]byte(verifier))
		if verifier == "" || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(h[:])), []byte(g.challenge)) != 1 {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
			return
		}
	}
	now := time.Now()
	var tok string
	switch s.opts.AccessTokens {
	case TokenJWT:
		tok = s.sign(map[string]any{
			"iss": s.Issuer(), "sub": g.user.ID, "aud": s.ClientID, "client_id": s.ClientID, "scope": g.scope,
			"iat": now.Unix(), "exp": now.Add(AccessTokenLife * time.Second).Unix(), "jti": randBase32(),
		})
	case TokenForeign:
		tok = "pat_" + hex.EncodeToString([]byte(randBase32()[:20]))
	default:
		tok = "ptu_" + randBase32()
	}
	s.mu.Lock()
	s.tokens[tok] = &tokenInfo{user: g.user, clientID: s.ClientID, scope: g.scope, issued: now, oauth: true}
	s.mu.Unlock()
	resp := map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   AccessTokenLife,
		"scope":        g.scope,
	}
	if slices.Contains(strings.Fields(g.scope), "openid") {
		claims := map[string]any{
			"iss": s.Issuer(), "sub": g.user.ID, "aud": s.ClientID, "email": g.user.Email,
			"iat": now.Unix(), "exp": now.Add(AccessTokenLife * time.Second).Unix(),
		}
		if g.nonce != "" {
			claims["nonce"] = g.nonce
		}
		resp["id_token"] = s.sign(claims)
	}
	writeJSON(w, http.StatusOK, resp)
}

// userinfo serves [Options.UserinfoPath].
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	ti := s.tokens[tok]
	s.mu.Unlock()
	if !ok || ti == nil || !ti.oauth {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "unknown access token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"sub": ti.user.ID, "email": ti.user.Email})
}
