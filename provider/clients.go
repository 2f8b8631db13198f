// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/internal/loopback"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// errUnknownClient is returned by lookupClient for a client that does not exist.
var errUnknownClient = errors.New("provider: unknown client")

func staticClients(list []StaticClient, scopes []string) (map[string]*clientRecord, error) {
	m := make(map[string]*clientRecord, len(list))
	for _, c := range list {
		if c.ID == "" {
			return nil, errors.New("provider: static client without ID")
		}
		if strings.HasPrefix(c.ID, "https://") {
			return nil, fmt.Errorf("provider: static client ID %q must not be an https URL (reserved for CIMD)", c.ID)
		}
		if _, dup := m[c.ID]; dup {
			return nil, fmt.Errorf("provider: duplicate static client %q", c.ID)
		}
		if len(c.RedirectURIs) == 0 {
			return nil, fmt.Errorf("provider: static client %q has no redirect URIs", c.ID)
		}
		for _, u := range c.RedirectURIs {
			if err := checkRedirectURI(u); err != nil {
				return nil, fmt.Errorf("provider: static client %q: %w", c.ID, err)
			}
		}
		method := c.AuthMethod
		if method == "" {
			method = AuthMethodNone
			if c.Secret != "" {
				method = AuthMethodClientSecretBasic
			}
		}
		if !slices.Contains(authMethods, method) {
			return nil, fmt.Errorf("provider: static client %q: unknown auth method %q", c.ID, method)
		}
		if (method == AuthMethodNone) != (c.Secret == "") {
			return nil, fmt.Errorf("provider: static client %q: auth method %q does not match whether a secret is set", c.ID, method)
		}
		sc := c.Scopes
		if sc == nil {
			sc = scopes
		}
		for _, s := range sc {
			if !slices.Contains(scopes, s) {
				return nil, fmt.Errorf("provider: static client %q: scope %q is not in Scopes", c.ID, s)
			}
		}
		rec := &clientRecord{
			ClientID:     c.ID,
			AuthMethod:   method,
			Name:         c.Name,
			RedirectURIs: slices.Clone(c.RedirectURIs),
			GrantTypes:   []string{"authorization_code", "refresh_token"},
			Scopes:       slices.Clone(sc),
			Kind:         "static",
		}
		if c.Secret != "" {
			rec.SecretHash = hashSecret(c.Secret)
		}
		m[c.ID] = rec
	}
	return m, nil
}

// lookupClient finds a static, CIMD or dynamically registered client.
func (p *Provider) lookupClient(ctx context.Context, id string) (*clientRecord, error) {
	if id == "" {
		return nil, errUnknownClient
	}
	if c, ok := p.static[id]; ok {
		return c, nil
	}
	if strings.HasPrefix(id, "https://") {
		if p.cimd == nil {
			return nil, errUnknownClient
		}
		return p.cimd.get(ctx, id)
	}
	c, err := getJSON[clientRecord](ctx, p.store, keyClient+id)
	if isNotFound(err) || (err == nil && c.expired(p.now())) {
		return nil, errUnknownClient
	}
	return c, err
}

// markClientUsed records that a dynamically registered client completed an
// authorization, which lifts its UnusedClientTTL deadline: from then on
// only ClientTTL bounds it. Static and CIMD clients have no record to
// mark. A failure is logged, not returned: the login itself succeeded.
func (p *Provider) markClientUsed(ctx context.Context, id string) {
	if _, ok := p.static[id]; ok || strings.HasPrefix(id, "https://") {
		return
	}
	c, err := getJSON[clientRecord](ctx, p.store, keyClient+id)
	if err != nil {
		if !isNotFound(err) {
			p.logger.Error("provider: load client to mark it used", "client_id", id, "err", err)
		}
		return
	}
	now := p.now()
	if c.UnusedUntil.IsZero() || c.expired(now) {
		return
	}
	c.UnusedUntil = time.Time{}
	var ttl time.Duration // 0: no expiry
	if !c.ExpiresAt.IsZero() {
		ttl = c.ExpiresAt.Sub(now)
	}
	if err := setJSON(ctx, p.store, keyClient+id, c, ttl); err != nil {
		p.logger.Error("provider: mark client used", "client_id", id, "err", err)
	}
}

// checkRedirectURI accepts https URLs and http URLs on a loopback host (see
// loopback.Host), without fragment or user info, with a port in 1-65535
// if any.
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("redirect URI %q is not an absolute URL", raw)
	}
	if u.Fragment != "" || u.RawFragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("redirect URI %q has a fragment", raw)
	}
	if u.User != nil {
		return fmt.Errorf("redirect URI %q has user info", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("redirect URI %q has an invalid port", raw)
		}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback.Host(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("redirect URI %q must use https unless it is on a loopback host", raw)
	default:
		return fmt.Errorf("redirect URI %q must use https or loopback http", raw)
	}
}

// serveRegister implements RFC 7591 dynamic client registration, within
// the limits of RegistrationOptions: rate (429), body size (413), number
// and length of redirect URIs (400), and a deadline for the first use.
func (p *Provider) serveRegister(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST, OPTIONS")
		return
	}
	now := p.now()
	if ok, wait := p.regLimit.allow(r.RemoteAddr, now); !ok {
		// Whole seconds, strictly after the next token is due.
		w.Header().Set("Retry-After", strconv.FormatInt(int64(wait/time.Second)+1, 10))
		writeError(w, &Error{Code: CodeTemporarilyUnavailable, Description: "too many registrations; try again later", Status: http.StatusTooManyRequests})
		return
	}
	limit := p.registration.MaxMetadataBytes
	tooLarge := func() {
		writeError(w, &Error{Code: CodeInvalidClientMetadata, Description: fmt.Sprintf("client metadata must be at most %d bytes", limit), Status: http.StatusRequestEntityTooLarge})
	}
	if r.ContentLength > limit {
		tooLarge()
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			tooLarge()
			return
		}
		writeError(w, oauthErr(CodeInvalidClientMetadata, "request body unreadable"))
		return
	}
	var md oauthex.ClientRegistrationMetadata
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&md); err != nil || dec.More() {
		writeError(w, oauthErr(CodeInvalidClientMetadata, "body must be one JSON object of client metadata"))
		return
	}
	rec, oerr := p.validateRegistration(&md)
	if oerr != nil {
		writeError(w, oerr)
		return
	}
	var secret string
	if rec.AuthMethod != AuthMethodNone {
		secret = randomHex(32)
		rec.SecretHash = hashSecret(secret)
	}
	var ttl time.Duration // the store's TTL; 0: none
	if t := p.registration.ClientTTL; t > 0 {
		rec.ExpiresAt = rec.IssuedAt.Add(t)
		ttl = t
	}
	if t := p.registration.UnusedClientTTL; t > 0 {
		rec.UnusedUntil = now.Add(t)
		if ttl == 0 || t < ttl {
			ttl = t
		}
	}
	if err := setJSON(r.Context(), p.store, keyClient+rec.ClientID, rec, ttl); err != nil {
		p.logger.Error("provider: store client registration", "err", err)
		writeError(w, oauthErr(CodeTemporarilyUnavailable, "registration could not be stored"))
		return
	}
	md.TokenEndpointAuthMethod = rec.AuthMethod
	md.GrantTypes = rec.GrantTypes
	md.ResponseTypes = []string{"code"}
	md.Scope = strings.Join(rec.Scopes, " ")
	resp := registrationResponse{
		ClientRegistrationMetadata: md,
		ClientID:                   rec.ClientID,
		ClientIDIssuedAt:           rec.IssuedAt.Unix(),
	}
	if secret != "" {
		resp.ClientSecret = secret
		var exp int64 // 0: never expires (RFC 7591 §3.2.1)
		if !rec.ExpiresAt.IsZero() {
			exp = rec.ExpiresAt.Unix()
		}
		resp.ClientSecretExpiresAt = &exp
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusCreated, &resp)
}

// registrationResponse is the RFC 7591 §3.2.1 response: the metadata as
// registered plus the client's credentials.
type registrationResponse struct {
	oauthex.ClientRegistrationMetadata
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
}

// validateRegistration returns the client record, or an RFC 7591 error.
func (p *Provider) validateRegistration(md *oauthex.ClientRegistrationMetadata) (*clientRecord, *Error) {
	if len(md.RedirectURIs) == 0 {
		return nil, oauthErr(CodeInvalidRedirectURI, "redirect_uris is required")
	}
	if n := p.registration.MaxRedirectURIs; n > 0 && len(md.RedirectURIs) > n {
		return nil, oauthErr(CodeInvalidClientMetadata, fmt.Sprintf("at most %d redirect_uris are allowed", n))
	}
	for _, u := range md.RedirectURIs {
		if n := p.registration.MaxRedirectURILength; n > 0 && len(u) > n {
			return nil, oauthErr(CodeInvalidRedirectURI, fmt.Sprintf("a redirect URI is longer than %d bytes", n))
		}
	}
	for _, u := range md.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return nil, oauthErr(CodeInvalidRedirectURI, strings.TrimPrefix(err.Error(), "provider: "))
		}
	}
	method := md.TokenEndpointAuthMethod
	if method == "" {
		method = AuthMethodClientSecretBasic // RFC 7591 §2 default
	}
	if !slices.Contains(authMethods, method) {
		return nil, oauthErr(CodeInvalidClientMetadata, fmt.Sprintf("token_endpoint_auth_method '%s' is not supported", method))
	}
	grants := md.GrantTypes
	if len(grants) == 0 {
		grants = []string{"authorization_code", "refresh_token"}
	}
	for _, g := range grants {
		if g != "authorization_code" && g != "refresh_token" {
			return nil, oauthErr(CodeInvalidClientMetadata, fmt.Sprintf("grant type '%s' is not supported", g))
		}
	}
	if !slices.Contains(grants, "authorization_code") {
		return nil, oauthErr(CodeInvalidClientMetadata, "grant_types must include authorization_code")
	}
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			return nil, oauthErr(CodeInvalidClientMetadata, fmt.Sprintf("response type '%s' is not supported", rt))
		}
	}
	scopes := p.registration.DefaultScopes
	if md.Scope != "" {
		scopes = strings.Fields(md.Scope)
		for _, s := range scopes {
			if !slices.Contains(p.registration.ValidScopes, s) {
				return nil, oauthErr(CodeInvalidClientMetadata, fmt.Sprintf("scope '%s' is not allowed", s))
			}
		}
	}
	switch md.ApplicationType {
	case "", "native", "web":
	default:
		return nil, oauthErr(CodeInvalidClientMetadata, fmt.Sprintf("application_type '%s' is not supported", md.ApplicationType))
	}
	if len(md.ClientName) > 200 {
		return nil, oauthErr(CodeInvalidClientMetadata, "client_name is too long")
	}
	return &clientRecord{
		ClientID:     randomHex(16),
		AuthMethod:   method,
		Name:         md.ClientName,
		ClientURI:    md.ClientURI,
		RedirectURIs: slices.Clone(md.RedirectURIs),
		GrantTypes:   slices.Compact(slices.Sorted(slices.Values(grants))),
		Scopes:       slices.Clone(scopes),
		IssuedAt:     p.now().Truncate(time.Second),
		Kind:         "dynamic",
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("provider: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// clientAuthError is a failed token-endpoint client authentication.
type clientAuthError struct {
	status int
	code   ErrorCode
	desc   string
	basic  bool
}

// authenticateClient implements client authentication at the token and
// revocation endpoints: none (client_id in the form), client_secret_post and
// client_secret_basic, as registered. Secrets are compared in constant time.
func (p *Provider) authenticateClient(r *http.Request) (*clientRecord, *clientAuthError) {
	formID := r.PostForm.Get("client_id")
	formSecret := r.PostForm.Get("client_secret")
	basicID, basicSecret, hasBasic, basicOK := basicCredentials(r)
	if hasBasic && !basicOK {
		// A client that tried Basic and got it wrong is not identified by
		// the form instead.
		return nil, &clientAuthError{http.StatusUnauthorized, CodeInvalidClient, "malformed basic credentials", true}
	}
	if hasBasic {
		var err1, err2 error
		basicID, err1 = url.QueryUnescape(basicID)
		basicSecret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return nil, &clientAuthError{http.StatusUnauthorized, CodeInvalidClient, "malformed basic credentials", true}
		}
		if formID != "" && formID != basicID {
			return nil, &clientAuthError{http.StatusBadRequest, CodeInvalidRequest, "client_id in the body and the Authorization header differ", true}
		}
		if formSecret != "" {
			return nil, &clientAuthError{http.StatusBadRequest, CodeInvalidRequest, "more than one client authentication method used", true}
		}
	}
	id := formID
	if hasBasic {
		id = basicID
	}
	if id == "" {
		return nil, &clientAuthError{http.StatusUnauthorized, CodeInvalidClient, "client authentication is required", false}
	}
	c, err := p.lookupClient(r.Context(), id)
	if err != nil {
		if !errors.Is(err, errUnknownClient) {
			p.logger.Warn("provider: client lookup failed", "err", err)
		}
		return nil, &clientAuthError{http.StatusUnauthorized, CodeInvalidClient, "client authentication failed", hasBasic}
	}
	var ok bool
	switch c.AuthMethod {
	case AuthMethodNone:
		ok = !hasBasic && formSecret == ""
	case AuthMethodClientSecretPost:
		ok = !hasBasic && formSecret != "" && equalHash(formSecret, c.SecretHash)
	case AuthMethodClientSecretBasic:
		ok = hasBasic && basicSecret != "" && equalHash(basicSecret, c.SecretHash)
	}
	if !ok {
		return nil, &clientAuthError{http.StatusUnauthorized, CodeInvalidClient, "client authentication failed", hasBasic}
	}
	return c, nil
}

// basicCredentials reads RFC 7617 Basic credentials from the Authorization
// header. The scheme is matched case-insensitively and may be followed by
// more than one space (RFC 7235 §2.1). present reports whether an
// Authorization header uses the Basic scheme at all; ok whether it is the
// only Authorization header and carries base64 "id:secret". Other schemes
// are not client authentication and are ignored.
func basicCredentials(r *http.Request) (id, secret string, present, ok bool) {
	hs := r.Header.Values("Authorization")
	for _, h := range hs {
		scheme, _, _ := strings.Cut(h, " ")
		present = present || strings.EqualFold(scheme, "Basic")
	}
	if !present || len(hs) != 1 {
		return "", "", present, false
	}
	_, cred, _ := strings.Cut(hs[0], " ")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimLeft(cred, " "))
	if err != nil {
		return "", "", true, false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	return id, secret, true, ok
}

func (e *clientAuthError) write(w http.ResponseWriter) {
	if e.basic && e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	}
	writeError(w, &Error{Code: e.code, Description: e.desc, Status: e.status})
}

// constantTimeEqual compares two strings in constant time.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
