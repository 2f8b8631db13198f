// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package mounttest checks, for tests of the router adapters, that an
// authorization server mounted on a router answers every one of its paths
// exactly as its own handler does ([SameAnswers]).
//
// The adapter modules (adapters/mcpauthchi, adapters/mcpauthgin) do not
// require the provider module, so they run the check against [Server], a
// stand-in with the provider's four kinds of route; examples/adapters runs
// it against the real *provider.Provider. The package imports only the
// standard library and go-cmp, so it adds nothing to an adapter's build
// list.
package mounttest
