// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// cookie names; the __Host- prefix needs Secure, so it is used only when
// BaseURL is https.
const (
	cookieSecure   = "__Host-mcpauth-login"
	cookieInsecure = "mcpauth-login"
)

func (p *Provider) cookieName() string {
	if p.secure {
		return cookieSecure
	}
	return cookieInsecure
}

// browserBinding returns the browser's binding secret, reusing the cookie
// when it is already set so that concurrent logins in one browser work, and
// (re)sets the cookie.
func (p *Provider) browserBinding(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie(p.cookieName()); err == nil && len(c.Value) == 64 && isHex(c.Value) {
		v = c.Value
	} else {
		v = randomHex(32)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     p.cookieName(),
		Value:    v,
		Path:     "/",
		MaxAge:   int(p.pendingTTL.Seconds()),
		HttpOnly: true,
		Secure:   p.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return v
}

// browserMatches reports whether the request carries the browser binding
// whose hash is want.
func (p *Provider) browserMatches(r *http.Request, want string) bool {
	c, err := r.Cookie(p.cookieName())
	if err != nil {
		return false
	}
	return equalHash(c.Value, want)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// serveAuthorize handles the authorization request: it validates it, stores
// it and shows the consent page.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		p.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "Use GET or POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Invalid request", "The authorization request could not be read.")
		return
	}
	q := r.Form
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "state", "scope", "resource"} {
		if len(q[k]) > 1 {
			p.errorPage(w, http.StatusBadRequest, "Invalid request", "The parameter "+k+" is repeated.")
			return
		}
	}
	ctx := r.Context()
	c, err := p.lookupClient(ctx, q.Get("client_id"))
	if err != nil {
		if !errors.Is(err, errUnknownClient) {
			p.logger.Error("provider: client lookup failed", "err", err)
			p.errorPage(w, http.StatusServiceUnavailable, "Temporarily unavailable", "The client could not be looked up. Try again later.")
			return
		}
		p.logger.Info("provider: authorize with unknown client", "err", err)
		p.errorPage(w, http.StatusBadRequest, "Unknown client", "The application that sent you here is not registered with this server.")
		return
	}
	redirect := q.Get("redirect_uri")
	explicit := redirect != ""
	switch {
	case explicit && !slices.Contains(c.RedirectURIs, redirect):
		p.errorPage(w, http.StatusBadRequest, "Invalid redirect URI", "The redirect URI does not match any URI registered for this application.")
		return
	case !explicit && len(c.RedirectURIs) != 1:
		p.errorPage(w, http.StatusBadRequest, "Missing redirect URI", "The application must say where to return you.")
		return
	case !explicit:
		redirect = c.RedirectURIs[0]
	}
	// Registration checked the URI already; checking it again refuses
	// records stored by an older, laxer version (a shared store outlives
	// upgrades), before the consent page vouches for the URI.
	if err := checkRedirectURI(redirect); err != nil {
		p.logger.Warn("provider: authorize refused a stored redirect URI that is no longer valid", "client_id", c.ClientID)
		p.errorPage(w, http.StatusBadRequest, "Invalid redirect URI", "The redirect URI registered for this application is not allowed.")
		return
	}
	state := q.Get("state")
	fail := func(code ErrorCode, desc string) {
		p.redirectError(w, r, redirect, state, oauthErr(code, desc))
	}
	if rt := q.Get("response_type"); rt != "code" {
		fail(CodeUnsupportedResponseType, "response_type must be code")
		return
	}
	if !slices.Contains(c.GrantTypes, "authorization_code") {
		fail(CodeUnauthorizedClient, "the client may not use the authorization code grant")
		return
	}
	challenge := q.Get("code_challenge")
	if challenge == "" {
		fail(CodeInvalidRequest, "code_challenge is required (PKCE)")
		return
	}
	if m := q.Get("code_challenge_method"); m != "S256" {
		fail(CodeInvalidRequest, "code_challenge_method must be S256")
		return
	}
	if !validChallenge(challenge) {
		fail(CodeInvalidRequest, "code_challenge is not a base64url SHA-256 value")
		return
	}
	scopes := c.Scopes
	if s := q.Get("scope"); s != "" {
		scopes = nil
		for _, sc := range strings.Fields(s) {
			if !slices.Contains(c.Scopes, sc) {
				fail(CodeInvalidScope, "scope "+sc+" is not allowed for this client")
				return
			}
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	resource, ok := p.checkResource(q.Get("resource"))
	if !ok {
		fail(CodeInvalidTarget, "resource must be "+p.resource)
		return
	}
	consentID := randomHex(32)
	csrf := randomHex(32)
	browser := p.browserBinding(w, r)
	req := &authRequest{
		ClientID:         c.ClientID,
		RedirectURI:      redirect,
		RedirectExplicit: explicit,
		State:            state,
		Challenge:        challenge,
		Scopes:           scopes,
		Resource:         resource,
		CSRFHash:         hashSecret(csrf),
		BrowserHash:      hashSecret(browser),
		ExpiresAt:        p.now().Add(p.pendingTTL),
	}
	if err := setJSON(ctx, p.store, keyConsent+hashSecret(consentID), req, p.pendingTTL); err != nil {
		p.logger.Error("provider: store authorization request", "err", err)
		fail(CodeTemporarilyUnavailable, "the authorization request could not be stored")
		return
	}
	p.consentPage(w, c, req, consentID, csrf)
}

// checkResource normalises an RFC 8707 resource and checks it is the MCP
// URL; an absent resource means the MCP URL.
func (p *Provider) checkResource(raw string) (string, bool) {
	if raw == "" {
		return p.resource, true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" || u.RawQuery != "" {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if u.Path != "/" {
		u.Path = strings.TrimSuffix(u.Path, "/")
	}
	u.RawPath = ""
	if u.String() != p.resource {
		return "", false
	}
	return p.resource, true
}

// validChallenge reports whether s looks like an S256 challenge: 43
// base64url characters.
func validChallenge(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// validVerifier checks an RFC 7636 code_verifier.
func validVerifier(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// redirectError sends an OAuth error to the client's redirect URI with
// state and iss (RFC 9207) (RFC 6749 §4.1.2.1).
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, redirect, state string, e *Error) {
	params := url.Values{"error": {string(e.Code)}}
	if d := cleanErrorText(e.Description); d != "" {
		params.Set("error_description", d)
	}
	if e.URI != "" {
		params.Set("error_uri", e.URI)
	}
	p.redirectClient(w, r, redirect, params, state)
}

func (p *Provider) redirectClient(w http.ResponseWriter, r *http.Request, redirect string, params url.Values, state string) {
	u, err := url.Parse(redirect)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "Invalid redirect URI", "The redirect URI cannot be used.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", p.issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// serveConsent handles the consent form: approve sends the browser to the
// upstream login, deny returns access_denied to the client.
func (p *Provider) serveConsent(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		p.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "The consent form must be submitted with POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Invalid request", "The consent form could not be read.")
		return
	}
	ctx := r.Context()
	id := r.PostForm.Get("consent_id")
	if id == "" {
		p.errorPage(w, http.StatusBadRequest, "Invalid request", "The consent form is incomplete.")
		return
	}
	req, err := takeJSON[authRequest](ctx, p.taker, keyConsent+hashSecret(id))
	if err != nil {
		if !isNotFound(err) {
			p.logger.Error("provider: load authorization request", "err", err)
			p.errorPage(w, http.StatusServiceUnavailable, "Temporarily unavailable", "Try again later.")
			return
		}
		p.errorPage(w, http.StatusBadRequest, "Request expired", "This authorization request is unknown, was already answered or has expired. Start again from the application.")
		return
	}
	if !p.now().Before(req.ExpiresAt) {
		p.errorPage(w, http.StatusBadRequest, "Request expired", "This authorization request has expired. Start again from the application.")
		return
	}
	if !equalHash(r.PostForm.Get("csrf_token"), req.CSRFHash) || !p.browserMatches(r, req.BrowserHash) {
		p.logger.Warn("provider: consent rejected: CSRF token or browser binding mismatch", "client_id", req.ClientID)
		p.errorPage(w, http.StatusBadRequest, "Request not verified", "This consent could not be verified as coming from the browser that started the login.")
		return
	}
	switch r.PostForm.Get("action") {
	case "approve":
	case "deny":
		p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(CodeAccessDenied, "the user denied the request"))
		return
	default:
		p.errorPage(w, http.StatusBadRequest, "Invalid request", "Choose approve or deny.")
		return
	}
	state := randomHex(32)
	verifier := randomHex(32) // 64 characters of the RFC 7636 alphabet
	nonce := randomHex(32)
	authURL, err := p.up.authURL(ctx, state, verifier, nonce)
	if err != nil {
		p.logger.Error("provider: upstream unavailable", "err", err)
		p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(CodeTemporarilyUnavailable, "the identity provider is unavailable"))
		return
	}
	pl := &pendingLogin{Request: *req, Verifier: verifier, Nonce: nonce, BrowserHash: req.BrowserHash, ExpiresAt: req.ExpiresAt}
	ttl := req.ExpiresAt.Sub(p.now())
	if err := setJSON(ctx, p.store, keyPending+hashSecret(state), pl, ttl); err != nil {
		p.logger.Error("provider: store pending login", "err", err)
		p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(CodeTemporarilyUnavailable, "the login could not be stored"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// serveCallback completes the upstream login and returns a code to the
// MCP client.
func (p *Provider) serveCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		p.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "Use GET.")
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		p.errorPage(w, http.StatusBadRequest, "Invalid login response", "The identity provider's response has no state.")
		return
	}
	pl, err := takeJSON[pendingLogin](ctx, p.taker, keyPending+hashSecret(state))
	if err != nil {
		if !isNotFound(err) {
			p.logger.Error("provider: load pending login", "err", err)
			p.errorPage(w, http.StatusServiceUnavailable, "Temporarily unavailable", "Try again later.")
			return
		}
		p.errorPage(w, http.StatusBadRequest, "Login expired", "This login is unknown, was already completed or has expired. Start again from the application.")
		return
	}
	if !p.now().Before(pl.ExpiresAt) {
		p.errorPage(w, http.StatusBadRequest, "Login expired", "This login has expired. Start again from the application.")
		return
	}
	if !p.browserMatches(r, pl.BrowserHash) {
		p.logger.Warn("provider: callback rejected: browser binding mismatch", "client_id", pl.Request.ClientID)
		p.errorPage(w, http.StatusBadRequest, "Login not verified", "This login was started in a different browser. Start again from the application.")
		return
	}
	req := &pl.Request
	if e := q.Get("error"); e != "" {
		p.logger.Info("provider: upstream returned an error", "error", e)
		desc := "the identity provider refused the login"
		if isErrorCode(e) {
			desc = "the identity provider returned " + e
		}
		p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(relayableError(e), desc))
		return
	}
	code := q.Get("code")
	if code == "" {
		p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(CodeServerError, "the identity provider returned no code"))
		return
	}
	ut, id, err := p.tel.exchange(ctx, p.up, code, pl.Verifier, pl.Nonce) // p.up.exchange, with telemetry
	if err != nil {
		p.logger.Warn("provider: upstream login failed", "err", err)
		var he *hookError
		if errors.As(err, &he) {
			// The caller's Identify chose what the client is told, if it
			// returned an *Error; anything else stays in the log.
			p.redirectError(w, r, req.RedirectURI, req.State, wireError(he.err))
			return
		}
		var ue *upstreamError
		if errors.As(err, &ue) {
			p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(CodeServerError, "the identity provider rejected the login ("+ue.code+")"))
			return
		}
		p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(CodeServerError, "the login with the identity provider failed"))
		return
	}
	mcpCode, err := p.issueCode(ctx, req, ut, id)
	if err != nil {
		p.logger.Error("provider: issue code", "err", err)
		p.redirectError(w, r, req.RedirectURI, req.State, oauthErr(CodeTemporarilyUnavailable, "the authorization could not be stored"))
		return
	}
	p.markClientUsed(ctx, req.ClientID)
	p.logger.Info("provider: login completed", "client_id", req.ClientID, "identity_source", id.Source)
	p.redirectClient(w, r, req.RedirectURI, url.Values{"code": {mcpCode}}, req.State)
}

// relayableError maps an upstream authorization error to the code relayed to
// the MCP client: the user's refusal stays access_denied, an outage stays
// temporarily_unavailable, and anything else is a server_error.
func relayableError(e string) ErrorCode {
	switch e {
	case "access_denied", "login_required", "consent_required", "interaction_required", "account_selection_required":
		return CodeAccessDenied
	case "temporarily_unavailable":
		return CodeTemporarilyUnavailable
	default:
		return CodeServerError
	}
}

// isErrorCode reports whether e looks like an OAuth error code (lower-case
// letters and underscores), so that it can be echoed safely.
func isErrorCode(e string) bool {
	if e == "" || len(e) > 64 {
		return false
	}
	for i := 0; i < len(e); i++ {
		if (e[i] < 'a' || e[i] > 'z') && e[i] != '_' {
			return false
		}
	}
	return true
}
