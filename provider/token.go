// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// issueCode creates the grant family (with the encrypted upstream token) and
// a single-use authorization code bound to the client, redirect URI, PKCE
// challenge, scopes and resource.
func (p *Provider) issueCode(ctx context.Context, req *authRequest, ut *UpstreamToken, id *Identity) (string, error) {
	family := randomHex(16)
	raw, err := json.Marshal(ut)
	if err != nil {
		return "", err
	}
	fam := &familyRecord{
		ClientID:       req.ClientID,
		Subject:        id.Subject,
		Email:          id.Email,
		IdentitySource: id.Source,
		Upstream:       p.sealer.seal(raw, family),
		CreatedAt:      p.now(),
	}
	// The family lives as long as its code until the code is redeemed.
	if err := setJSON(ctx, p.store, keyFamily+family, fam, p.codeTTL); err != nil {
		return "", err
	}
	code := randomToken(prefixCode)
	rec := &codeRecord{
		ClientID:         req.ClientID,
		RedirectURI:      req.RedirectURI,
		RedirectExplicit: req.RedirectExplicit,
		Challenge:        req.Challenge,
		Scopes:           req.Scopes,
		Resource:         req.Resource,
		Family:           family,
		ExpiresAt:        p.now().Add(p.codeTTL),
	}
	if err := setJSON(ctx, p.store, keyCode+hashSecret(code), rec, p.codeTTL); err != nil {
		return "", err
	}
	return code, nil
}

// tokenResponse is the RFC 6749 §5.1 body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// serveToken is the token endpoint.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	if !parsePostForm(w, r) {
		return
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeError(w, oauthErr(CodeInvalidRequest, "parameter "+k+" is repeated"))
			return
		}
	}
	c, aerr := p.authenticateClient(r)
	if aerr != nil {
		aerr.write(w)
		return
	}
	grant := r.PostForm.Get("grant_type")
	switch grant {
	case "authorization_code", "refresh_token":
	case "":
		writeError(w, oauthErr(CodeInvalidRequest, "grant_type is required"))
		return
	default:
		writeError(w, oauthErr(CodeUnsupportedGrantType, "grant_type "+grant+" is not supported"))
		return
	}
	if !slices.Contains(c.GrantTypes, grant) {
		writeError(w, oauthErr(CodeUnauthorizedClient, "the client may not use "+grant))
		return
	}
	var (
		resp *tokenResponse
		err  error
	)
	if grant == "authorization_code" {
		resp, err = p.redeemCode(r.Context(), c, r)
	} else {
		resp, err = p.refresh(r.Context(), c, r)
	}
	if oe, ok := err.(*Error); ok {
		writeError(w, oe)
		return
	}
	if err != nil {
		// Store failures: their text stays in the log.
		p.logger.Error("provider: token endpoint", "grant_type", grant, "err", err)
		writeError(w, oauthErr(CodeTemporarilyUnavailable, "the request could not be completed"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// parsePostForm parses the form of a token or revocation request. A
// request that is not a POST with an application/x-www-form-urlencoded body
// of at most maxFormBytes is answered with an OAuth error, and it returns
// false.
func parsePostForm(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, &Error{Code: CodeInvalidRequest, Description: "use POST", Status: http.StatusMethodNotAllowed})
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || !isForm(r) {
		writeError(w, oauthErr(CodeInvalidRequest, "the body must be application/x-www-form-urlencoded"))
		return false
	}
	return true
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// singleUse is a kind of single-use secret, stored as the hash of the
// secret: redeeming it takes its record and leaves a used mark, so that the
// secret coming back is recognised as a replay and revokes its grant.
type singleUse[R any] struct {
	key, used string          // store key prefixes of the record and of the used mark
	family    func(*R) string // the grant family a record belongs to
	replayed  string          // the warning logged when a used secret comes back
}

var (
	authCodes = singleUse[codeRecord]{
		key: keyCode, used: keyCodeUsed,
		family:   func(r *codeRecord) string { return r.Family },
		replayed: "provider: authorization code replayed; revoking its tokens",
	}
	refreshTokens = singleUse[tokenRecord]{
		key: keyRefresh, used: keyRTUsed,
		family:   func(r *tokenRecord) string { return r.Family },
		replayed: "provider: refresh token reused; revoking its family",
	}
)

// take atomically takes the record of the secret whose hash is h and marks
// h used for ttl before returning it: the secret is spent from then on,
// whatever the caller decides. With no record it returns nil, after
// revoking the grant family of the used mark if there is one (the secret
// is being replayed by clientID). Errors are internal.
func (s *singleUse[R]) take(ctx context.Context, p *Provider, h string, ttl time.Duration, clientID string) (*R, error) {
	rec, err := takeJSON[R](ctx, p.taker, s.key+h)
	if isNotFound(err) {
		used, err := getJSON[usedRecord](ctx, p.store, s.used+h)
		if isNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		p.logger.Warn(s.replayed, "client_id", clientID)
		return nil, p.revokeFamily(ctx, used.Family)
	}
	if err != nil {
		return nil, err
	}
	if err := setJSON(ctx, p.store, s.used+h, &usedRecord{Family: s.family(rec)}, ttl); err != nil {
		return nil, err
	}
	return rec, nil
}

// redeemCode implements the authorization_code grant. It returns either a
// response, an *Error for the client, or an internal error.
func (p *Provider) redeemCode(ctx context.Context, c *clientRecord, r *http.Request) (*tokenResponse, error) {
	code := r.PostForm.Get("code")
	if code == "" {
		return nil, oauthErr(CodeInvalidRequest, "code is required")
	}
	// A replayed code revokes whatever was issued from it; the code is
	// consumed from here on, whatever the outcome.
	rec, err := authCodes.take(ctx, p, hashSecret(code), p.codeTTL, c.ClientID)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, oauthErr(CodeInvalidGrant, "the authorization code is invalid, expired or already used")
	}
	fail := func(desc string) (*tokenResponse, error) {
		if err := p.revokeFamily(ctx, rec.Family); err != nil {
			return nil, err
		}
		return nil, oauthErr(CodeInvalidGrant, desc)
	}
	switch {
	case !p.now().Before(rec.ExpiresAt):
		return fail("the authorization code has expired")
	case !constantTimeEqual(rec.ClientID, c.ClientID):
		return fail("the authorization code was issued to another client")
	case r.PostForm.Get("redirect_uri") != rec.RedirectURI && (rec.RedirectExplicit || r.PostForm.Get("redirect_uri") != ""):
		return fail("redirect_uri does not match the authorization request")
	}
	verifier := r.PostForm.Get("code_verifier")
	if !validVerifier(verifier) || !constantTimeEqual(s256(verifier), rec.Challenge) {
		return fail("code_verifier does not match the code challenge")
	}
	if res := r.PostForm.Get("resource"); res != "" {
		if got, ok := p.checkResource(res); !ok || got != rec.Resource {
			if err := p.revokeFamily(ctx, rec.Family); err != nil {
				return nil, err
			}
			return nil, oauthErr(CodeInvalidTarget, "resource does not match the authorization request")
		}
	}
	return p.issueInGrant(ctx, c, rec.Scopes, rec.Resource, rec.Family)
}

// refresh implements the refresh_token grant with rotation: each refresh
// token is single-use, and presenting a used one revokes its family.
func (p *Provider) refresh(ctx context.Context, c *clientRecord, r *http.Request) (*tokenResponse, error) {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return nil, oauthErr(CodeInvalidRequest, "refresh_token is required")
	}
	h := hashSecret(rt)
	rec, err := refreshTokens.take(ctx, p, h, p.refreshTTL, c.ClientID)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, oauthErr(CodeInvalidGrant, "the refresh token is invalid, expired or already used")
	}
	if !constantTimeEqual(rec.ClientID, c.ClientID) {
		// Another client holds this client's refresh token: the family is
		// compromised.
		if err := p.revokeFamily(ctx, rec.Family); err != nil {
			return nil, err
		}
		return nil, oauthErr(CodeInvalidGrant, "the refresh token was issued to another client")
	}
	if !p.now().Before(rec.ExpiresAt) {
		return nil, oauthErr(CodeInvalidGrant, "the refresh token has expired")
	}
	scopes := rec.Scopes
	if s := r.PostForm.Get("scope"); s != "" {
		scopes = nil
		for _, sc := range strings.Fields(s) {
			if !slices.Contains(rec.Scopes, sc) {
				// Put the token back: a bad request must not cost the grant.
				if err := p.restoreRefresh(ctx, h, rec); err != nil {
					return nil, err
				}
				return nil, oauthErr(CodeInvalidScope, "scope "+sc+" was not granted")
			}
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	if res := r.PostForm.Get("resource"); res != "" {
		if got, ok := p.checkResource(res); !ok || got != rec.Resource {
			if err := p.restoreRefresh(ctx, h, rec); err != nil {
				return nil, err
			}
			return nil, oauthErr(CodeInvalidTarget, "resource does not match the grant")
		}
	}
	return p.issueInGrant(ctx, c, scopes, rec.Resource, rec.Family)
}

// issueInGrant mints tokens in the grant family after checking that the
// grant still exists; the grant then lives as long as a refresh token. It
// returns what the grants return: a response, an *Error for the client,
// or an internal error.
func (p *Provider) issueInGrant(ctx context.Context, c *clientRecord, scopes []string, resource, family string) (*tokenResponse, error) {
	fam, err := p.loadFamily(ctx, family)
	if isNotFound(err) {
		return nil, oauthErr(CodeInvalidGrant, "the grant has been revoked")
	}
	if err != nil {
		return nil, err
	}
	if err := setJSON(ctx, p.store, keyFamily+family, fam, p.refreshTTL); err != nil {
		return nil, err
	}
	resp, err := p.mintTokens(ctx, c, scopes, resource, family, fam)
	if errors.Is(err, errGrantRevoked) {
		return nil, oauthErr(CodeInvalidGrant, "the grant has been revoked")
	}
	return resp, err
}

// restoreRefresh puts back a refresh token taken by a request that failed
// validation for a reason that does not suggest theft.
func (p *Provider) restoreRefresh(ctx context.Context, h string, rec *tokenRecord) error {
	if err := p.store.Delete(ctx, keyRTUsed+h); err != nil {
		return err
	}
	return setJSON(ctx, p.store, keyRefresh+h, rec, rec.ExpiresAt.Sub(p.now()))
}

// errGrantRevoked reports a grant revoked while a token was being minted
// in it.
var errGrantRevoked = errors.New("provider: grant revoked")

// mintTokens issues an access token and, if the client may refresh, a
// refresh token, both stored only as hashes, in the grant family of fam.
//
// The access token is listed in the grant's grantTokens before its record
// is written, and the grant's tombstone is read after: a revocation that
// read the list before the token was on it wrote its tombstone before
// that, so the token is found and deleted here (errGrantRevoked).
func (p *Provider) mintTokens(ctx context.Context, c *clientRecord, scopes []string, resource, family string, fam *familyRecord) (*tokenResponse, error) {
	now := p.now()
	at := randomToken(prefixAccess)
	h := hashSecret(at)
	arec := &tokenRecord{
		ClientID: c.ClientID, Scopes: scopes, Resource: resource, Family: family, ExpiresAt: now.Add(p.accessTTL),
		Grant: &grantIdentity{Subject: fam.Subject, Email: fam.Email, IdentitySource: fam.IdentitySource},
	}
	if err := p.listAccess(ctx, family, issuedToken{Hash: h, ExpiresAt: arec.ExpiresAt}); err != nil {
		return nil, fmt.Errorf("provider: list access token: %w", err)
	}
	if err := setJSON(ctx, p.store, keyAccess+h, arec, p.accessTTL); err != nil {
		return nil, fmt.Errorf("provider: store access token: %w", err)
	}
	if _, err := p.store.Get(ctx, keyRevoked+family); err == nil {
		return nil, errors.Join(errGrantRevoked, p.store.Delete(ctx, keyAccess+h))
	} else if !isNotFound(err) {
		return nil, errors.Join(err, p.store.Delete(ctx, keyAccess+h))
	}
	resp := &tokenResponse{
		AccessToken: at,
		TokenType:   "Bearer",
		ExpiresIn:   int64(p.accessTTL / time.Second),
		Scope:       strings.Join(scopes, " "),
	}
	if slices.Contains(c.GrantTypes, "refresh_token") {
		rt := randomToken(prefixRefresh)
		rrec := &tokenRecord{ClientID: c.ClientID, Scopes: scopes, Resource: resource, Family: family, ExpiresAt: now.Add(p.refreshTTL)}
		if err := setJSON(ctx, p.store, keyRefresh+hashSecret(rt), rrec, p.refreshTTL); err != nil {
			return nil, fmt.Errorf("provider: store refresh token: %w", err)
		}
		resp.RefreshToken = rt
	}
	return resp, nil
}

// listAccess adds an access token to its grant's grantTokens, dropping
// the expired ones.
func (p *Provider) listAccess(ctx context.Context, family string, t issuedToken) error {
	list, err := getJSON[grantTokens](ctx, p.store, keyGrantAT+family)
	if isNotFound(err) {
		list, err = &grantTokens{}, nil
	}
	if err != nil {
		return err
	}
	now := p.now()
	list.Access = slices.DeleteFunc(list.Access, func(t issuedToken) bool { return !now.Before(t.ExpiresAt) })
	list.Access = append(list.Access, t)
	// Every listed token expires within accessTTL from now.
	return setJSON(ctx, p.store, keyGrantAT+family, list, p.accessTTL)
}

// revokeFamily revokes a grant: every access and refresh token issued from
// it stops working (immediately here; on other replicas when the Notifier's
// message reaches them, or within the token cache TTL without one). It
// leaves a tombstone first, so a concurrent request that re-writes the
// family record (to extend its lifetime) cannot bring the grant back, and
// a concurrent mint finds it (see mintTokens); then it deletes the grant's
// access tokens, which verification reads alone.
func (p *Provider) revokeFamily(ctx context.Context, family string) error {
	// The tombstone outlives any family record or refresh token a racing
	// request could still write.
	if err := setJSON(ctx, p.store, keyRevoked+family, struct{}{}, p.refreshTTL+time.Hour); err != nil {
		return err
	}
	err := p.deleteAccess(ctx, family)
	// Drop after the deletions: a verification that read the store before
	// them cannot cache the grant after this (see tokenCache.put).
	p.cache.dropFamily(family)
	p.announce(ctx, revokedGrant, family)
	return errors.Join(err, p.store.Delete(ctx, keyFamily+family))
}

// deleteAccess deletes the records of a grant's access tokens, and the
// list of them. It tries every one before it reports an error.
func (p *Provider) deleteAccess(ctx context.Context, family string) error {
	list, err := getJSON[grantTokens](ctx, p.store, keyGrantAT+family)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range list.Access {
		errs = append(errs, p.store.Delete(ctx, keyAccess+t.Hash))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return p.store.Delete(ctx, keyGrantAT+family)
}

// loadFamily returns a live grant, or an error wrapping
// repository.ErrNotFound when it is revoked or gone.
func (p *Provider) loadFamily(ctx context.Context, family string) (*familyRecord, error) {
	if _, err := p.store.Get(ctx, keyRevoked+family); err == nil {
		return nil, fmt.Errorf("provider: grant revoked: %w", repository.ErrNotFound)
	} else if !isNotFound(err) {
		return nil, err
	}
	return getJSON[familyRecord](ctx, p.store, keyFamily+family)
}

// serveRevoke implements RFC 7009. Unknown tokens get 200; so do tokens of
// another client, which are left alone.
func (p *Provider) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if !parsePostForm(w, r) {
		return
	}
	c, aerr := p.authenticateClient(r)
	if aerr != nil {
		aerr.write(w)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeError(w, oauthErr(CodeInvalidRequest, "token is required"))
		return
	}
	if err := p.revoke(r.Context(), c.ClientID, tok, r.PostForm.Get("token_type_hint")); err != nil {
		p.logger.Error("provider: revoke", "err", err)
		writeError(w, oauthErr(CodeTemporarilyUnavailable, "the token could not be revoked; try again"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revoke revokes tok if it belongs to clientID. A refresh token revokes its
// whole family; an access token only itself.
func (p *Provider) revoke(ctx context.Context, clientID, tok, hint string) error {
	h := hashSecret(tok)
	kinds := []string{keyAccess, keyRefresh}
	if hint == "refresh_token" {
		kinds = []string{keyRefresh, keyAccess}
	}
	for _, k := range kinds {
		rec, err := getJSON[tokenRecord](ctx, p.store, k+h)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if !constantTimeEqual(rec.ClientID, clientID) {
			return nil
		}
		if k == keyRefresh {
			if err := p.store.Delete(ctx, k+h); err != nil {
				return err
			}
			return p.revokeFamily(ctx, rec.Family)
		}
		if err := p.store.Delete(ctx, k+h); err != nil {
			return err
		}
		p.cache.drop(h)
		p.announce(ctx, revokedAccess, h)
		return nil
	}
	return nil
}
