// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package hcvault is a [repository.Store] on the HashiCorp Vault KV version 2
// secrets engine, so that several replicas of a provider can share their
// state (clients, authorization codes, tokens, pending logins).
//
// It is its own Go module and depends only on github.com/hashicorp/vault/api.
// It is tested against a real, in-process Vault server by the separate module
// github.com/mcpauth/mcpauth/repository/hcvault/vaulttest.
//
//	client, _ := api.NewClient(api.DefaultConfig())
//	store, err := hcvault.New(&hcvault.Options{Client: client, Mount: "secret", Prefix: "mcpauth"})
//	...
//	defer store.Close()
//
// # Keys and paths
//
// Each key is one secret at <Mount>/data/<Prefix>/<segment>, where segment is
// "k" followed by the unpadded base64url encoding of the key's bytes (RFC
// 4648 §5). The alphabet [A-Za-z0-9_-] has no '/' and no '.', so no key can
// create a sub-path or climb out of the prefix with "..", and the encoding is
// reversible (which [Store.List] relies on). The leading "k" gives the empty
// key a segment too. [Store.SecretPath] returns the path of a key, for the
// vault CLI. Keys are case-sensitive, as Vault paths are.
//
// # Records
//
// A secret's data map holds one record:
//
//	{"v": ["<value, standard base64>", ...], "n": <length of the value in bytes>, "exp": "<expiry, Unix nanoseconds>"}
//
// or the tombstone {"tomb": true} that [Store.Take] and [Store.Sweep] write
// before deleting a secret. The base64 text is split into chunks of 512 KiB
// because Vault refuses JSON strings longer than 1 MiB (listener option
// max_json_string_value_length); a short value is one chunk. The expiry is a
// decimal string ("0" = none) because Vault's KV v2 engine passes JSON
// numbers through float64, which rounds Unix nanoseconds. A data map of any
// other shape (written by another tool, or a value whose length does not
// match "n") is reported as [ErrMalformedRecord] and never returned as a
// value.
//
// A value takes 4/3 of its size in Vault's storage. Integrated storage (Raft)
// refuses entries over max_entry_size (1 MiB by default), which bounds values
// to about 750 KiB unless it is raised; the in-memory storage of the tests has
// no such limit.
//
// Every Set writes a new version of the secret. KV v2 keeps old versions (10
// by default), and with them old values: set max_versions to 1 on the mount
// (vault write <mount>/config max_versions=1) so that a replaced token is not
// kept. Mounts or secrets with cas_required are not supported: Set writes
// without check-and-set.
//
// # Expiry
//
// The expiry is kept in the record and checked on every read against
// [Options.Clock]: an expired record reads as [repository.ErrNotFound], and
// the read removes it (best effort, so a read-only token still works).
// [Store.Sweep] removes all expired records under the prefix; setting
// [Options.SweepInterval] runs it in the background until [Store.Close].
//
// # Atomicity
//
// Vault's KV v2 engine serializes writes to one secret and offers
// check-and-set on writes (but not on deletes). This package builds on that:
//
//   - [Store.Set] and [Store.Delete] are single requests; of concurrent ones,
//     the last to reach Vault wins. Delete removes every version.
//   - [Store.Take] is atomic: of several concurrent Takes of one key, in any
//     number of processes sharing the Vault, exactly one returns the value
//     and the others get [repository.ErrNotFound]. It reads version n and
//     writes a tombstone with cas=n, which Vault accepts exactly once; the
//     winner then deletes the secret.
//   - [Store.Create] is atomic: it writes with cas=0 (only if the secret does
//     not exist), or with cas=n over an expired, taken or deleted version n.
//     Of several concurrent Creates, at most one succeeds; the others get
//     [repository.ErrConflict].
//   - The deletion that follows a tombstone (in Take, in the clean-up of an
//     expired read, in Sweep) is not conditional: a Set of the same key that
//     reaches Vault between the tombstone and the deletion is lost. A Set
//     before the tombstone makes the tombstone's check-and-set fail, and the
//     record is kept (Take then retries on the new record).
//
// # Errors
//
// Errors name the operation and the kind of failure, never the key, the
// request URL or the token. Vault's refusals wrap sentinels:
// [ErrPermissionDenied] (HTTP 403), [ErrSealed] (503 "Vault is sealed"),
// [ErrMountNotFound] (404 "no handler for route", or a mount that is not a
// KV version 2 engine); a bad record wraps [ErrMalformedRecord]. The api
// client's error (for example an *api.ResponseError with the status code and
// Vault's messages) stays reachable with errors.As, and a done context's
// error with errors.Is.
//
// # Client, timeouts and retries
//
// A client passed in [Options.Client] is used as it is. The api client
// retries requests that fail with a network error or a 5xx status (except
// 501), by default twice with waits of 1 to 1.5 seconds, so a sealed or
// unreachable Vault takes a few seconds to report an error; set MaxRetries to
// 0 (api.Config.MaxRetries, or VAULT_MAX_RETRIES=0) where fast failure
// matters, as the tests do. The per-request timeout (api.Config.Timeout,
// default 60 seconds in the api package, [DefaultClientTimeout] for a client
// built by [New]) applies to every call in addition to the caller's context.
//
// # Permissions
//
// A policy for the default mount and prefix (the tests check this exact
// policy against a real Vault):
//
//	path "secret/data/mcpauth/*"     { capabilities = ["create", "read", "update"] }
//	path "secret/metadata/mcpauth/*" { capabilities = ["delete", "list"] }
//
// "list" is needed by [Store.List] and [Store.Sweep] only. Without "delete",
// Delete fails and the clean-up after a Take leaves a tombstone (which reads
// as absent) behind.
package hcvault
