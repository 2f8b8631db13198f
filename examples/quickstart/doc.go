// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command quickstart is an MCP server with real authorization in front of
// it: the port of permit-fastmcp's example server (tools greet, login,
// greet-jwt and conditional-greet), built with the official MCP Go SDK and
// wrapped by the mcpauth middleware.
//
// Run it from the repository root with
//
//	make demo
//
// or, equivalently,
//
//	cd examples && go run ./quickstart
//
// It prints the MCP URL, a token for user "client" and copy-paste curl
// commands: an allowed call (greet), a denied call (greet-jwt) and the ABAC
// rule (conditional-greet is allowed for client only when number > 10, so
// 5 is refused and 12 answered). Every decision is logged.
//
// # Configuration
//
//	-addr, ADDR        listen address (default 127.0.0.1:8000); the MCP
//	                   endpoint is /mcp
//	MCP_JWT_SECRET     HMAC secret of the HS256 tokens login mints and the
//	                   middleware verifies; a random one is generated and
//	                   printed when unset
//	PERMIT_PDP_URL,    ask this Permit PDP (with this API key) instead of
//	PERMIT_API_KEY     the embedded demo policy
//	PERMIT_MCP_AUTHZEN_URL
//	                   ask this AuthZEN 1.0 PDP instead; the other
//	                   PERMIT_MCP_AUTHZEN_* variables (discovery, token or
//	                   API key, ...) are those of package mcpauthenv,
//	                   which reads them all (see the README's table)
//	-authzen URL       ask the AuthZEN PDP of "mcpauth policy serve" at URL
//	                   (its endpoints are discovered; MCPAUTH_PDP_TOKEN,
//	                   when set, is sent as the bearer token)
//	-telemetry KIND,   export OpenTelemetry metrics and spans: "stdout"
//	MCPAUTH_TELEMETRY  (metrics every 10 s and spans as JSON on standard
//	                   output) or "prometheus" (metrics only)
//	-metrics-addr,     where -telemetry=prometheus serves /metrics (default
//	METRICS_ADDR       127.0.0.1:9464, loopback only)
//
// # How it is wired
//
// The caller is identified by a verified JWT (mcpauth.JWTIdentity). The
// login tool is listed in mcpauth.Options.PublicTools, so it needs neither
// a token nor a policy rule. Decisions come from policy.Demo() or, with the
// Permit or AuthZEN variables set, from the authorizer
// mcpauthenv.AuthorizerFromLookup builds. The go-sdk handler runs
// stateless with JSON responses, so that every curl command is one
// self-contained POST. greet-jwt reads the verified user from the go-sdk's
// req.Extra.TokenInfo, filled from the mcpauth decision; it never parses the
// token itself.
package main
