// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package repository is the storage contract of mcpauth: a small key/value
// store of records with optional expiry, which the OAuth provider uses for
// clients, authorization codes, tokens and pending logins. Swapping the
// backend (memory, HashiCorp Vault, Pangea Vault, or your own) changes
// nothing else.
//
// The package holds only the contract and a typed layer; backends live in
// their own packages and modules:
//
//   - repository/memory: in-process, per instance, with an optional sweeper;
//   - repository/hcvault: HashiCorp Vault KV v2 (own module);
//   - repository/pangeavault: Pangea Vault REST v2 (own module);
//   - repository/redis: Redis, Valkey, Sentinel or Cluster (own module).
//
// Every backend runs the same conformance suite, repository/repositorytest.
//
// # The contract
//
// [Store] has three methods on opaque []byte records:
//
//   - Get returns the record, or an error wrapping [ErrNotFound] when the key
//     is absent or its record has expired. Absence is a distinct, documented
//     result that callers test with errors.Is, never an error string.
//   - Set stores a record, replacing any previous one. ttl > 0 makes it
//     expire; ttl <= 0 means it never expires.
//   - Delete removes a key. Deleting a missing key is not an error.
//
// Every method takes a context and must honour it. A call whose context is
// already done must return an error wrapping ctx.Err() and must not change
// the store. Implementations are safe for concurrent use.
//
// A Store does not keep the caller's value slice after Set returns, and the
// slice Get returns belongs to the caller: mutating either never changes
// the stored record.
//
// # Optional abilities
//
// Like database/sql/driver, abilities that not every backend can offer
// honestly are separate interfaces, discovered by a type assertion on the
// Store:
//
//   - [Taker]: atomic read-and-delete, for single-use records such as
//     authorization codes. Of several concurrent Takes of one key exactly one
//     succeeds.
//   - [Creator]: store only if absent, failing with [ErrConflict] otherwise.
//   - [Lister]: list live keys by prefix.
//   - [Notifier]: publish short messages to every process that shares the
//     store, so that replicas drop cache entries another replica
//     invalidated (revoked tokens, purged decisions) at once. Without it,
//     a replica notices within its cache TTL.
//
// For example:
//
//	if t, ok := s.(repository.Taker); ok {
//		rec, err := t.Take(ctx, code)
//		...
//	}
//
// A backend implements an ability only when it can keep its promise. A
// store without compare-and-set does not pretend to be a Taker (Pangea
// Vault offers Take only as an opt-in view whose one assumption is
// documented). The typed layer, [Repository], returns
// [ErrUnsupported] when asked for an ability its Store lacks, so callers
// that need atomicity fail loudly instead of racing silently.
//
// # Keys
//
// Keys are arbitrary Go strings: any characters, including "/", "+", "=",
// spaces, non-ASCII text, NUL bytes, invalid UTF-8, ".." and the empty
// string. Provider keys such as "sha256-ab+/cd==" (the SRI form of a hashed
// token) are typical. Each backend encodes keys safely and reversibly for
// its storage (for example base64url into a path segment or an item name),
// so two keys that differ in any byte never share a record and no key can
// escape its namespace.
//
// Keys may be secrets themselves (authorization codes are), so backends
// never put keys or values in error messages or logs.
//
// # Expiry
//
// A record stored with ttl > 0 expires at the backend's clock time of the
// Set plus ttl. From then on it is absent: Get, [Taker] and [Lister] do not
// see it, and [Creator] may create the key again. Backends enforce expiry
// when reading, so an expired record is never returned even if it has not
// been removed physically yet; removal (a sweeper, or the next write) is an
// implementation detail. Set on an existing key replaces its expiry as
// well as its value: a Set without ttl makes the record permanent again.
//
// Backends keep expiry at millisecond precision or better. Backends that
// store the expiry instant in the record compare it with the reading
// process's clock, so replicas sharing such a store need clocks that agree
// far more closely than the shortest TTL in use.
//
// # Typed records
//
// [Repository] stores values of one Go type as JSON records:
//
//	clients := repository.New[Client](store)
//	err := clients.Set(ctx, c.ID, c, 0)
//	c, err := clients.Get(ctx, id) // errors.Is(err, repository.ErrNotFound)
//
// A record that does not decode is reported as an error, never as a zero
// value.
package repository
