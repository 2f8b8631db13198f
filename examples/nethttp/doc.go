// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command nethttp is the smallest useful server: a go-sdk MCP server with
// one tool, behind the mcpauth middleware, on net/http. It is the README's
// quick start. Callers send "Authorization: Bearer <HS256 JWT signed with
// MCP_JWT_SECRET>"; the subject is the Permit user key, and the embedded
// demo policy decides (user "client" may greet, "admin" may do anything).
//
//	MCP_JWT_SECRET=$(openssl rand -hex 32) go run ./nethttp
package main
