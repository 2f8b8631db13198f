// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/mcpauth/mcpauth/internal/loopback"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// The rules below come from the AuthN OpenAPI specification the Pangea
// SDKs test against (pangeacyber/pangea-python,
// packages/pangea-sdk/tests/testdata/specs/authn.openapi.json), by
// component name.
var (
	// authnTokenPattern is authn-token, the token field of POST
	// /v2/client/token/check, as the spec writes it (its first
	// alternative is anchored at the start only, its second at the end
	// only).
	authnTokenPattern = regexp.MustCompile(`^(p(ti|tr|ts|tu|cl)_[a-z2-7]{32})|([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$`)
	// authnScopePattern is authn-scope, one scope of authn-oauth-scope.
	authnScopePattern = regexp.MustCompile(`^[a-zA-Z0-9:*/_=-]+$`)
)

// Pangea returns upstream options for Pangea AuthN: its hosted login at
// {IssuerURL}/v2/oauth/authorize with the configured scopes, an S256 PKCE
// challenge and, when "openid" is among the scopes, a nonce; the code
// exchange at {IssuerURL}/v2/oauth/token with client_secret_basic; and the
// user's identity from the sources [PangeaOptions.Identity] lists. A
// configuration error is reported by [New].
func Pangea(o PangeaOptions) UpstreamOptions {
	issuer := strings.TrimRight(o.IssuerURL, "/")
	u := UpstreamOptions{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		Scopes:       slices.Clone(o.Scopes),
		AuthURL:      issuer + "/v2/oauth/authorize",
		TokenURL:     issuer + "/v2/oauth/token",
		AuthStyle:    "basic",
		HTTPClient:   o.HTTPClient,
		pangea:       newPangeaUpstream(o, issuer),
	}
	if issuer == "" {
		u.AuthURL, u.TokenURL = "", ""
	}
	return u
}

// pangeaUpstream is the Pangea preset's part of an upstream: how the user
// is identified, and whether PKCE and a nonce are sent.
type pangeaUpstream struct {
	err         error    // the configuration error, reported by New
	sources     []string // identity sources, in order
	noPKCE      bool
	nonce       bool // "openid" is requested
	client      *http.Client
	authnBase   string
	authnToken  string
	userinfoURL string
	idVerifier  *rp.IDTokenVerifier
}

// identitySources are the names PangeaOptions.Identity accepts, in the
// default order.
var identitySources = []string{IdentitySourceIDToken, IdentitySourceUserinfo, IdentitySourcePangeaTokenCheck, IdentitySourceNone}

func newPangeaUpstream(o PangeaOptions, issuer string) *pangeaUpstream {
	p := &pangeaUpstream{
		noPKCE:      o.DisablePKCE,
		nonce:       slices.Contains(o.Scopes, "openid"),
		client:      o.HTTPClient,
		authnBase:   strings.TrimRight(o.AuthNBaseURL, "/"),
		authnToken:  o.AuthNToken,
		userinfoURL: o.UserinfoURL,
	}
	if p.client == nil {
		p.client = &http.Client{Timeout: DefaultUpstreamTimeout}
	}
	if p.authnBase == "" {
		p.authnBase = DefaultPangeaAuthNBaseURL
	}
	p.sources, p.err = pangeaSources(o)
	if p.err != nil {
		return p
	}
	if slices.Contains(p.sources, IdentitySourceIDToken) {
		var keys oidc.KeySet = &authnKeySet{p: p}
		if o.JWKSURL != "" {
			keys = rp.NewRemoteKeySet(p.client, o.JWKSURL)
		}
		iss := o.IDTokenIssuer
		if iss == "" {
			iss = issuer
		}
		p.idVerifier = rp.NewIDTokenVerifier(iss, o.ClientID, keys,
			rp.WithNonce(func(ctx context.Context) string { n, _ := ctx.Value(nonceKey{}).(string); return n }),
			// AuthN signs JWTs with Vault keys: ES256/384/512
			// (vault-asymmetric-key-jwt-algorithm), or RSA.
			rp.WithSupportedSigningAlgorithms("ES256", "ES384", "ES512", "RS256", "PS256"))
	}
	return p
}

// pangeaSources validates o and returns its identity sources.
func pangeaSources(o PangeaOptions) ([]string, error) {
	switch {
	case o.IssuerURL == "":
		return nil, errors.New("provider: PangeaOptions.IssuerURL is required (the AuthN hosted-login URL, https://pdn-….login.aws.us.pangea.cloud)")
	case o.ClientID == "" || o.ClientSecret == "":
		return nil, errors.New("provider: PangeaOptions.ClientID and ClientSecret are required (AuthN has no public clients)")
	case len(o.Scopes) == 0:
		return nil, errors.New("provider: PangeaOptions.Scopes is required: the scopes AuthN grants the login, such as the OAuth client's custom scope, and \"openid\" for an ID token")
	}
	for _, sc := range o.Scopes {
		if !authnScopePattern.MatchString(sc) {
			return nil, fmt.Errorf("provider: PangeaOptions.Scopes: %q is not an AuthN scope (%s)", sc, authnScopePattern)
		}
	}
	// Secrets and tokens travel to these URLs: https, or http to loopback
	// (test doubles) only.
	for _, u := range []struct{ name, raw string }{{"IssuerURL", o.IssuerURL}, {"AuthNBaseURL", o.AuthNBaseURL}, {"JWKSURL", o.JWKSURL}, {"UserinfoURL", o.UserinfoURL}} {
		if u.raw == "" {
			continue
		}
		p, err := url.Parse(u.raw)
		if err != nil || p.Host == "" || p.Scheme != "https" && !(p.Scheme == "http" && loopback.Host(p.Hostname())) {
			return nil, fmt.Errorf("provider: PangeaOptions.%s %q must be an https URL (http is allowed only on loopback)", u.name, u.raw)
		}
	}
	openid := slices.Contains(o.Scopes, "openid")
	sources := o.Identity
	if sources == nil {
		if openid && (o.JWKSURL != "" || o.AuthNToken != "") {
			sources = append(sources, IdentitySourceIDToken)
		}
		if o.UserinfoURL != "" {
			sources = append(sources, IdentitySourceUserinfo)
		}
		if o.AuthNToken != "" {
			sources = append(sources, IdentitySourcePangeaTokenCheck)
		}
		if len(sources) == 0 {
			return nil, errors.New("provider: Pangea has no identity source: set PangeaOptions.AuthNToken (AuthN's token check; with \"openid\" in Scopes also the ID token), " +
				"or add \"openid\" to Scopes and set JWKSURL, or set UserinfoURL; or set Identity to [\"none\"] to tie grants to the MCP client alone, as pangea-authn-fastmcp does")
		}
		return sources, nil
	}
	if len(sources) == 0 {
		return nil, errors.New("provider: PangeaOptions.Identity is empty: list at least one source, or leave it nil for the default")
	}
	for i, src := range sources {
		switch {
		case !slices.Contains(identitySources, src):
			return nil, fmt.Errorf("provider: PangeaOptions.Identity: unknown source %q (want one of %s)", src, strings.Join(identitySources, ", "))
		case slices.Index(sources, src) != i:
			return nil, fmt.Errorf("provider: PangeaOptions.Identity lists %q twice", src)
		case src == IdentitySourceNone && i != len(sources)-1:
			return nil, errors.New("provider: PangeaOptions.Identity: \"none\" always applies, so it must come last")
		case src == IdentitySourceIDToken && !openid:
			return nil, errors.New("provider: PangeaOptions.Identity has \"id_token\" but Scopes lacks \"openid\": AuthN issues ID tokens only for openid")
		case src == IdentitySourceIDToken && o.JWKSURL == "" && o.AuthNToken == "":
			return nil, errors.New("provider: PangeaOptions.Identity has \"id_token\": set PangeaOptions.AuthNToken (keys from AuthN's /v2/client/jwks) or JWKSURL")
		case src == IdentitySourceUserinfo && o.UserinfoURL == "":
			return nil, errors.New("provider: PangeaOptions.Identity has \"userinfo\" but PangeaOptions.UserinfoURL is empty")
		case src == IdentitySourcePangeaTokenCheck && o.AuthNToken == "":
			return nil, errors.New("provider: PangeaOptions.Identity has \"pangea_token_check\" but PangeaOptions.AuthNToken is empty: the token check needs an AuthN service token")
		}
	}
	return slices.Clone(sources), nil
}

// identify resolves the user of a login: the first source that applies
// decides; a source that applies and fails fails the login. granted are
// the scopes the token response granted.
func (p *pangeaUpstream) identify(ctx context.Context, u *upstream, ut *UpstreamToken, granted []string) (*Identity, error) {
	var skipped []string
	for _, src := range p.sources {
		var (
			id   *Identity
			err  error
			skip string
		)
		switch src {
		case IdentitySourceIDToken:
			if ut.IDToken == "" || !slices.Contains(granted, "openid") {
				skip = "no ID token (openid not granted)"
				break
			}
			var claims *oidc.IDTokenClaims
			if claims, err = rp.VerifyTokens[*oidc.IDTokenClaims](ctx, ut.AccessToken, ut.IDToken, p.idVerifier); err == nil {
				id = &Identity{Subject: claims.Subject, Email: claims.Email, Source: IdentitySourceIDToken}
			}
		case IdentitySourceUserinfo:
			id, err = u.userinfo(ctx, p.userinfoURL, ut)
		case IdentitySourcePangeaTokenCheck:
			if !authnTokenPattern.MatchString(ut.AccessToken) {
				skip = "the access token is not of a form the token check accepts (authn-token)"
				break
			}
			id, err = p.tokenCheck(ctx, ut.AccessToken)
		case IdentitySourceNone:
			id = &Identity{Source: IdentitySourceNone}
		}
		if skip != "" {
			u.logger.LogAttrs(ctx, slog.LevelDebug, "provider: Pangea identity source skipped", slog.String("source", src), slog.String("reason", skip))
			skipped = append(skipped, src+": "+skip)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("provider: Pangea identity source %s: %w", src, err)
		}
		return id, nil
	}
	return nil, fmt.Errorf("provider: no Pangea identity source applied to this login (%s); add another to PangeaOptions.Identity", strings.Join(skipped, "; "))
}

// grantedScopes are the scopes of a token response: its scope parameter,
// or the requested ones when it has none (RFC 6749 §5.1).
func grantedScopes(scope any, requested []string) []string {
	if s, ok := scope.(string); ok && s != "" {
		return strings.Fields(s)
	}
	return requested
}

// authnError is an AuthN service API answer other than Success. It names
// the path, status, HTTP code, request id and the validation errors' codes
// and sources; never the summary or details, which may quote the request.
type authnError struct {
	path, status, requestID string
	httpStatus              int
	errors                  []string // code at source
}

func (e *authnError) Error() string {
	status := e.status
	if status == "" {
		status = "non-envelope answer"
	}
	msg := fmt.Sprintf("pangea: %s: %s (HTTP %d)", e.path, status, e.httpStatus)
	if len(e.errors) > 0 {
		msg += ": " + strings.Join(e.errors, ", ")
	}
	if e.requestID != "" {
		msg += " [" + e.requestID + "]"
	}
	return msg
}

// authnCall POSTs body to the AuthN service API with the service token and
// decodes a Success result into out.
func (p *pangeaUpstream) authnCall(ctx context.Context, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.authnBase+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.authnToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("pangea: %s: %w", path, err)
	}
	defer resp.Body.Close()
	var env struct {
		RequestID string          `json:"request_id"`
		Status    string          `json:"status"`
		Result    json.RawMessage `json:"result"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&env); err != nil {
		return &authnError{path: path, httpStatus: resp.StatusCode}
	}
	if resp.StatusCode != http.StatusOK || env.Status != "Success" {
		e := &authnError{path: path, status: env.Status, requestID: env.RequestID, httpStatus: resp.StatusCode}
		var r struct {
			Errors []struct{ Code, Source string }
		}
		if json.Unmarshal(env.Result, &r) == nil {
			for _, fe := range r.Errors {
				e.errors = append(e.errors, fe.Code+" at "+fe.Source)
			}
		}
		return e
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("pangea: %s: undecodable result: %w", path, err)
	}
	return nil
}

// tokenCheck resolves the user with POST /v2/client/token/check; the
// result is authn-token-info-nocreds.
func (p *pangeaUpstream) tokenCheck(ctx context.Context, token string) (*Identity, error) {
	var info struct {
		Identity string `json:"identity"`
		Email    string `json:"email"`
	}
	if err := p.authnCall(ctx, "/v2/client/token/check", map[string]string{"token": token}, &info); err != nil {
		return nil, err
	}
	if info.Identity == "" {
		return nil, errors.New("pangea: /v2/client/token/check: the result has no identity")
	}
	return &Identity{Subject: info.Identity, Email: info.Email, Source: IdentitySourcePangeaTokenCheck}, nil
}

// authnKeySet is the oidc.KeySet of AuthN's POST /v2/client/jwks. Keys are
// cached and fetched again when a token names a key the cache lacks.
type authnKeySet struct {
	p *pangeaUpstream

	mu   sync.Mutex // guards keys
	keys []jose.JSONWebKey
}

func (k *authnKeySet) VerifySignature(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	kid, alg := oidc.GetKeyIDAndAlg(jws)
	k.mu.Lock()
	keys := k.keys
	k.mu.Unlock()
	key, err := oidc.FindMatchingKey(kid, oidc.KeyUseSignature, alg, keys...)
	if err != nil {
		if keys, err = k.fetch(ctx); err != nil {
			return nil, err
		}
		if key, err = oidc.FindMatchingKey(kid, oidc.KeyUseSignature, alg, keys...); err != nil {
			return nil, fmt.Errorf("pangea: /v2/client/jwks has no key %q for %s: %w", kid, alg, err)
		}
	}
	return jws.Verify(&key)
}

// fetch reads the key set; keys go-jose cannot use are skipped.
func (k *authnKeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	var res struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.p.authnCall(ctx, "/v2/client/jwks", struct{}{}, &res); err != nil {
		return nil, err
	}
	var keys []jose.JSONWebKey
	for _, raw := range res.Keys {
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) == nil && key.Valid() && key.IsPublic() {
			keys = append(keys, key)
		}
	}
	k.mu.Lock()
	k.keys = keys
	k.mu.Unlock()
	return keys, nil
}
