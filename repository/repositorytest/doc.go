// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package repositorytest is the conformance suite every
// [repository.Store] backend runs, in the spirit of testing/fstest.
//
// # Usage
//
// A backend's test builds a [Harness] and calls [Run]:
//
//	func TestConformance(t *testing.T) {
//		clock := repositorytest.NewClock(time.Unix(1_700_000_000, 0))
//		repositorytest.Run(t, repositorytest.Harness{
//			New: func(t *testing.T) repository.Store {
//				return mystore.New(&mystore.Options{Clock: clock.Now})
//			},
//			Advance: clock.Advance,
//		})
//	}
//
// [Clock] is a ready-made fake clock for that purpose. [AwkwardKeys] lists
// the keys the suite stores, for backends' own tests.
//
// # What it checks
//
// Round trip, absent keys ([repository.ErrNotFound] through errors.Is),
// overwrite, idempotent delete, expiry (through the harness clock: never
// with sleeps), awkward keys that must neither fail nor collide, 1 MiB and
// arbitrary binary values, isolation of the caller's slices, concurrent
// writers and readers (run it under -race), and cancelled contexts, which
// must fail with an error wrapping ctx.Err() and leave the store unchanged.
//
// Optional abilities are checked when the store has them: [repository.Taker]
// (exactly one winner among concurrent Takes), [repository.Creator]
// (conflict semantics, exactly one winner among concurrent Creates) and
// [repository.Lister]. An ability the store lacks is reported with t.Log;
// no required check is ever skipped.
//
// # Notifiers
//
// [RunNotifier] checks a [repository.Notifier] the same way, through two
// Notifiers that share a backend. [Recorder] wraps a Notifier so that a
// test can wait until a subscriber has handled a notification, rather than
// sleep.
package repositorytest
