// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package memory is an in-process [repository.Store]: a mutex-guarded map,
// one per [Store] value (there is no shared global state), with expiry
// enforced on every read and an optional sweeper that removes expired
// records in the background.
//
// It implements every optional ability of the contract: [repository.Taker],
// [repository.Creator] and [repository.Lister]. Values are copied on the way
// in and out, so callers can reuse or mutate their slices freely.
//
// Use it for a single replica, for tests and for development. Records live
// only as long as the process; deployments with several replicas need a
// shared backend (repository/hcvault, repository/pangeavault or
// repository/redis).
//
// [Notifier] is an in-process [repository.Notifier], the reference for
// that contract: it serves tests, and several providers or middlewares in
// one process.
//
// # Sweeping
//
// Expired records are never returned, whether or not they have been
// removed. Without a sweeper they are removed when their key is written,
// taken or deleted again; set [Options.SweepInterval] to also remove them
// periodically, and call [Store.Close] to stop the sweeper:
//
//	s := memory.New(&memory.Options{SweepInterval: time.Minute})
//	defer s.Close()
package memory
