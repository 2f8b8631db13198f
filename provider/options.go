// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// Defaults used when the corresponding [Options] field is zero.
const (
	DefaultMCPPath            = "/mcp"
	DefaultCallbackPath       = "/pangea/callback"
	DefaultCodeTTL            = 300 * time.Second
	DefaultAccessTokenTTL     = 3600 * time.Second
	DefaultRefreshTokenTTL    = 30 * 24 * time.Hour
	DefaultPendingLoginTTL    = 10 * time.Minute
	DefaultTokenCacheTTL      = 30 * time.Second
	DefaultTokenCacheSize     = 10000
	DefaultCIMDTimeout        = 5 * time.Second
	DefaultCIMDMaxBytes       = 64 << 10
	DefaultCIMDCacheTTL       = 5 * time.Minute
	DefaultCIMDCacheSize      = 1000
	DefaultUpstreamTimeout    = 30 * time.Second
	DefaultPangeaAuthNBaseURL = "https://authn.aws.us.pangea.cloud"
)

// Dynamic client registration defaults, used when the corresponding
// [RegistrationOptions] field is zero. Together they bound what anonymous
// registrations can make an instance store: at most
// DefaultRegistrationsPerMinute new clients a minute, each from at most
// DefaultMaxMetadataBytes of metadata, and those never used gone after
// DefaultUnusedClientTTL — about 3,600 unused clients at any time.
const (
	DefaultRegistrationsPerMinute           = 60
	DefaultRegistrationsPerAddressPerMinute = 10
	DefaultUnusedClientTTL                  = time.Hour
	DefaultMaxRedirectURIs                  = 10
	DefaultMaxRedirectURILength             = 2000
	DefaultMaxMetadataBytes                 = 16 << 10
)

// DefaultScopes is the MCP scope set offered when [Options.Scopes] is nil.
var DefaultScopes = []string{"mcp"}

// DefaultOIDCScopes are the upstream scopes requested from an OpenID
// Connect issuer when [UpstreamOptions.Scopes] is nil.
var DefaultOIDCScopes = []string{"openid", "email", "profile"}

// Options configures a [Provider]. [New] copies them; changing them
// afterwards has no effect. BaseURL and Upstream are required.
type Options struct {
	// BaseURL is the external URL of the server, as MCP clients reach it
	// (scheme, host, optional port and optional path prefix, no trailing
	// slash), for example "https://mcp.example.com". It is the issuer of the
	// authorization server and the prefix of every endpoint. It is taken from
	// configuration, never from request headers, so the provider works behind
	// proxies.
	BaseURL string

	// MCPPath is the path of the MCP endpoint below BaseURL. The MCP URL,
	// BaseURL+MCPPath, is the only accepted RFC 8707 resource and the
	// resource of the protected-resource metadata. Default "/mcp".
	MCPPath string

	// Scopes are the MCP scopes this server offers (scopes_supported).
	// Default [DefaultScopes].
	Scopes []string

	// RequiredScopes are the scopes [Provider.RequireBearer] demands from
	// every token (403 insufficient_scope otherwise). They are also the scope
	// hint in the 401 challenge. Default: none required; the hint is Scopes.
	RequiredScopes []string

	// Upstream is the identity provider users log in with: [Pangea] builds
	// it for Pangea AuthN; fill it directly for any OpenID Connect issuer or
	// plain OAuth 2.0 server.
	Upstream UpstreamOptions

	// Store holds every record: registered clients, pending logins, codes,
	// token hashes and encrypted upstream tokens. It must implement
	// [repository.Taker] (atomic take), which single-use codes, refresh
	// tokens and pending logins rely on. Replicas share one Store. Default: a
	// new in-memory store (one process only).
	Store repository.Store

	// EncryptionKey is the 32-byte AES-256-GCM key that encrypts upstream
	// tokens at rest. Replicas must share it. Default: a random key per
	// Provider, which means upstream tokens stored by one process cannot be
	// read by another. Any other length is refused.
	EncryptionKey []byte

	// CallbackPath is the path below BaseURL where the upstream identity
	// provider returns the browser; its URL is the redirect URI to register
	// upstream. Default "/pangea/callback".
	CallbackPath string

	// CodeTTL is the lifetime of an authorization code. Default 300 s.
	CodeTTL time.Duration
	// AccessTokenTTL is the lifetime of an access token. Default 3600 s.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of a refresh token; each rotation
	// starts a new one. Default 30 days.
	RefreshTokenTTL time.Duration
	// PendingLoginTTL bounds the time between the authorization request and
	// the upstream callback (consent included). Default 10 minutes.
	PendingLoginTTL time.Duration

	// TokenCacheTTL is how long a verified access token is trusted without
	// a store lookup. Revocation is immediate on the instance that revoked;
	// other replicas notice as soon as a Notifier's message reaches them,
	// or without one within TokenCacheTTL. Negative disables the cache.
	// Default 30 s.
	TokenCacheTTL time.Duration
	// TokenCacheSize bounds the verified-token cache. Default 10000.
	TokenCacheSize int

	// Notifier carries revocations between replicas: the replica that
	// revokes a token or a grant publishes it on [NotifyTopic], and every
	// replica drops it from its verified-token cache when the message
	// arrives (and its whole cache when the Notifier reports a gap).
	// Default: Store, when it implements [repository.Notifier]
	// (repository/redis does); otherwise none.
	Notifier repository.Notifier

	// Registration configures RFC 7591 dynamic client registration.
	Registration RegistrationOptions

	// Clients are pre-registered clients.
	Clients []StaticClient

	// CIMD configures Client ID Metadata Documents (client IDs that are
	// https URLs).
	CIMD CIMDOptions

	// ResourceName is the human-readable name of the MCP server in the
	// protected-resource metadata. Default: none.
	ResourceName string

	// ServiceDocumentation is a URL published in the metadata. Default none.
	ServiceDocumentation string

	// Logger receives diagnostics; tokens and secrets are never logged.
	// Default: discard.
	Logger *slog.Logger

	// Now is the clock. Default time.Now. Tests inject their own.
	Now func() time.Time

	// Telemetry configures OpenTelemetry metrics and traces (telemetry.go).
	// The zero value uses the global providers: no-ops until the program
	// installs an OpenTelemetry SDK.
	Telemetry TelemetryOptions
}

// RegistrationOptions configures dynamic client registration. The limits
// are on by default: zero means the documented default and, where it says
// so, a negative value turns a limit off.
type RegistrationOptions struct {
	// Disabled turns the /register endpoint off. Default: enabled, because
	// most MCP clients register dynamically.
	Disabled bool
	// ValidScopes are the scopes a client may register. Default
	// [Options.Scopes].
	ValidScopes []string
	// DefaultScopes are given to a client that registers without a scope.
	// Default ValidScopes.
	DefaultScopes []string

	// ClientTTL makes every registration expire that long after it was
	// issued, used or not (client_secret_expires_at says when). Default: a
	// used client never expires.
	ClientTTL time.Duration
	// UnusedClientTTL is how long a registered client has to complete its
	// first authorization (a user approves it and signs in upstream, and the
	// callback issues it a code). A client that has not done so by then is
	// deleted and its client_id refused; one that has is bound only by
	// ClientTTL. Negative: no deadline. Default [DefaultUnusedClientTTL]
	// (1 hour).
	UnusedClientTTL time.Duration

	// PerMinute caps registrations on each instance: a token bucket of
	// PerMinute registrations, refilled at PerMinute a minute. Every POST to
	// /register counts, valid or not; a request over the cap gets 429
	// temporarily_unavailable with Retry-After. Negative: no cap. Default
	// [DefaultRegistrationsPerMinute] (60).
	PerMinute int
	// PerAddressPerMinute is the same cap for each remote address
	// (http.Request.RemoteAddr; IPv6 addresses by their /64), so that one
	// client cannot use up PerMinute for everyone. Behind a reverse proxy
	// every request comes from the proxy: set RemoteAddr to the client's
	// address in a middleware that trusts only the proxy, or set this
	// negative and rely on PerMinute. Negative: no per-address cap. Default
	// [DefaultRegistrationsPerAddressPerMinute] (10).
	PerAddressPerMinute int

	// MaxMetadataBytes caps the registration request body; a larger one
	// gets 413 invalid_client_metadata. It cannot be turned off: zero or
	// negative means [DefaultMaxMetadataBytes] (16 KiB).
	MaxMetadataBytes int64
	// MaxRedirectURIs caps the number of redirect_uris (400
	// invalid_client_metadata above it). Negative: no cap other than
	// MaxMetadataBytes. Default [DefaultMaxRedirectURIs] (10).
	MaxRedirectURIs int
	// MaxRedirectURILength caps the length of each redirect URI in bytes
	// (400 invalid_redirect_uri above it). Negative: no cap other than
	// MaxMetadataBytes. Default [DefaultMaxRedirectURILength] (2000).
	MaxRedirectURILength int
}

// Token endpoint client authentication methods (RFC 7591 §2).
const (
	AuthMethodNone              = "none"
	AuthMethodClientSecretPost  = "client_secret_post"
	AuthMethodClientSecretBasic = "client_secret_basic"
)

// StaticClient is a pre-registered client.
type StaticClient struct {
	// ID is the client_id. Required; it must not be an https URL.
	ID string
	// Secret is the client secret; empty for a public client. It is kept
	// only as a SHA-256 hash.
	Secret string
	// AuthMethod is the token endpoint authentication method. Default
	// "none" without a Secret, "client_secret_basic" with one.
	AuthMethod string
	// Name is shown on the consent page. Default ID.
	Name string
	// RedirectURIs are the exact redirect URIs allowed. Required.
	RedirectURIs []string
	// Scopes are the scopes the client may request. Default
	// [Options.Scopes].
	Scopes []string
}

// CIMDOptions configures Client ID Metadata Documents
// (draft-ietf-oauth-client-id-metadata-document).
type CIMDOptions struct {
	// Disabled turns CIMD support off. Default: enabled.
	Disabled bool
	// AllowPrivate allows documents on loopback, private, link-local and
	// unspecified addresses. Only for tests: it opens an SSRF hole.
	AllowPrivate bool
	// AllowedHosts, when non-empty, restricts client ID URLs to these host
	// names (exact, case-insensitive). Default: any public host.
	AllowedHosts []string
	// TLSConfig is used for fetching documents, for example to trust a
	// private CA in tests. Default: the system roots.
	TLSConfig *tls.Config
	// Timeout bounds one fetch. Default 5 s.
	Timeout time.Duration
	// MaxBytes bounds a document. Default 64 KiB.
	MaxBytes int64
	// CacheTTL is how long a fetched document is reused at most. A shorter
	// Cache-Control max-age, or no-store / no-cache, on the document's
	// response shortens it. Default 5 minutes.
	CacheTTL time.Duration
	// Scopes are the scopes a CIMD client may request. Default
	// [Options.Scopes].
	Scopes []string
}

// UpstreamOptions configure the identity provider the browser is sent to.
//
// With AuthURL and TokenURL empty, the upstream is an OpenID Connect issuer:
// its discovery document is fetched lazily from Issuer (retried on the next
// login if it fails), ID tokens are verified (signature, iss, aud, exp,
// nonce) and the user's subject and email come from the ID token, with the
// userinfo endpoint filling a missing email.
//
// With AuthURL and TokenURL set, the upstream is a plain OAuth 2.0 server
// without discovery or ID tokens; the identity then comes from Identify, or
// from UserinfoURL, or is unknown.
type UpstreamOptions struct {
	// Issuer is the OpenID Connect issuer URL (OIDC mode).
	Issuer string
	// ClientID and ClientSecret are this server's credentials upstream.
	ClientID     string
	ClientSecret string
	// Scopes are requested upstream; the MCP client's scopes and resource
	// are never forwarded. Default [DefaultOIDCScopes] in OIDC mode, none in
	// OAuth mode.
	Scopes []string
	// AuthURL and TokenURL select the static-endpoint OAuth mode.
	AuthURL  string
	TokenURL string
	// UserinfoURL (OAuth mode) is called with the upstream access token and
	// must return JSON with "sub" and optionally "email".
	UserinfoURL string
	// AuthStyle is how the client authenticates at TokenURL: "basic"
	// (client_secret_basic), "post" (client_secret_post) or "" (detect).
	AuthStyle string
	// Identify, when set, resolves the user from the upstream token and
	// overrides every other identity source.
	Identify IdentifyFunc
	// HTTPClient is used for every upstream call. Default: a client with a
	// 30 s timeout.
	HTTPClient *http.Client

	// pangea is set by [Pangea]: the preset's identity sources and PKCE
	// choice, or its configuration error.
	pangea *pangeaUpstream
}

// IdentifyFunc resolves the logged-in user from the upstream token.
//
// An error ends the login, and the MCP client's redirect URI receives an
// authorization error (RFC 6749 §4.1.2.1). To choose it, return an *[Error]
// (or an error wrapping one): its Code, Description and URI are sent, for
// example CodeAccessDenied for a user who may not use this server. Any
// other error is logged and the client gets server_error with a generic
// description; its text is never sent.
type IdentifyFunc func(ctx context.Context, t *UpstreamToken) (*Identity, error)

// Identity is the user an upstream login resolved to.
type Identity struct {
	// Subject is the user's stable identifier at the upstream.
	Subject string
	// Email is the user's email address, when known.
	Email string
	// Source says where Subject and Email came from: one of the
	// IdentitySource constants.
	Source string
}

// Identity sources, recorded with every grant (see [Grant]).
const (
	IdentitySourceIDToken          = "id_token"
	IdentitySourceUserinfo         = "userinfo"
	IdentitySourcePangeaTokenCheck = "pangea_token_check"
	IdentitySourceCustom           = "custom"
	IdentitySourceNone             = "none"
)

// PangeaOptions configure the Pangea AuthN preset (see [Pangea]). Every
// URL must be https (http is accepted on loopback hosts only, for test
// doubles).
type PangeaOptions struct {
	// IssuerURL is the AuthN hosted-login URL, such as
	// "https://pdn-xxxx.login.aws.us.pangea.cloud". Required.
	IssuerURL string
	// ClientID and ClientSecret are the AuthN OAuth client's credentials
	// ("psa_…" and "pck_…"), sent with client_secret_basic. Required.
	ClientID     string
	ClientSecret string
	// Scopes are requested from AuthN on every login, space-separated in
	// the scope parameter, as pangea-authn-fastmcp sends its
	// pangea_authn_scopes: for example the custom scope the OAuth client
	// allows ("user"), and "openid" for an ID token. Required; the MCP
	// client's scopes are never forwarded.
	Scopes []string
	// Identity lists the sources of the user's identity in the order they
	// are tried: IdentitySourceIDToken, IdentitySourceUserinfo,
	// IdentitySourcePangeaTokenCheck and IdentitySourceNone. A source that
	// does not apply to a login is skipped (no ID token was issued; the
	// access token has a form the token check does not accept); the first
	// that applies decides, and a failure fails the login (fail closed).
	// "none" ties the grant to the MCP client only, as pangea-authn-fastmcp
	// does, and can only come last. When no source applies the login fails.
	//
	// Nil means every source the other options configure, in the order
	// above, without "none"; New fails naming the missing settings when
	// that is none at all.
	Identity []string
	// AuthNToken is an AuthN service token ("pts_…") with access to AuthN,
	// for the service API: the token check (POST
	// {AuthNBaseURL}/v2/client/token/check) and, for ID tokens without
	// JWKSURL, the signing keys (POST {AuthNBaseURL}/v2/client/jwks).
	AuthNToken string
	// AuthNBaseURL is the AuthN service API URL. Default
	// [DefaultPangeaAuthNBaseURL].
	AuthNBaseURL string
	// JWKSURL is a JWK Set URL (RFC 7517, fetched with GET) with the keys
	// that sign AuthN's ID tokens. Default: the keys of AuthN's
	// /v2/client/jwks, which needs AuthNToken.
	JWKSURL string
	// IDTokenIssuer is the iss ID tokens must carry. Default IssuerURL
	// (AuthN's JWT issuer is configurable: set this if it differs).
	IDTokenIssuer string
	// UserinfoURL is an OpenID Connect userinfo endpoint to call with the
	// access token (GET, answering {"sub","email"}). AuthN documents none
	// for OAuth access tokens; set it only if your deployment has one.
	UserinfoURL string
	// DisablePKCE stops sending an S256 code challenge to AuthN. AuthN's
	// OAuth server keeps the challenge of an authorization request (its
	// tickets carry oauth2_code_challenge), so PKCE is on by default; turn
	// it off only if AuthN refuses it for your client.
	DisablePKCE bool
	// HTTPClient is used for every call to Pangea. Default: a client with a
	// 30 s timeout.
	HTTPClient *http.Client
}
