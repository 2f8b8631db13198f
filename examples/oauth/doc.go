// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command oauth puts the provider module's OAuth 2.1 authorization server
// in front of the demo MCP server: MCP clients register, send the user to
// log in upstream (Pangea AuthN, or with -dev-idp a local OpenID Provider),
// and call tools with the provider's tokens. The mcpauth middleware
// identifies the caller from the provider's principal (context identity)
// and decides with Permit or an embedded policy.
//
//	mux := http.NewServeMux()
//	p.Mount(mux) // metadata, /register, /authorize, consent, callback, /token, /revoke
//	mux.Handle("/mcp", p.RequireBearer(mw.Handler(mcpHandler)))
//
// # Trying it with no account
//
//	cd examples && go run ./oauth -dev-idp
//
// starts a local OpenID Provider (providertest's, built on zitadel's op
// package) as the upstream.
// Point an MCP client that supports OAuth, such as the MCP Inspector
// (npx @modelcontextprotocol/inspector), at the printed MCP URL, approve the
// consent page and log in as test-user@127.0.0.1 / verysecure (policy user
// id1: greet, and conditional-greet with number > 10) or test-user2 /
// verysecure (id2: every tool). greet-jwt answers with the verified
// subject.
//
// # Configuration
//
//	-addr, ADDR            listen address (default 127.0.0.1:8000)
//	-base-url, BASE_URL    external URL of the server (default http://<addr>);
//	                       https unless loopback
//	-dev-idp               use a local OpenID Provider instead of Pangea
//	-policy, POLICY_FILE   policy file for the embedded decision point,
//	                       reloaded when it changes (default: the embedded
//	                       policy.json, written for the -dev-idp users)
//	PERMIT_PDP_URL,        decide with this Permit PDP instead (set both)
//	PERMIT_API_KEY
//	PANGEA_AUTHN_ISSUER_URL, PANGEA_AUTHN_CLIENT_ID, PANGEA_AUTHN_CLIENT_SECRET
//	                       the Pangea AuthN OAuth client (required without
//	                       -dev-idp); register <base URL>/pangea/callback
//	                       as its redirect URI
//	PANGEA_AUTHN_SCOPES    scopes requested from AuthN, such as "openid user"
//	                       (required without -dev-idp)
//	PANGEA_AUTHN_TOKEN     AuthN service token: the user identity (pui_…)
//	                       and email from the ID token (with openid) and
//	                       AuthN's token check
//	PANGEA_AUTHN_IDENTITY  identity sources in order (id_token, userinfo,
//	                       pangea_token_check, none); default: those the
//	                       other variables configure. With none, logins no
//	                       other source identifies carry no user, and their
//	                       calls are refused
//	PANGEA_AUTHN_BASE_URL  AuthN service API URL (default
//	                       https://authn.aws.us.pangea.cloud)
//	PANGEA_AUTHN_JWKS_URL, PANGEA_AUTHN_USERINFO_URL
//	                       a JWK Set URL for ID tokens, a userinfo endpoint
//	PANGEA_VAULT_TOKEN     store the provider's records in Pangea Vault
//	                       (PANGEA_DOMAIN, default aws.us.pangea.cloud, or
//	                       PANGEA_VAULT_BASE_URL)
//	VAULT_ADDR, VAULT_TOKEN  store them in HashiCorp Vault (KV v2 at secret/)
//	-store, REDIS_URL      store them in Redis: redis://[user:password@]host:6379/0,
//	                       rediss://… for TLS, or unix:///path (read by
//	                       redis.ParseURL); replicas sharing one Redis also
//	                       share token revocations and decision-cache purges
//	MCP_ENCRYPTION_KEY     64 hex digits: the AES-256 key of stored upstream
//	                       tokens; random per process when unset
//
// Without Redis or a Vault, records live in memory and are lost on restart.
package main
