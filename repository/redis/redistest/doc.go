// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package redistest holds the tests that run the provider and the
// middleware on repository/redis against real redis-server processes:
// replicas that share one Redis and nothing else complete a whole OAuth
// flow, and agree on revocations and decision-cache purges as soon as the
// Redis message reaches them, across a restart of Redis too.
//
// It is a module of its own, with no code outside its tests, for the same
// reason as repository/hcvault/vaulttest: the tests import the provider,
// and the provider imports zitadel's OpenID Connect packages, otel and more.
// Were these tests in the repository/redis module, every user of the Redis
// store would find the provider's whole build list in their go.mod graph
// (module requirements are not pruned per package), although a Redis store
// serves just as well a provider-less deployment of the middleware. The
// examples module would do as a home, but it tests how to use mcpauth, not
// whether a backend holds up. Here the dependency points the right way:
// this module requires repository/redis and the provider, and neither
// requires it.
//
// The servers come from repository/redis/redisserver: a test is skipped
// when redis-server is not installed, and fails when it is missing under CI.
package redistest
