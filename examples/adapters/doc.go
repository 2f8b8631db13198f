// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package adapters holds the tests of adapters/mcpauthchi and
// adapters/mcpauthgin with the real provider: its routes mounted on chi and
// gin answer as the provider's own handler does, and the whole OAuth login
// and MCP calls of [providertest.EndToEnd] pass through each router.
//
// They live in the examples module, not in the adapter modules, so that an
// adapter's go.mod does not require the provider module (and with it
// zitadel/oidc) and its users' build lists stay small.
//
// [providertest.EndToEnd]: https://pkg.go.dev/github.com/mcpauth/mcpauth/provider/providertest#EndToEnd
package adapters
