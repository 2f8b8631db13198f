// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package pangeaauthntest is an in-process double of Pangea AuthN for
// tests: its hosted OAuth server (GET /v2/oauth/authorize, auto-approving
// or behind a test login form; POST /v2/oauth/token) and the two service
// API calls a relying party needs (POST /v2/client/token/check and POST
// /v2/client/jwks). It serves the hosted login and the service API on one
// httptest server on 127.0.0.1 and records every request.
//
// # What it enforces, and where each rule comes from
//
// Service API, from the AuthN OpenAPI specification the Pangea Python SDK
// tests against (pangeacyber/pangea-python,
// packages/pangea-sdk/tests/testdata/specs/authn.openapi.json; the names
// are its components):
//
//   - the service token as a bearer token (status Unauthorized, HTTP 401,
//     otherwise);
//   - the envelope {request_id, request_time, response_time, status,
//     summary, result} (pangea-response), and validation failures as
//     status ValidationError, HTTP 400, result.errors[{code, detail,
//     source}] with codes from the spec's enum (pangea-validation-errors);
//   - token/check's body: a JSON object with only "token"
//     (additionalProperties: false: UnexpectedProperty), required
//     (FieldRequired), a string (InvalidString, InvalidNull) matching
//     [TokenPattern] (authn-token: DoesNotMatchPattern), and its result
//     in the authn-token-info-nocreds shape (id, type, life, expire,
//     enabled, identity, email, scopes, profile, created_at, client_id);
//   - jwks's body: an empty JSON object; its result {keys: [JWK]} with a
//     kid of the form "pvi_…|1", as the spec's example shows;
//   - every id and token in the form the spec gives it: client ids
//     [ClientIDPattern], client secrets [ClientSecretPattern], service
//     tokens "pts_…", user ids [UserIDPattern], user tokens
//     [UserTokenPattern], token ids "pmt_…", codes [TicketPattern].
//
// Hosted OAuth server. These endpoints are not in the service
// specification; what the double enforces comes from RFC 6749 and RFC
// 7636, from the spec's OAuth components, and from Pangea's own MCP server
// (pangeacyber/pangea-mcp-server, src/authn-provider.ts and src/index.ts),
// which uses {issuer}/v2/oauth/authorize with code_challenge and
// code_challenge_method=S256, and {issuer}/v2/oauth/token with
// client_secret_basic:
//
//   - the registered client id and exact registered redirect URIs, else a
//     400 JSON error without redirecting ({error, error_description},
//     authn-oauth-error);
//   - response_type=code; a scope, space-separated
//     ([ScopePattern], authn-oauth-scope) and within the client's scopes
//     (invalid_scope); a state matching [StatePattern]
//     (authn-callback-state); PKCE with S256 only: AuthN keeps
//     oauth2_code_challenge, oauth2_code_challenge_method and oauth2_nonce
//     on its tickets (authn-ticket), so a challenge is accepted and
//     checked at the token endpoint;
//   - at the token endpoint: a form body, the client's one
//     token_endpoint_auth_method (authn-oauth-client-token-auth:
//     client_secret_basic by default, or client_secret_post), grant type
//     authorization_code (authn-oauth-client-grant-types has no
//     refresh_token), single-use codes, the authorization request's
//     redirect_uri, the PKCE verifier when a challenge was sent and none
//     when none was, no repeated parameters; errors in the RFC 6749 §5.2
//     shape (authn-oauth-error);
//   - tokens: access tokens in the form [Options.AccessTokens] selects,
//     expires_in, the granted scope, an ES256 ID token (iss, sub, aud,
//     email, iat, exp, and the nonce sent) when openid is granted, and no
//     refresh token.
//
// # What is assumed where nothing public says
//
//   - A well-formed token the check does not know (or, with
//     [Options.TokenCheckUnaware], an OAuth access token) is a
//     ValidationError with code DoesNotExist at /token; the spec lists only
//     the 200 and 400 answers.
//   - A service API body that is not JSON is status InvalidPayloadReceived
//     (HTTP 400), a status the SDKs know; one that is JSON but not an
//     object is InvalidObject at "/".
//   - The hosted server refuses an authorization request without scope
//     (pangea-authn-fastmcp always sends one; whether AuthN falls back to
//     the client's default_scope is not documented).
//   - JWT claims: iss is [Options.Issuer] (AuthN's jwt_signing.issuer is
//     configurable), aud and client_id the OAuth client id.
//   - Its live test (live_test.go, run with PANGEA_AUTHN_TOKEN) sends the
//     same service API requests to the double and to AuthN and fails where
//     they disagree; given an access token from a real login
//     (PANGEA_AUTHN_TEST_ACCESS_TOKEN) it also shows whether the token
//     check accepts OAuth access tokens, the question the identity sources
//     of the provider exist for.
//
// # What it does not model
//
//   - OpenID Connect discovery (/.well-known/openid-configuration) and a
//     JWKS URL on the hosted login domain: neither is documented. Keys are
//     published by the service API's /v2/client/jwks and by [Server.JWKS]
//     for tests that serve them elsewhere.
//   - A userinfo endpoint for OAuth access tokens, unless
//     [Options.UserinfoPath] asks for one (the spec's /v2/client/userinfo
//     takes a login code, not an access token).
//   - Token introspection and revocation (/v2/oauth/token/introspect and
//     /revoke, which Pangea's MCP server uses), the client_credentials
//     grant, dynamic client registration (/v2/oauth/clients/register),
//     consent screens, refresh tokens, and every other AuthN endpoint.
//   - Expiry: codes never expire before use and tokens stay valid for the
//     double's lifetime (the check reports an expire time but does not
//     enforce it); user sessions, MFA, rate limits and audit.
package pangeaauthntest
