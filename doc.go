// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package mcpauth puts authorization in front of an MCP server served over
// Streamable HTTP. It is net/http middleware: it decodes every JSON-RPC
// request strictly, maps it to a Permit.io-style check (user, action,
// resource, tenant, ABAC attributes taken from tool arguments), asks an
// [Authorizer], caches the decision, filters list results per item, and
// answers denials the way MCP clients expect.
//
//	authz, err := mcpauth.NewPermit(&mcpauth.PermitOptions{
//		PDPURL: "http://localhost:7766",
//		APIKey: os.Getenv("PERMIT_API_KEY"),
//	})
//	...
//	mw, err := mcpauth.New(authz, &mcpauth.Options{
//		Identity: mcpauth.JWTIdentity(mcpauth.JWTOptions{
//			JWKSURL:  "https://issuer.example/jwks.json",
//			Issuer:   "https://issuer.example",
//			Audience: "https://mcp.example/mcp",
//		}),
//	})
//	...
//	http.Handle("/mcp", mw.Handler(mcpHandler))
//
// # Decision points
//
// [NewPermit] asks a Permit.io PDP; [NewAuthZEN] asks any policy decision
// point speaking the OpenID AuthZEN Authorization API 1.0 (its doc gives
// the translation of a [Check] into an AuthZEN request); the policy package
// decides in process and serves its policy as an AuthZEN PDP
// (policy.Handler, "mcpauth policy serve"). The COAZ module
// (authzen/coaz) maps MCP requests as the AuthZEN profile for MCP says,
// including mappings tools declare in tools/list, which it reads through
// [Options.OnToolsList].
//
// # Requests
//
// POST requests are read (up to [Limits.MaxBodyBytes]), decoded and
// authorized; the next handler receives the identical bytes. A body that is
// not application/json gets HTTP 415, an oversized one 413, malformed JSON
// 400 with JSON-RPC error -32700. Member names are matched case-sensitively
// and duplicate or case-variant keys are refused, so the method and tool the
// middleware authorizes are the ones the server executes. Batches (JSON
// arrays) are refused unless [Options.AllowBatch] is set. GET (the SSE
// stream) and DELETE (session end) pass once the caller is identified;
// other HTTP methods pass untouched.
//
// # Mapping
//
// [DefaultMapping] documents the mapping of every MCP method to a Permit
// resource type, key and action; it matches permit-fastmcp with its bugs
// fixed. initialize, ping, notifications/*, server/discover and
// logging/setLevel are bypassed by default ([DefaultBypassMethods]), as are
// tools listed in [Options.PublicTools]. A method without a rule is denied.
//
// # Identity
//
// [Options.Identity] is a fixed user ([FixedIdentity]), a header
// ([HeaderIdentity]), a verified JWT ([JWTIdentity]: HMAC secret, public
// key or JWKS URL, pinned algorithms, issuer and audience checks), a
// [Principal] placed in the context by an authentication layer such as the
// provider module ([ContextIdentity]), or a function ([FuncIdentity]). A
// request without a valid identity gets HTTP 401 with a Bearer challenge.
//
// # Denials
//
// A denied request never reaches the next handler. Other methods get HTTP
// 200 with JSON-RPC error -32010 "Unauthorized"; a denied tools/call gets a
// tool result with isError set by default, so the model sees the refusal.
// [DenyOptions] changes the code, message and style, or installs a
// [DenyHandler]. Decision point failures deny (fail closed) and their error
// text is logged, never sent.
//
// # Caching and list filtering
//
// Decisions are cached by every input of the check (user, attributes,
// tenant, action, resource and token scopes) with separate allow and deny
// TTLs; a cached allow never outlives the credential. Identical concurrent
// misses share one decision point call. With [Options.Notifier], the
// replicas of a deployment share [Middleware.Purge] and
// [Middleware.InvalidateUser]. tools/list, prompts/list,
// resources/list and resources/templates/list results are filtered so that
// each caller sees only the items it may use, with one bulk check per
// response. A filtered result is declared private to its caller: its
// cacheScope becomes "private" and the response carries Cache-Control:
// private. [Options.ListFiltering] checks list requests as a whole instead,
// or as well.
//
// Environment configuration (permit-fastmcp's PERMIT_MCP_* variables) lives
// in the mcpauthenv package.
//
// # Telemetry
//
// The middleware records OpenTelemetry metrics (decisions by outcome and
// source, decision point call durations and calls in flight, the decision
// cache's hits, misses, evictions, size and coalesced calls, list items
// kept and filtered, requests refused before any check) and spans
// (mcpauth.decide, mcpauth.pdp.check, mcpauth.pdp.bulk). It uses only the
// OpenTelemetry API, a no-op until the program installs an SDK, globally or
// through [Options.Telemetry]; the SDK is never linked by this package.
// Attribute values are bounded and never hold a user, a tenant, a tool
// argument or a credential. The README's Telemetry section has the tables
// of every metric, attribute and span.
//
// # Concurrency
//
// A [Middleware] is safe for concurrent use. Options are copied by [New].
package mcpauth
