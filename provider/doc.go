// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package provider is an OAuth 2.1 authorization server for MCP clients
// that federates the user's login to Pangea AuthN or any OpenID Connect
// issuer, plus the bearer-token middleware that protects the MCP endpoint.
// It implements the MCP authorization specification (2025-06-18 and
// 2025-11-25) as an "MCP proxy" authorization server: MCP clients register
// and obtain tokens here, the user logs in upstream, and the server mints
// its own tokens, bound to the MCP URL. Upstream tokens never reach MCP
// clients and are never accepted as bearer tokens.
//
// # Quick start
//
// With Pangea AuthN (register BaseURL+"/pangea/callback" as the redirect URI
// of the AuthN OAuth client) and Permit authorization by the mcpauth
// middleware:
//
//	p, err := provider.New(&provider.Options{
//		BaseURL: "https://mcp.example.com", // as clients reach it
//		Scopes:  []string{"mcp"},
//		Upstream: provider.Pangea(provider.PangeaOptions{
//			IssuerURL:    os.Getenv("PANGEA_AUTHN_ISSUER_URL"), // https://pdn-….login.aws.us.pangea.cloud
//			ClientID:     os.Getenv("PANGEA_AUTHN_CLIENT_ID"),
//			ClientSecret: os.Getenv("PANGEA_AUTHN_CLIENT_SECRET"),
//			Scopes:       []string{"openid", "user"},      // sent to AuthN on every login
//			AuthNToken:   os.Getenv("PANGEA_AUTHN_TOKEN"), // the user: ID token keys, token check
//		}),
//		EncryptionKey: key, // 32 bytes, shared by all replicas
//		Store:         store, // shared by all replicas; default in-memory
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer p.Close()
//
//	authz, _ := mcpauth.NewPermit(&mcpauth.PermitOptions{PDPURL: pdpURL, APIKey: apiKey})
//	mw, _ := mcpauth.New(authz, &mcpauth.Options{Identity: mcpauth.ContextIdentity()})
//
//	mux := http.NewServeMux()
//	p.Mount(mux) // metadata, /register, /authorize, consent, callback, /token, /revoke
//	mux.Handle("/mcp", p.RequireBearer(mw.Handler(mcpHandler)))
//	log.Fatal(http.ListenAndServe(":8080", mux))
//
// With any OpenID Connect issuer instead, set Upstream directly:
//
//	Upstream: provider.UpstreamOptions{
//		Issuer:       "https://accounts.example.com",
//		ClientID:     "…",
//		ClientSecret: "…",
//	},
//
// # Endpoints
//
// [Provider.Mount] (or [Provider.Handler]) serves, below [Options.BaseURL],
// the paths [Provider.Paths] lists (for routers that register each path
// themselves):
//
//   - /.well-known/oauth-authorization-server and
//     /.well-known/openid-configuration: RFC 8414 metadata (issuer =
//     BaseURL, S256 only, RFC 9207 iss, CIMD support), with CORS;
//   - /.well-known/oauth-protected-resource/<mcp path> and
//     /.well-known/oauth-protected-resource: RFC 9728 metadata whose
//     resource is the MCP URL, with CORS;
//   - /register: RFC 7591 dynamic registration (public clients with
//     token_endpoint_auth_method "none", or confidential clients whose
//     secret is returned once and stored hashed); https or loopback http
//     redirect URIs only, within the limits below;
//   - /authorize: PKCE S256 required, exact redirect URI match, scopes a
//     subset of the client's, resource equal to the MCP URL (invalid_target
//     otherwise); it shows the consent page;
//   - /authorize/consent: the consent form's target (CSRF token and a
//     browser-binding cookie); approving sends the browser upstream, denying
//     returns access_denied;
//   - [Options.CallbackPath] (default /pangea/callback): the upstream's
//     redirect; upstream errors are relayed to the client as OAuth errors,
//     unknown or expired state gets a 400 page;
//   - /token: authorization_code and refresh_token grants, client
//     authentication none, client_secret_post or client_secret_basic;
//   - /revoke: RFC 7009.
//
// # Security properties
//
// Codes are single-use, expire after [Options.CodeTTL] and are bound to the
// client, redirect URI, PKCE challenge, scopes and resource; a replayed code
// revokes the tokens issued from it. Refresh tokens rotate on every use;
// presenting a used one, or another client's, revokes the whole grant.
// Tokens, codes, states, CSRF tokens and client secrets are stored only as
// SHA-256 hashes and compared in constant time. Upstream tokens are stored
// encrypted with AES-256-GCM under [Options.EncryptionKey], bound to their
// grant.
//
// Loopback means a redirect URI or BaseURL host that is "localhost" (any
// case, no trailing dot), an IPv4 literal in 127.0.0.0/8 or the IPv6
// literal ::1; only there is plain http allowed. Look-alikes are refused:
// names such as 127.0.0.1.nip.io, short or hexadecimal forms (127.1,
// 0x7f.1), IPv4-mapped IPv6, zoned addresses and user info
// (http://127.0.0.1@evil.example/).
//
// The consent page names the client, its client ID, the redirect host and
// the scopes; it cannot be framed (X-Frame-Options DENY, CSP
// frame-ancestors 'none'). Only a client configured in [Options.Clients] is
// shown as verified. The name of any other client — dynamically registered,
// or from a Client ID Metadata Document — is the client's own claim: the
// page's title, heading and a marker call it unverified, so a registration
// named after a trusted application cannot pass for it. The page says the
// result stays "on this computer" only for a loopback redirect URI. Every approval needs a fresh consent: the
// provider never remembers consent, so an AS-in-the-middle cannot reuse it.
// The browser that consents gets an HttpOnly, SameSite=Lax cookie
// (__Host-mcpauth-login over https) whose hash is stored with the pending
// login and checked again at the callback, so a login started in one
// browser cannot be completed in another.
//
// Upstream, the provider uses its own random state (never the client's),
// PKCE and, with OpenID Connect, a nonce and full ID-token verification
// (signature, iss, aud, exp, nonce). The MCP resource and the client's
// scopes are not forwarded; [UpstreamOptions.Scopes] are requested instead.
//
// # Dynamic client registration
//
// Anyone can register, so registration is limited by default
// ([RegistrationOptions]; zero means the default, negative turns a limit
// off where that makes sense):
//
//   - rate: token buckets of [DefaultRegistrationsPerMinute] (60) a minute
//     per instance and [DefaultRegistrationsPerAddressPerMinute] (10) a
//     minute per remote address (IPv6 by /64); over them, 429
//     temporarily_unavailable with Retry-After;
//   - size: metadata of at most [DefaultMaxMetadataBytes] (16 KiB; 413
//     invalid_client_metadata), at most [DefaultMaxRedirectURIs] (10)
//     redirect URIs of at most [DefaultMaxRedirectURILength] (2000) bytes
//     each;
//   - lifetime: a client that has not completed an authorization (the
//     user approved it and signed in upstream) within
//     [DefaultUnusedClientTTL] (1 hour) of registering is deleted; a client
//     that has is bounded only by [RegistrationOptions.ClientTTL] (default:
//     no expiry).
//
// An instance therefore holds at most about 3,600 never-used
// registrations, each from at most 16 KiB of metadata. Behind a reverse proxy, the per-address limit
// sees the proxy's address; see [RegistrationOptions.PerAddressPerMinute].
//
// # Tokens and records
//
// Access tokens are "mcp_" followed by 64 hex characters (32 random bytes),
// valid for [Options.AccessTokenTTL] (default 3600 s); refresh tokens are
// "mcpr_" + 64 hex ([Options.RefreshTokenTTL], default 30 days); codes are
// "mcpc_" + 64 hex ([Options.CodeTTL], default 300 s). They are opaque:
// only this provider can verify them. Records live under keys starting
// with "mcpauth/provider/" followed by the record kind and, for anything
// derived from a secret, the hex SHA-256 of the secret — never the secret.
//
// # Client ID Metadata Documents
//
// A client_id that is an https URL is fetched as a Client ID Metadata
// Document: no redirects, at most [CIMDOptions.MaxBytes], within
// [CIMDOptions.Timeout], and never from loopback, private, link-local,
// multicast or unspecified addresses — checked on the address actually
// dialled, after DNS resolution. The document's client_id must equal its
// URL, its redirect URIs are enforced, it must describe a public client, and
// it is cached for at most [CIMDOptions.CacheTTL] (less if its
// Cache-Control says so).
//
// # Identity
//
// Each grant records the user's subject and email and where they came from
// ([Grant.IdentitySource]):
//
//   - OpenID Connect upstream: the verified ID token ("id_token"), with the
//     userinfo endpoint filling a missing email ("id_token+userinfo");
//   - Pangea preset: the sources [PangeaOptions.Identity] lists, in order,
//     the first that applies deciding: the ID token, verified with AuthN's
//     keys, when openid was granted ("id_token"); a userinfo endpoint
//     ("userinfo"); AuthN's token check, POST /v2/client/token/check, when
//     the access token has a form it accepts ("pangea_token_check"); or
//     "none", the grant tied to the MCP client alone as in
//     pangea-authn-fastmcp. The subject is the AuthN identity ("pui_…").
//     A source that applies and fails fails the login, and so does a
//     login no source applies to; New refuses options that configure no
//     source, naming the settings that would;
//   - OAuth upstream with [UpstreamOptions.UserinfoURL]: "userinfo";
//   - [UpstreamOptions.Identify]: "custom";
//   - otherwise "none": the token carries no subject.
//
// [Provider.RequireBearer] puts an [mcpauth.Principal] (subject, email,
// client ID, scopes, resource, expiry) in the request context for the
// mcpauth middleware's context identity mode, go-sdk's auth.TokenInfo
// (UserID = subject, so go-sdk binds MCP sessions to the user) and the
// [Grant]. Tool code reaches the user's upstream token with
// [UpstreamTokenFromContext] or, in go-sdk tool handlers,
// [GrantFromTokenInfo](req.Extra.TokenInfo) and [Grant.UpstreamToken]; an
// expiring upstream access token is refreshed there when the upstream
// issued a refresh token.
//
// # Errors
//
// Every OAuth error the provider sends is an [Error]: the error,
// error_description and optional error_uri members of RFC 6749 §5.2, RFC
// 6750 §3 and RFC 7591 §3.2.2 (or the same parameters on the client's
// redirect URI, RFC 6749 §4.1.2.1), with one of the Code constants
// ([CodeInvalidRequest], [CodeInvalidGrant], [CodeInvalidToken], …) and
// the status of [ErrorCode.Status] unless it sets another. Internal
// failures (the store, the upstream, decryption) are logged and sent as
// server_error or temporarily_unavailable with a fixed description; their
// text never reaches the client.
//
// [Grant.UpstreamToken] returns *Error values (read them with
// [errors.As]); [Provider.WriteError] writes any error as an OAuth error
// response, and an [IdentifyFunc] may return an *Error to choose what the
// client is told when it refuses a user.
//
// # Replicas
//
// All state lives in [Options.Store] (a [repository.Store] with atomic
// Take); nothing but caches lives in memory, so any step of a login may land
// on any replica. Replicas must share the Store and the EncryptionKey.
// Verified access tokens are cached for [Options.TokenCacheTTL] (default
// 30 s): revocation takes effect at once on the replica that revoked. With
// a [repository.Notifier] ([Options.Notifier], or a Store that is one, such
// as repository/redis) the replica that revokes publishes the revocation on
// [NotifyTopic] and the others drop the token when the message arrives, a
// round trip later; when their subscription breaks they drop their whole
// cache. Without one, the others notice within the TTL. A token costs at
// most one store read per TTL: concurrent verifications share it, and an
// access token's record carries its grant's user (revoking the grant
// deletes the records).
//
// # Telemetry
//
// The provider records OpenTelemetry metrics (logins completed, tokens
// issued by grant type, revocations, registrations, OAuth errors by
// endpoint and code, requests rejected by the bearer check by reason,
// durations of upstream calls) and spans (upstream exchange and refresh;
// storage calls inside a caller's trace). It uses only the OpenTelemetry
// API, a no-op until the program installs an SDK, globally or through
// [Options.Telemetry]. No attribute holds a token, a code, a client secret,
// a user or a storage key. The tables of every metric, attribute and span
// are in the README's Telemetry section.
//
// [repository.Store]: https://pkg.go.dev/github.com/mcpauth/mcpauth/repository#Store
package provider
