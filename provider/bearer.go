// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/mcpauth/mcpauth"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"golang.org/x/oauth2"
)

// Grant describes the verified access token of the current request. It is
// in the request context of handlers behind [Provider.RequireBearer].
type Grant struct {
	// ClientID is the OAuth client the token was issued to.
	ClientID string
	// Subject and Email identify the user, as resolved at login.
	Subject string
	Email   string
	// IdentitySource says where Subject and Email came from (one of the
	// IdentitySource constants): the upstream ID token, userinfo, Pangea's
	// token check, a custom IdentifyFunc, or none.
	IdentitySource string
	// Scopes are the granted scopes.
	Scopes []string
	// Resource is the audience: the MCP URL.
	Resource string
	// Expiry is when the access token expires.
	Expiry time.Time

	family   string
	provider *Provider
}

type grantKey struct{}

// tokenInfoGrantKey is the key of the *Grant in go-sdk's TokenInfo.Extra.
const tokenInfoGrantKey = "mcpauth/provider.Grant"

// GrantFromContext returns the grant stored by [Provider.RequireBearer] in
// the HTTP request context.
func GrantFromContext(ctx context.Context) (*Grant, bool) {
	g, ok := ctx.Value(grantKey{}).(*Grant)
	if ok && g != nil {
		return g, true
	}
	return GrantFromTokenInfo(auth.TokenInfoFromContext(ctx))
}

// GrantFromTokenInfo returns the grant carried by go-sdk's TokenInfo, which
// MCP tool handlers receive as req.Extra.TokenInfo.
func GrantFromTokenInfo(ti *auth.TokenInfo) (*Grant, bool) {
	if ti == nil {
		return nil, false
	}
	g, ok := ti.Extra[tokenInfoGrantKey].(*Grant)
	return g, ok && g != nil
}

// ErrNoGrant is returned by [UpstreamTokenFromContext] outside a request
// verified by [Provider.RequireBearer].
var ErrNoGrant = errors.New("provider: no verified grant in context")

// UpstreamTokenFromContext is [Grant.UpstreamToken] for the grant of the
// current request.
func UpstreamTokenFromContext(ctx context.Context) (*UpstreamToken, error) {
	g, ok := GrantFromContext(ctx)
	if !ok {
		return nil, ErrNoGrant
	}
	return g.UpstreamToken(ctx)
}

// upstreamRefreshMargin is how long before its expiry an upstream access
// token is refreshed.
const upstreamRefreshMargin = time.Minute

// UpstreamToken returns the upstream identity provider's token for the
// user of this grant, decrypted from the store, so tool code can call
// upstream APIs on the user's behalf. It must never be sent to the MCP
// client. An access token that expires within a minute is refreshed first
// when the upstream issued a refresh token (request offline_access from
// OIDC upstreams to get one); the new token replaces the stored one. It
// fails once the grant is revoked.
//
// Refreshes are serialised within a process; replicas refreshing the same
// grant at the same moment may race, and with rotating upstream refresh
// tokens the loser gets an error.
//
// Its errors are *[Error] values, ready for [Provider.WriteError]:
// invalid_token when the grant was revoked or the upstream refused to
// refresh (the user must log in again), temporarily_unavailable when the
// store or the upstream could not be reached, server_error when the stored
// token cannot be read. Their Err field holds the cause.
func (g *Grant) UpstreamToken(ctx context.Context) (*UpstreamToken, error) {
	p := g.provider
	ut, fam, err := p.openUpstream(ctx, g.family)
	if err != nil || !p.upstreamExpiring(ut) {
		return ut, err
	}
	p.refreshMu.Lock()
	defer p.refreshMu.Unlock()
	// Another request may have refreshed while this one waited.
	if ut, fam, err = p.openUpstream(ctx, g.family); err != nil || !p.upstreamExpiring(ut) {
		return ut, err
	}
	nt, err := p.tel.refresh(ctx, p.up, ut) // p.up.refresh, with telemetry
	if err != nil {
		if re := (*oauth2.RetrieveError)(nil); errors.As(err, &re) && re.ErrorCode == string(CodeInvalidGrant) {
			return nil, &Error{Code: CodeInvalidToken, Description: "the identity provider no longer accepts this grant; log in again", Err: err}
		}
		return nil, &Error{Code: CodeTemporarilyUnavailable, Description: "the upstream token could not be refreshed", Err: err}
	}
	raw, err := json.Marshal(nt)
	if err != nil {
		return nil, &Error{Code: CodeServerError, Description: "the upstream token could not be stored", Err: err}
	}
	fam.Upstream = p.sealer.seal(raw, g.family)
	if err := setJSON(ctx, p.store, keyFamily+g.family, fam, p.refreshTTL); err != nil {
		return nil, &Error{Code: CodeTemporarilyUnavailable, Description: "the upstream token could not be stored", Err: err}
	}
	return nt, nil
}

func (p *Provider) upstreamExpiring(ut *UpstreamToken) bool {
	return ut.RefreshToken != "" && !ut.Expiry.IsZero() && !p.now().Add(upstreamRefreshMargin).Before(ut.Expiry)
}

// openUpstream loads and decrypts a grant's upstream token.
func (p *Provider) openUpstream(ctx context.Context, family string) (*UpstreamToken, *familyRecord, error) {
	fam, err := p.loadFamily(ctx, family)
	if err != nil {
		if isNotFound(err) {
			return nil, nil, &Error{Code: CodeInvalidToken, Description: "the grant has been revoked", Err: err}
		}
		return nil, nil, &Error{Code: CodeTemporarilyUnavailable, Description: "the upstream token could not be loaded", Err: err}
	}
	raw, err := p.sealer.open(fam.Upstream, family)
	if err != nil {
		return nil, nil, &Error{Code: CodeServerError, Description: "the upstream token could not be read", Err: err}
	}
	var ut UpstreamToken
	if err := json.Unmarshal(raw, &ut); err != nil {
		return nil, nil, &Error{Code: CodeServerError, Description: "the upstream token could not be read", Err: fmt.Errorf("corrupt upstream token: %w", err)}
	}
	return &ut, fam, nil
}

// RequireBearer returns middleware for the MCP endpoint that demands one of
// this provider's access tokens in the Authorization header and
// [Options.RequiredScopes]. A missing or bad token gets 401 with an RFC
// 9728 challenge (WWW-Authenticate: Bearer resource_metadata="…",
// scope="…", plus error="invalid_token" for a bad token); missing scopes get
// 403 insufficient_scope. On success the request context carries the
// [mcpauth.Principal] (read by the mcpauth middleware's context identity
// mode), the go-sdk [auth.TokenInfo] (whose UserID binds MCP sessions to the
// user, and which go-sdk hands to tool handlers as req.Extra.TokenInfo) and
// the [Grant] (see [GrantFromContext] and [GrantFromTokenInfo]).
//
// Upstream tokens are never accepted: only tokens minted by this provider
// for its MCP URL are.
func (p *Provider) RequireBearer(next http.Handler) http.Handler {
	return p.RequireScopes(p.requiredScopes...)(next)
}

// RequireScopes is like [Provider.RequireBearer] with an explicit set of
// required scopes, for example for one route that needs more.
func (p *Provider) RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scopes = slices.Clone(scopes)
	hint := scopes
	if len(hint) == 0 {
		hint = p.scopes
	}
	return func(next http.Handler) http.Handler {
		// go-sdk keeps its TokenInfo context key private; its own middleware
		// is the only way to set it. It runs after our verification and
		// re-reads the verified result, so it never rejects on its own.
		inner := auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
			g, ok := ctx.Value(grantKey{}).(*Grant)
			if !ok {
				return nil, auth.ErrInvalidToken
			}
			return &auth.TokenInfo{
				Scopes:     slices.Clone(g.Scopes),
				Expiration: g.Expiry,
				UserID:     g.Subject,
				Extra:      map[string]any{tokenInfoGrantKey: g},
			}, nil
		}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true, ClockSkew: time.Duration(math.MaxInt64 / 2)})(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, ok := bearerToken(r)
			if !ok {
				p.tel.rejectBearer(r.Context(), bearerMissing)
				p.challenge(w, nil, hint)
				return
			}
			g, err := p.verify(r.Context(), tok)
			if err != nil {
				if !errors.Is(err, errInvalidToken) {
					p.tel.rejectBearer(r.Context(), bearerUnavailable)
					p.logger.Error("provider: verify token", "err", err)
					writeError(w, oauthErr(CodeTemporarilyUnavailable, "the token could not be verified"))
					return
				}
				p.tel.rejectBearer(r.Context(), bearerInvalid)
				p.challenge(w, oauthErr(CodeInvalidToken, "the access token is invalid, expired or revoked"), hint)
				return
			}
			for _, s := range scopes {
				if !slices.Contains(g.Scopes, s) {
					p.tel.rejectBearer(r.Context(), bearerScope)
					// The hint is everything needed, granted scopes included,
					// so a client's step-up keeps what it had (SEP-835).
					want := slices.Clone(g.Scopes)
					for _, s := range scopes {
						if !slices.Contains(want, s) {
							want = append(want, s)
						}
					}
					p.challenge(w, oauthErr(CodeInsufficientScope, "the access token lacks a required scope"), want)
					return
				}
			}
			ctx := context.WithValue(r.Context(), grantKey{}, g)
			ctx = mcpauth.ContextWithPrincipal(ctx, &mcpauth.Principal{
				Subject:  g.Subject,
				Email:    g.Email,
				ClientID: g.ClientID,
				Scopes:   slices.Clone(g.Scopes),
				Resource: g.Resource,
				Expiry:   g.Expiry,
			})
			inner.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// bearerToken extracts the token of an "Authorization: Bearer" header. The
// scheme is case-insensitive and followed by one or more spaces (RFC 7235
// §2.1); there must be exactly one Authorization header. Tokens in the
// query string or body are not accepted.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != "" && !strings.ContainsAny(tok, " \t")
}

// challenge writes e with the RFC 6750/9728 challenge; a nil e is a
// request without a token: the challenge names no error, and the body is
// a 401 invalid_token.
func (p *Provider) challenge(w http.ResponseWriter, e *Error, scopes []string) {
	params := []string{fmt.Sprintf("resource_metadata=%q", p.ResourceMetadataURL())}
	if len(scopes) > 0 {
		params = append(params, fmt.Sprintf("scope=%q", strings.Join(scopes, " ")))
	}
	if e != nil {
		params = append(params, fmt.Sprintf("error=%q", e.Code), fmt.Sprintf("error_description=%q", cleanErrorText(e.Description)))
		if e.URI != "" {
			params = append(params, fmt.Sprintf("error_uri=%q", e.URI))
		}
	} else {
		e = oauthErr(CodeInvalidToken, "authentication required")
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(params, ", "))
	writeError(w, e)
}

var errInvalidToken = errors.New("provider: invalid token")

// verifyTimeout bounds a store lookup shared by concurrent verifications,
// which runs detached from the requests that wait for it.
const verifyTimeout = 10 * time.Second

// verify checks an access token: known hash, not expired, issued for this
// MCP URL, grant not revoked. Results are cached for TokenCacheTTL, and
// concurrent verifications of one token share one store lookup, so a token
// costs at most one store read per TTL.
func (p *Provider) verify(ctx context.Context, tok string) (*Grant, error) {
	if !strings.HasPrefix(tok, prefixAccess) || len(tok) != len(prefixAccess)+64 {
		return nil, errInvalidToken
	}
	h := hashSecret(tok)
	if g, ok, err := p.cached(h); ok {
		return g, err
	}
	// The first caller runs the lookup on its own goroutine (a handoff to
	// another would cost more than a memory store's read); it is detached
	// from that caller's context, so the callers who share it never get
	// another's cancellation, and verifyTimeout bounds everyone's wait.
	v, err, _ := p.lookups.Do(h, func() (any, error) {
		// A lookup that ended between the miss above and now cached it.
		if g, ok, err := p.cached(h); ok {
			return g, err
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
		defer cancel()
		gen := p.cache.generation() // before the store read: see put
		g, err := p.lookup(ctx, h)
		if err == nil {
			p.cache.put(h, g, gen)
		}
		return g, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*Grant), nil
}

// cached answers from the verified-token cache; ok reports a hit (an
// expired token is a hit that is invalid).
func (p *Provider) cached(h string) (g *Grant, ok bool, err error) {
	g, ok = p.cache.get(h)
	if !ok {
		return nil, false, nil
	}
	if p.now().Before(g.Expiry) {
		return g, true, nil
	}
	p.cache.drop(h)
	return nil, true, errInvalidToken
}

// lookup reads the record of the access token whose hash is h: one store
// read, or three for a record written before access records carried their
// grant's identity.
func (p *Provider) lookup(ctx context.Context, h string) (*Grant, error) {
	rec, err := getJSON[tokenRecord](ctx, p.store, keyAccess+h)
	if isNotFound(err) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if !p.now().Before(rec.ExpiresAt) || rec.Resource != p.resource {
		return nil, errInvalidToken
	}
	id := rec.Grant
	if id == nil {
		// An older record, whose grant's revocation may have left it in
		// place: ask the grant.
		fam, err := p.loadFamily(ctx, rec.Family)
		if isNotFound(err) {
			return nil, errInvalidToken
		}
		if err != nil {
			return nil, err
		}
		id = &grantIdentity{Subject: fam.Subject, Email: fam.Email, IdentitySource: fam.IdentitySource}
	}
	return &Grant{
		ClientID:       rec.ClientID,
		Subject:        id.Subject,
		Email:          id.Email,
		IdentitySource: id.IdentitySource,
		Scopes:         rec.Scopes,
		Resource:       rec.Resource,
		Expiry:         rec.ExpiresAt,
		family:         rec.Family,
		provider:       p,
	}, nil
}

// tokenCache is a bounded cache of verified access tokens, keyed by the
// token's hash. The expirable LRU bounds it (least recently used dropped
// first) and drops entries after the TTL of wall-clock time; each entry
// also carries its own deadline, checked against the provider's clock,
// which caps it at the token's expiry. A zero TTL disables the cache.
type tokenCache struct {
	ttl time.Duration
	now func() time.Time
	lru *expirable.LRU[string, cacheEntry] // nil when disabled

	mu  sync.Mutex // guards gen, and orders puts against drops
	gen uint64     // counts drops, so that put can refuse what a drop overtook
}

type cacheEntry struct {
	g   *Grant
	exp time.Time
}

// newTokenCache returns a cache of up to size grants. Its LRU runs one
// goroutine for the life of the process (golang-lru v2.0.7 cannot stop it),
// so a cache is made once per Provider.
func newTokenCache(ttl time.Duration, size int, now func() time.Time) *tokenCache {
	c := &tokenCache{ttl: ttl, now: now}
	if ttl > 0 {
		c.lru = expirable.NewLRU[string, cacheEntry](size, nil, ttl)
	}
	return c
}

func (c *tokenCache) get(h string) (*Grant, bool) {
	if c.lru == nil {
		return nil, false
	}
	e, ok := c.lru.Get(h)
	if !ok {
		return nil, false
	}
	if !c.now().Before(e.exp) {
		c.lru.Remove(h)
		return nil, false
	}
	return e.g, true
}

// generation returns the drop count, for a later put.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches g unless an entry was dropped since generation returned gen:
// a grant read from the store before a revocation must not be cached after
// the revocation's drop, or it would outlive it by the TTL.
func (c *tokenCache) put(h string, g *Grant, gen uint64) {
	if c.lru == nil {
		return
	}
	exp := c.now().Add(c.ttl)
	if g.Expiry.Before(exp) {
		exp = g.Expiry
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.lru.Add(h, cacheEntry{g: g, exp: exp})
}

func (c *tokenCache) drop(h string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.lru != nil {
		c.lru.Remove(h)
	}
}

func (c *tokenCache) dropFamily(family string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.lru == nil {
		return
	}
	for _, k := range c.lru.Keys() {
		if e, ok := c.lru.Peek(k); ok && e.g.family == family {
			c.lru.Remove(k)
		}
	}
}

func (c *tokenCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.lru != nil {
		c.lru.Purge()
	}
}

func (c *tokenCache) len() int {
	if c.lru == nil {
		return 0
	}
	return c.lru.Len()
}
