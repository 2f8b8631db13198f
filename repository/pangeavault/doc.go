// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package pangeavault is a [repository.Store] in Pangea Vault, through its
// REST API v2, so that several replicas of the mcpauth provider share
// clients, codes and tokens.
//
//	s, err := pangeavault.New(&pangeavault.Options{
//		Token:  os.Getenv("PANGEA_VAULT_TOKEN"),
//		Folder: "mcpauth/tokens",
//	})
//
// # Why plain net/http
//
// The official Go SDK's current major version (pangea-sdk/v5) cannot be
// installed from the module proxy this project builds against, and v4 is
// old (2025-02) and pulls go-retryablehttp and zerolog into every user's
// build. The store needs five POST endpoints with one envelope, so it
// speaks REST directly: a bearer token, JSON bodies, the
// {request_id, request_time, response_time, status, summary, result}
// envelope, retries with exponential backoff on 429 and 5xx (honouring
// Retry-After, bounded by [Options.MaxRetries] and ctx), and polling of
// 202 Accepted answers at GET /request/{request_id} (bounded by
// [Options.MaxPolls]). The base URL is configurable ([Options.BaseURL] or
// [Options.Domain]), which also lets tests point it at a double.
//
// # Mapping
//
// One key is one Vault item of type "secret", as in the Python original,
// but the names and the stored values differ (see "Data of the Python
// original" below):
//
//   - name: [EncodeName](key), that is "mcpauth_" followed by
//     the key's bytes in lower-case unpadded base32. Keys such as SRI
//     token hashes contain "/", "+" and "="; base32 keeps names to
//     [a-z2-7_], reversible ([DecodeName]) and immune to case-insensitive
//     matching. The cost is 1.6 bytes of name per byte of key.
//   - folder: [Options.Folder], validated against the folder pattern
//     `^[0-9a-zA-Z_.\-/ ]*$` and sent as "/a/b" (leading "/", no trailing
//     one), the form of the Vault API's examples.
//   - secret: a record envelope {"mcpauth":1,"exp":<unix ms>,"v":<value>},
//     with the value embedded as is when it is JSON (so it stays readable
//     in the Pangea console), or {"mcpauth":1,"exp":…,"b":"<base64>"} for
//     any other bytes. "exp" is absent for records that never expire.
//
// # Size limit
//
// A Vault secret holds at most [MaxSecretLength] (10,240) characters
// (vault-req-secret's maxLength in the Vault OpenAPI specification), and
// the envelope counts. Set refuses a record that would not fit with a
// [*RecordTooLargeError] (errors.Is [ErrRecordTooLarge]) before any call,
// rather than sending it to fail with a ValidationError; records are not
// split across items. Values up to [MaxValueSize] (7,650) bytes always
// fit; JSON values fit up to about 10,200 bytes. The provider's records
// are far smaller, except a grant holding large upstream JWTs (an access,
// ID and refresh token of a few kilobytes each): such a login fails with
// this error in the provider's log.
//
// Operations:
//
//   - Get: POST /v2/get_bulk {"filter":{"type":"secret","name":…,"folder":…},"size":1};
//     no item means absent; the newest version's secret holds the record,
//     and a record past its "exp" is absent.
//   - Set: the same lookup, then POST /v2/secret/rotate
//     {"id":…,"secret":…,"rotation_state":"deactivated"} when an item
//     exists, or POST /v2/secret/store {"type":"secret","secret":…,"name":…,"folder":…}
//     when none does (or the item vanished in between).
//   - Delete: the lookup, then POST /v2/delete {"id":…,"recursive":false}
//     for every item found; an item already gone is not an error.
//   - List ([repository.Lister]) and [Store.Sweep] page through the
//     folder's items with get_bulk (size 100, "last" cursor).
//
// # Data of the Python original
//
// Nothing written by the Python original (pangea-authn-fastmcp's
// PangeaVaultRepository) is read by this store, and there is no
// migration. The original named items by the raw key and stored the raw
// JSON of pydantic models; this store names them "mcpauth_" + base32 of
// the key and wraps values in its envelope (an original item under one of
// this package's names is [ErrCorruptRecord]; under its own names it is
// invisible). The records themselves differ too: the provider keys tokens
// and codes by their SHA-256 in hex under prefixes of its own, stores
// hashes of client secrets, tokens and codes instead of plaintext, keeps
// the upstream token AES-GCM-encrypted inside the grant instead of as an
// MCP bearer token, and has no client_to_authn records. The original's
// codes and MCP tokens expire within an hour and its stored Pangea tokens
// must not become bearer tokens, so only registered clients would be
// worth carrying over, and MCP clients re-register on their own when
// their client id is unknown. Delete the original's items (its folder)
// once no replica runs the Python provider.
//
// # Duplicates, atomicity and what this store does not promise
//
// Pangea Vault addresses items by id and does not make names unique, and
// it has no compare-and-set. Two replicas setting a new key at the same
// time can therefore create two items with one name. The store reconciles
// them deterministically: readers take the item whose newest version was
// written last (Pangea's timestamps; ties broken by id), the next Set
// rotates that item and deletes the others, and Delete removes them all.
//
// For the same reason a [Store] is not a [repository.Taker] or a
// [repository.Creator]: a get-then-delete or a check-then-store over this
// API is not atomic by itself. [Store.WithTake] adds an opt-in Take that is
// atomic under one stated assumption: of concurrent deletes of one item id,
// exactly one succeeds (the others get VaultItemNotFound). Take then makes
// its delete the deciding step and fails closed when the outcome is
// unknown. The provider needs a Taker for single-use codes; use WithTake
// with Pangea Vault, or a backend with compare-and-set (memory,
// repository/hcvault). There is no Creator.
//
// Retries never create duplicates: secret/store is not idempotent, so a
// 5xx answer to it is retried from the lookup (which finds and rotates the
// item if the store did happen), while get_bulk, rotate and delete are
// retried as they are.
//
// # Expiry
//
// The expiry instant is kept in the record and enforced on every read
// with [Options.Clock]; Pangea's own item expiration is not used.
// Expired items stay in Vault until overwritten or deleted: set
// [Options.SweepInterval] on one replica (stop it with [Store.Close]), or
// call [Store.Sweep] yourself, to delete them.
//
// # Errors
//
// Every answer other than Success is an [*APIError] carrying the Pangea
// status, summary, request id and HTTP code; errors.Is matches it against
// [ErrUnauthorized], [ErrForbidden], [ErrValidation], [ErrItemNotFound],
// [ErrTooManyRequests], [ErrServer], [ErrPending] and
// [ErrUnexpectedResponse]. An item under this package's name that does not
// hold its envelope is [ErrCorruptRecord], never a zero value. A record
// too large for a secret is a [*RecordTooLargeError] ([ErrRecordTooLarge]),
// returned before any call. A done ctx
// gives an error wrapping ctx.Err(). The token, keys and values never
// appear in errors or logs (item ids and request ids do).
//
// # Cost
//
// A Get is one call (two or more only while duplicates exist); a Set or a
// Delete is two. Each is a round trip to Pangea, so put a cache in front
// of hot reads.
//
// # Assumptions
//
// Where the Vault specification is silent this package assumes, and its
// live test (run with PANGEA_VAULT_TOKEN) checks: that get_bulk sets
// "last" only or also when more items match (both are handled); that item
// names accept [a-z2-7_] of the lengths keys produce; that a folder sent
// as "/a/b" is the folder the filter finds (items are also matched
// client-side ignoring leading and trailing slashes); and that the
// secret limit is 10,240 characters.
package pangeavault
