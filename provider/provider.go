// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/internal/loopback"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
	"golang.org/x/sync/singleflight"
)

// Endpoint paths below [Options.BaseURL].
const (
	PathAuthorize = "/authorize"
	PathConsent   = "/authorize/consent"
	PathToken     = "/token"
	PathRegister  = "/register"
	PathRevoke    = "/revoke"
)

// maxFormBytes caps request bodies of the authorize, token, revoke and
// consent endpoints. Registration has its own cap,
// RegistrationOptions.MaxMetadataBytes.
const maxFormBytes = 64 << 10

// Provider is an OAuth 2.1 authorization server for MCP clients that
// federates the user's login to an upstream identity provider, plus the
// bearer-token middleware for the MCP endpoint. It is safe for concurrent
// use. Create it with [New].
type Provider struct {
	issuer       string // BaseURL without trailing slash
	basePath     string // path of BaseURL ("" for the root)
	resource     string // MCP URL, the only accepted resource
	mcpPath      string // full path of the MCP endpoint
	callbackURL  string
	callbackPath string
	secure       bool // BaseURL is https: Secure, __Host- cookies

	scopes         []string
	requiredScopes []string

	store    repository.Store
	taker    repository.Taker
	ownStore *memory.Store // the default store, closed by Close
	sealer   *sealer
	up       *upstream
	tel      *telemetry // OpenTelemetry instruments (telemetry.go)

	codeTTL, accessTTL, refreshTTL, pendingTTL time.Duration

	registration RegistrationOptions
	regLimit     *registrationLimiter
	static       map[string]*clientRecord
	cimd         *cimdFetcher

	cache       *tokenCache
	lookups     singleflight.Group  // coalesces concurrent verifications of one token
	notifier    repository.Notifier // nil without one
	unsubscribe func()              // ends the notifier subscription; nil without one

	refreshMu sync.Mutex // serialises upstream token refreshes

	resourceName, serviceDoc string

	logger *slog.Logger
	now    func() time.Time
}

// New validates opts and returns a Provider. It makes no network calls: the
// upstream discovery (OIDC mode) happens on the first login and is retried
// until it succeeds. The Provider's verified-token and client-document
// caches each run a cleanup goroutine for the life of the process, so make
// a Provider once, not per request.
func New(opts *Options) (_ *Provider, err error) {
	if opts == nil {
		return nil, errors.New("provider: Options are required")
	}
	o := *opts
	base, err := url.Parse(o.BaseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("provider: BaseURL %q must be an absolute http(s) URL without user info, query or fragment", o.BaseURL)
	}
	if base.Scheme == "http" && !loopback.Host(base.Hostname()) {
		return nil, fmt.Errorf("provider: BaseURL %q must use https (http is allowed only on loopback)", o.BaseURL)
	}
	base.Scheme = strings.ToLower(base.Scheme)
	base.Host = strings.ToLower(base.Host)
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	if o.MCPPath == "" {
		o.MCPPath = DefaultMCPPath
	}
	if !strings.HasPrefix(o.MCPPath, "/") {
		return nil, fmt.Errorf("provider: MCPPath %q must start with /", o.MCPPath)
	}
	if o.CallbackPath == "" {
		o.CallbackPath = DefaultCallbackPath
	}
	if !strings.HasPrefix(o.CallbackPath, "/") {
		return nil, fmt.Errorf("provider: CallbackPath %q must start with /", o.CallbackPath)
	}
	if o.Scopes == nil {
		o.Scopes = DefaultScopes
	}
	for _, s := range append(slices.Clone(o.Scopes), o.RequiredScopes...) {
		if !validScopeToken(s) {
			return nil, fmt.Errorf("provider: invalid scope %q", s)
		}
	}
	var ownStore *memory.Store
	if o.Store == nil {
		if o.Now == nil {
			o.Now = time.Now
		}
		ownStore = memory.New(&memory.Options{SweepInterval: time.Minute, Clock: o.Now})
		o.Store = ownStore
		defer func() {
			if err != nil {
				_ = ownStore.Close()
			}
		}()
	}
	taker, ok := o.Store.(repository.Taker)
	if !ok {
		return nil, errors.New("provider: Store must implement repository.Taker (atomic take): single-use codes, refresh tokens and logins depend on it")
	}
	sl, err := newSealer(o.EncryptionKey)
	if err != nil {
		return nil, err
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Provider{
		issuer:         base.String(),
		basePath:       base.Path,
		resource:       base.String() + o.MCPPath,
		mcpPath:        base.Path + o.MCPPath,
		callbackURL:    base.String() + o.CallbackPath,
		callbackPath:   base.Path + o.CallbackPath,
		secure:         base.Scheme == "https",
		scopes:         slices.Clone(o.Scopes),
		requiredScopes: slices.Clone(o.RequiredScopes),
		store:          o.Store,
		ownStore:       ownStore,
		taker:          taker,
		sealer:         sl,
		codeTTL:        orDuration(o.CodeTTL, DefaultCodeTTL),
		accessTTL:      orDuration(o.AccessTokenTTL, DefaultAccessTokenTTL),
		refreshTTL:     orDuration(o.RefreshTokenTTL, DefaultRefreshTokenTTL),
		pendingTTL:     orDuration(o.PendingLoginTTL, DefaultPendingLoginTTL),
		registration:   registrationDefaults(o.Registration),
		resourceName:   o.ResourceName,
		serviceDoc:     o.ServiceDocumentation,
		logger:         logger,
		now:            o.Now,
	}
	p.regLimit = newRegistrationLimiter(p.registration.PerMinute, p.registration.PerAddressPerMinute)
	if p.registration.ValidScopes == nil {
		p.registration.ValidScopes = p.scopes
	}
	if p.registration.DefaultScopes == nil {
		p.registration.DefaultScopes = p.registration.ValidScopes
	}
	for _, s := range append(slices.Clone(p.registration.ValidScopes), p.registration.DefaultScopes...) {
		if !slices.Contains(p.scopes, s) {
			return nil, fmt.Errorf("provider: registration scope %q is not in Scopes", s)
		}
	}
	if p.up, err = newUpstream(o.Upstream, p.callbackURL, logger); err != nil {
		return nil, err
	}
	if p.static, err = staticClients(o.Clients, p.scopes); err != nil {
		return nil, err
	}
	if !o.CIMD.Disabled {
		p.cimd = newCIMDFetcher(o.CIMD, p.scopes, p.now)
	}
	cacheTTL := orDuration(o.TokenCacheTTL, DefaultTokenCacheTTL)
	if o.TokenCacheTTL < 0 {
		cacheTTL = 0
	}
	p.cache = newTokenCache(cacheTTL, orInt(o.TokenCacheSize, DefaultTokenCacheSize), p.now)
	if err := p.listen(o.Notifier); err != nil {
		return nil, err
	}
	if o.Upstream.Identify == nil && o.Upstream.AuthURL != "" && o.Upstream.UserinfoURL == "" && o.Upstream.pangea == nil {
		logger.Warn("provider: the upstream is OAuth-only and no identity source is configured; tokens will carry no user subject")
	}
	if p.tel, err = newTelemetry(o.Telemetry); err != nil {
		return nil, fmt.Errorf("provider: Options.Telemetry: %w", err)
	}
	p.store, p.taker = p.tel.wrapStore(p.store, p.taker) // traced storage calls
	return p, nil
}

// Close ends the Notifier subscription and releases the default in-memory
// store's sweeper; it closes neither a given Store nor a given Notifier.
// The Provider must not be used afterwards.
func (p *Provider) Close() error {
	if p.unsubscribe != nil {
		p.unsubscribe()
	}
	if p.ownStore != nil {
		return p.ownStore.Close()
	}
	return nil
}

// Issuer returns the authorization server's issuer URL (BaseURL).
func (p *Provider) Issuer() string { return p.issuer }

// Resource returns the MCP URL: the RFC 8707 resource tokens are bound to.
func (p *Provider) Resource() string { return p.resource }

// CallbackURL returns the redirect URI to register at the upstream.
func (p *Provider) CallbackURL() string { return p.callbackURL }

// ResourceMetadataURL returns the path-inserted RFC 9728 metadata URL put in
// every 401 challenge.
func (p *Provider) ResourceMetadataURL() string {
	u, _ := url.Parse(p.issuer)
	return u.Scheme + "://" + u.Host + "/.well-known/oauth-protected-resource" + p.mcpPath
}

// Handler returns a handler serving every authorization-server route:
// metadata, registration, authorize, consent, callback, token and revoke. It
// does not serve the MCP endpoint; wrap that with [Provider.RequireBearer].
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	p.Mount(mux)
	return mux
}

// Mount registers every authorization-server route on mux, the upstream
// callback included. Paths are absolute (BaseURL's path prefix included),
// so mount on the server's root mux.
func (p *Provider) Mount(mux *http.ServeMux) {
	for _, r := range p.routes() {
		mux.Handle(r.path, r.handler)
	}
}

// Paths returns the absolute path of every route [Provider.Mount] registers
// (and so [Provider.Handler] serves), in a stable order: the RFC 8414 and
// RFC 9728 metadata documents, the OAuth endpoints below BaseURL's path
// ([PathRegister] only while registration is enabled), and the upstream
// callback. Routers that register each path themselves (the chi and gin
// adapters do) route every HTTP method of these paths to Handler.
func (p *Provider) Paths() []string {
	rs := p.routes()
	paths := make([]string, len(rs))
	for i, r := range rs {
		paths[i] = r.path
	}
	return paths
}

// route is one authorization-server route: an absolute path and its handler.
type route struct {
	path    string
	handler http.Handler
}

// routes lists every authorization-server route, in the order [Provider.Paths]
// documents. It is the single source of both Mount and Paths.
func (p *Provider) routes() []route {
	origin := p.basePath
	asMeta := cors(http.HandlerFunc(p.serveASMetadata))
	prm := cors(http.HandlerFunc(p.servePRM))
	var rs []route
	if p.basePath == "" {
		rs = append(rs,
			route{"/.well-known/oauth-authorization-server", asMeta},
			route{"/.well-known/openid-configuration", asMeta})
	} else {
		rs = append(rs,
			route{"/.well-known/oauth-authorization-server" + p.basePath, asMeta},
			route{"/.well-known/openid-configuration" + p.basePath, asMeta},
			route{p.basePath + "/.well-known/openid-configuration", asMeta})
	}
	rs = append(rs, route{"/.well-known/oauth-protected-resource" + p.mcpPath, prm})
	if p.mcpPath != "/" {
		rs = append(rs, route{"/.well-known/oauth-protected-resource", prm})
	}
	rs = append(rs,
		route{origin + PathAuthorize, http.HandlerFunc(p.serveAuthorize)},
		route{origin + PathConsent, http.HandlerFunc(p.serveConsent)},
		route{origin + PathToken, cors(http.HandlerFunc(p.serveToken))})
	if !p.registration.Disabled {
		rs = append(rs, route{origin + PathRegister, cors(http.HandlerFunc(p.serveRegister))})
	}
	return p.instrument(append(rs, // instrument counts outcomes (telemetry.go)
		route{origin + PathRevoke, cors(http.HandlerFunc(p.serveRevoke))},
		route{p.callbackPath, http.HandlerFunc(p.serveCallback)}))
}

// authServerMetadata is the RFC 8414 document.
type authServerMetadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RegistrationEndpoint              string   `json:"registration_endpoint,omitempty"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	RevocationAuthMethods             []string `json:"revocation_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ClientIDMetadataDocumentSupported bool     `json:"client_id_metadata_document_supported"`
	AuthorizationResponseIssSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ServiceDocumentation              string   `json:"service_documentation,omitempty"`
	ResourceIndicatorsSupported       bool     `json:"resource_indicators_supported"`
}

var authMethods = []string{AuthMethodNone, AuthMethodClientSecretPost, AuthMethodClientSecretBasic}

func (p *Provider) metadata() *authServerMetadata {
	m := &authServerMetadata{
		Issuer:                            p.issuer,
		AuthorizationEndpoint:             p.issuer + PathAuthorize,
		TokenEndpoint:                     p.issuer + PathToken,
		RevocationEndpoint:                p.issuer + PathRevoke,
		RevocationAuthMethods:             authMethods,
		ScopesSupported:                   p.scopes,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
		TokenEndpointAuthMethodsSupported: authMethods,
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClientIDMetadataDocumentSupported: p.cimd != nil,
		AuthorizationResponseIssSupported: true,
		ServiceDocumentation:              p.serviceDoc,
		ResourceIndicatorsSupported:       true,
	}
	if !p.registration.Disabled {
		m.RegistrationEndpoint = p.issuer + PathRegister
	}
	return m
}

func (p *Provider) serveASMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD, OPTIONS")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, p.metadata())
}

// protectedResourceMetadata is the RFC 9728 document.
type protectedResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
}

func (p *Provider) servePRM(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD, OPTIONS")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, &protectedResourceMetadata{
		Resource:               p.resource,
		AuthorizationServers:   []string{p.issuer},
		ScopesSupported:        p.scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           p.resourceName,
		ResourceDocumentation:  p.serviceDoc,
	})
}

// cors allows any origin without credentials, as the metadata and token
// endpoints are meant for browser-based clients (no cookies are involved).
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
		if r.Method == http.MethodOptions {
			hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
			hd.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, &Error{Code: CodeInvalidRequest, Description: "method not allowed", Status: http.StatusMethodNotAllowed})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// registrationDefaults fills the zero limits of r with their defaults.
// Negative values stay as they are: they turn a limit off. ClientTTL has no
// default (registrations do not expire once used).
func registrationDefaults(r RegistrationOptions) RegistrationOptions {
	r.UnusedClientTTL = orDefault(r.UnusedClientTTL, DefaultUnusedClientTTL)
	r.PerMinute = orDefault(r.PerMinute, DefaultRegistrationsPerMinute)
	r.PerAddressPerMinute = orDefault(r.PerAddressPerMinute, DefaultRegistrationsPerAddressPerMinute)
	r.MaxRedirectURIs = orDefault(r.MaxRedirectURIs, DefaultMaxRedirectURIs)
	r.MaxRedirectURILength = orDefault(r.MaxRedirectURILength, DefaultMaxRedirectURILength)
	if r.MaxMetadataBytes <= 0 {
		r.MaxMetadataBytes = DefaultMaxMetadataBytes
	}
	return r
}

// orDefault returns def for zero and v otherwise.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func orInt(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func containsString(list []string, s string) bool { return slices.Contains(list, s) }

// validScopeToken reports whether s is an RFC 6749 §3.3 scope token.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}
