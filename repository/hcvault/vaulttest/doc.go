// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package vaulttest tests [github.com/mcpauth/mcpauth/repository/hcvault]
// against a real HashiCorp Vault server running in the test process.
//
// It is a separate, test-only Go module so that users of hcvault never
// inherit the Vault server's dependencies (about 870 modules, BUSL-1.1
// licensed). Its first build takes about a quarter of an hour on two cores;
// `make test-fast` skips it.
//
// # What runs
//
// Each test starts a Vault core (vault.TestCoreUnsealed) with its HTTP
// handler on a loopback listener (vaulthttp.TestServerWithListener), mounts a
// KV version 2 engine and talks to it with an api client that does not
// retry. The tests cover:
//
//   - the repository conformance suite (repositorytest.Run), with the
//     store's clock driven by the suite;
//   - Vault sealed through its API, and its listener and connections closed,
//     in the middle of a run: every later call fails, none reports success;
//   - records written by other tools or cut short, which are errors, never
//     values;
//   - a read-only token (ErrPermissionDenied), a missing mount
//     (ErrMountNotFound), a KV version 1 mount;
//   - the check-and-set paths of Take, Create and the expiry clean-up, by
//     writing between the store's read and its conditional write;
//   - the sweeper, and the documented token policy;
//   - two provider instances (github.com/mcpauth/mcpauth/provider) whose only
//     shared state is one hcvault store, completing the OAuth flow of
//     providertest.ReplicaFlowStores, whose steps alternate between them
//     behind a load balancer, with providertest's in-process OpenID
//     Provider as the upstream identity provider.
//
// The benchmarks (BenchmarkGet, BenchmarkSet, BenchmarkTake) measure the
// store against the in-process Vault over loopback; results are in
// benchmarks/hcvault.md at the repository root.
package vaulttest
