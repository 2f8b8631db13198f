// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package demo is the MCP server shared by the examples: a port of
// permit-fastmcp's example server, built with the official MCP Go SDK.
//
// # Tools
//
//   - greet(name) returns "Hello, <name>!".
//   - login(username, password) returns an HS256 JWT {sub, aud, iat,
//     exp = now + 100 h} for admin/password and client/client, as a bare string
//     (no "Bearer " prefix); anything else is a tool error. Servers declare
//     it public ([mcpauth.Options.PublicTools]) so that it needs no token.
//   - greet-jwt returns "Hello, <user>! (secure)" for the caller the
//     authentication layer verified. It never parses a token: it reads the
//     user from the go-sdk's req.Extra.TokenInfo, which [WithTokenInfo]
//     fills from the mcpauth decision (JWT mode), or which the provider
//     module's bearer middleware fills (OAuth mode).
//   - conditional-greet(name, number, log_message) logs log_message and
//     greets casually for 0..10, formally for 11..20 and enthusiastically
//     otherwise. The demo policy lets user "client" call it only when
//     number > 10: the ABAC rule.
//
// # Decisions
//
// [Authorizer] picks the decision point: Permit.io when PERMIT_PDP_URL and
// PERMIT_API_KEY are both set, otherwise the embedded demo policy
// ([policy.Demo]), which grants admin every tool, client greet, login and
// conditional-greet with number > 10, and nobody greet-jwt but admin.
package demo
