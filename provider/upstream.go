// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// UpstreamToken is the token the upstream identity provider issued at login.
// It is stored encrypted and never handed to MCP clients.
type UpstreamToken struct {
	// AccessToken is the upstream access token, for calling upstream APIs.
	AccessToken string `json:"access_token"`
	// TokenType is the upstream token type, usually "Bearer".
	TokenType string `json:"token_type,omitempty"`
	// RefreshToken is the upstream refresh token, if one was issued; with
	// it, [Grant.UpstreamToken] refreshes an expiring AccessToken.
	RefreshToken string `json:"refresh_token,omitempty"`
	// IDToken is the raw ID token verified at login (OIDC upstreams).
	IDToken string `json:"id_token,omitempty"`
	// Expiry is when AccessToken expires; zero if the upstream did not say.
	Expiry time.Time `json:"expiry,omitzero"`
}

// upstreamError is an OAuth error reported by the upstream, relayed to the
// MCP client.
type upstreamError struct {
	code string
	desc string
}

func (e *upstreamError) Error() string { return "provider: upstream error " + e.code }

type nonceKey struct{}

// upstream wraps the zitadel relying party, created lazily because OIDC
// discovery happens in its constructor.
type upstream struct {
	opts        UpstreamOptions
	redirectURI string
	client      *http.Client
	logger      *slog.Logger

	mu sync.Mutex
	rp rp.RelyingParty
}

func newUpstream(o UpstreamOptions, redirectURI string, logger *slog.Logger) (*upstream, error) {
	if o.pangea != nil && o.pangea.err != nil {
		return nil, o.pangea.err
	}
	oauthMode := o.AuthURL != "" || o.TokenURL != ""
	switch {
	case o.ClientID == "":
		return nil, errors.New("provider: Upstream.ClientID is required")
	case oauthMode && (o.AuthURL == "" || o.TokenURL == ""):
		return nil, errors.New("provider: Upstream.AuthURL and Upstream.TokenURL must be set together")
	case !oauthMode && o.Issuer == "":
		return nil, errors.New("provider: Upstream.Issuer (OIDC) or Upstream.AuthURL and TokenURL (OAuth) are required")
	}
	switch o.AuthStyle {
	case "", "basic", "post":
	default:
		return nil, fmt.Errorf("provider: unknown Upstream.AuthStyle %q", o.AuthStyle)
	}
	if !oauthMode && o.Scopes == nil {
		o.Scopes = DefaultOIDCScopes
	}
	if !oauthMode && !containsString(o.Scopes, "openid") {
		o.Scopes = append([]string{"openid"}, o.Scopes...)
	}
	c := o.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: DefaultUpstreamTimeout}
	}
	return &upstream{opts: o, redirectURI: redirectURI, client: c, logger: logger}, nil
}

func (u *upstream) oauthMode() bool { return u.opts.AuthURL != "" }

// relyingParty returns the relying party, creating it on first use. A
// failed discovery is not remembered: the next login tries again.
func (u *upstream) relyingParty(ctx context.Context) (rp.RelyingParty, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.rp != nil {
		return u.rp, nil
	}
	opts := []rp.Option{
		rp.WithHTTPClient(u.client),
		rp.WithLogger(u.logger),
		rp.WithVerifierOpts(rp.WithNonce(func(ctx context.Context) string {
			n, _ := ctx.Value(nonceKey{}).(string)
			return n
		})),
	}
	switch u.opts.AuthStyle {
	case "basic":
		opts = append(opts, rp.WithAuthStyle(oauth2.AuthStyleInHeader))
	case "post":
		opts = append(opts, rp.WithAuthStyle(oauth2.AuthStyleInParams))
	}
	var (
		r   rp.RelyingParty
		err error
	)
	if u.oauthMode() {
		r, err = rp.NewRelyingPartyOAuth(&oauth2.Config{
			ClientID:     u.opts.ClientID,
			ClientSecret: u.opts.ClientSecret,
			RedirectURL:  u.redirectURI,
			Scopes:       u.opts.Scopes,
			Endpoint:     oauth2.Endpoint{AuthURL: u.opts.AuthURL, TokenURL: u.opts.TokenURL},
		}, opts...)
	} else {
		r, err = rp.NewRelyingPartyOIDC(ctx, u.opts.Issuer, u.opts.ClientID, u.opts.ClientSecret, u.redirectURI, u.opts.Scopes, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("provider: upstream setup: %w", err)
	}
	u.rp = r
	return r, nil
}

// authURL builds the upstream authorization URL with our own state, PKCE
// challenge and (OIDC) nonce.
func (u *upstream) authURL(ctx context.Context, state, verifier, nonce string) (string, error) {
	r, err := u.relyingParty(ctx)
	if err != nil {
		return "", err
	}
	var opts []rp.AuthURLOpt
	if u.pkce() {
		opts = append(opts, rp.WithCodeChallenge(oidc.NewSHACodeChallenge(verifier)))
	}
	if !u.oauthMode() || u.opts.pangea != nil && u.opts.pangea.nonce {
		opts = append(opts, rp.AuthURLOpt(rp.WithURLParam("nonce", nonce)))
	}
	return rp.AuthURL(state, r, opts...), nil
}

// pkce reports whether the upstream gets a PKCE challenge: always, but for
// a Pangea upstream with PangeaOptions.DisablePKCE.
func (u *upstream) pkce() bool { return u.opts.pangea == nil || !u.opts.pangea.noPKCE }

// exchange redeems the upstream code and resolves the user.
func (u *upstream) exchange(ctx context.Context, code, verifier, nonce string) (*UpstreamToken, *Identity, error) {
	r, err := u.relyingParty(ctx)
	if err != nil {
		return nil, nil, err
	}
	ctx = context.WithValue(ctx, nonceKey{}, nonce)
	var opts []rp.CodeExchangeOpt
	if u.pkce() {
		opts = append(opts, rp.WithCodeVerifier(verifier))
	}
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, code, r, opts...)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return nil, nil, fmt.Errorf("provider: upstream code exchange: %w", &upstreamError{code: re.ErrorCode, desc: re.ErrorDescription})
		}
		return nil, nil, fmt.Errorf("provider: upstream code exchange: %w", err)
	}
	if tokens.Token == nil || tokens.AccessToken == "" {
		return nil, nil, errors.New("provider: upstream returned no access token")
	}
	ut := &UpstreamToken{
		AccessToken:  tokens.AccessToken,
		TokenType:    tokens.TokenType,
		RefreshToken: tokens.RefreshToken,
		IDToken:      tokens.IDToken,
		Expiry:       tokens.Expiry,
	}
	if ut.IDToken == "" && u.opts.pangea != nil {
		// OAuth mode leaves the ID token unparsed: the Pangea identity
		// sources verify it.
		ut.IDToken, _ = tokens.Extra("id_token").(string)
	}
	var id *Identity
	if u.opts.pangea != nil && u.opts.Identify == nil {
		id, err = u.opts.pangea.identify(ctx, u, ut, grantedScopes(tokens.Extra("scope"), u.opts.Scopes))
	} else {
		id, err = u.identify(ctx, r, ut, tokens.IDTokenClaims)
	}
	if err != nil {
		return nil, nil, err
	}
	return ut, id, nil
}

// refresh redeems an upstream refresh token. The user's identity was fixed
// at login, so a refreshed ID token is not used: the token keeps the ID
// token verified at login.
func (u *upstream) refresh(ctx context.Context, old *UpstreamToken) (*UpstreamToken, error) {
	r, err := u.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, r.HttpClient())
	tok, err := r.OAuthConfig().TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("provider: upstream refresh: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, errors.New("provider: upstream refresh returned no access token")
	}
	nt := &UpstreamToken{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		IDToken:      old.IDToken,
		Expiry:       tok.Expiry,
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = old.RefreshToken
	}
	return nt, nil
}

func (u *upstream) identify(ctx context.Context, r rp.RelyingParty, ut *UpstreamToken, claims *oidc.IDTokenClaims) (*Identity, error) {
	if u.opts.Identify != nil {
		id, err := u.opts.Identify(ctx, ut)
		if err != nil {
			return nil, &hookError{hook: "identify user", err: err}
		}
		if id == nil {
			return nil, &hookError{hook: "identify user", err: errors.New("no identity and no error")}
		}
		if id.Source == "" {
			id.Source = IdentitySourceCustom
		}
		return id, nil
	}
	if !u.oauthMode() && claims != nil {
		id := &Identity{Subject: claims.Subject, Email: claims.Email, Source: IdentitySourceIDToken}
		if id.Email == "" && r.UserinfoEndpoint() != "" {
			info, err := rp.Userinfo[*oidc.UserInfo](ctx, ut.AccessToken, "Bearer", claims.Subject, r)
			if err != nil {
				return nil, fmt.Errorf("provider: upstream userinfo: %w", err)
			}
			id.Email = info.Email
			id.Source = IdentitySourceIDToken + "+" + IdentitySourceUserinfo
		}
		return id, nil
	}
	if u.opts.UserinfoURL != "" {
		return u.userinfo(ctx, u.opts.UserinfoURL, ut)
	}
	return &Identity{Source: IdentitySourceNone}, nil
}

// userinfo resolves the user from an OpenID Connect userinfo endpoint.
func (u *upstream) userinfo(ctx context.Context, endpoint string, ut *UpstreamToken) (*Identity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("provider: upstream userinfo: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+ut.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("provider: upstream userinfo: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("provider: upstream userinfo: status %d", resp.StatusCode)
	}
	var info struct {
		Sub   string `json:"sub"`
		Email string `json:"email"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&info); err != nil {
		return nil, fmt.Errorf("provider: upstream userinfo: %w", err)
	}
	if info.Sub == "" {
		return nil, errors.New("provider: upstream userinfo has no sub")
	}
	return &Identity{Subject: info.Sub, Email: info.Email, Source: IdentitySourceUserinfo}, nil
}
