// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package pangeavaulttest is an in-process double of the Pangea Vault REST
// API v2, for tests. It listens on 127.0.0.1 (httptest) and serves the
// endpoints a key/value repository uses:
//
//   - POST /v2/secret/store, /v2/secret/rotate: create a secret item, add a
//     version to one;
//   - POST /v2/get, /v2/get_bulk, /v2/list: read one item by id, read items
//     with their latest version by filter, list items without secrets;
//   - POST /v2/delete: delete an item by id;
//   - POST /v2/folder/create: create a folder item;
//   - GET /request/{request_id}: poll a request answered with 202 Accepted.
//
// Every answer uses the Pangea envelope {request_id, request_time,
// response_time, status, summary, result}; errors carry
// result.errors[{code, detail, source}]. The bearer token is checked on
// every call (Unauthorized, 401). The double records every request (path,
// Authorization header, decoded body) and can inject TooManyRequests (429),
// InternalError (500) and Accepted (202, then polling) for the next calls.
//
// # What follows the reference, and what is assumed
//
// Taken from the reference description of the service (the wire format the
// Python original and the Go SDK use): the paths; the envelope; the status
// names and their HTTP codes (Success 200, Accepted 202, ValidationError
// 400, Unauthorized 401, ForbiddenVaultOperation 403, VaultItemNotFound
// 404, TooManyRequests 429, InternalError 500); items addressed by "pvi_…"
// ids, not by name, and names that need not be unique; the item shape
// {id, type, enabled, name, folder, created_at, item_versions[{version,
// state, created_at, secret}]}; get_bulk and store/rotate returning only
// the latest version; rotate adding a version and setting the previous one
// to rotation_state; size at most 100 with a "last" cursor; the folder
// pattern ^[0-9a-zA-Z_.\-/ ]*$; delete answering {id}.
//
// Assumed where the reference is silent (a live test against the real
// service is the arbiter):
//
//   - Request bodies are decoded strictly: unknown fields and wrong types
//     are a ValidationError.
//   - Filters match exactly on the keys type, name, folder and id; other
//     filter keys are a ValidationError. A filter without folder matches
//     every folder; a folder filter matches the stored string exactly. An
//     item stored without a folder is in folder "/".
//   - Items are returned in creation order; "last" is an opaque cursor
//     present only when more items match. The default size is 20. The
//     real list endpoint also takes "order" and "order_by"; the double
//     does not model them and rejects them (strict decoding).
//   - Answer bodies are what the reference shows; fields it does not
//     mention (metadata, tags, expiration, rotation fields) are omitted.
//   - rotation_state defaults to "deactivated"; "destroyed" also drops the
//     previous version's secret. Other values are a ValidationError.
//   - A request answered 202 has already taken effect; polling answers 202
//     until the configured number of polls has passed, then the result.
//     Polling an unknown request id is a 404 with status "NotFound".
//   - Names are free-form unless [Options.NamePattern] is set, which tests
//     use to prove that a client encodes names conservatively.
//   - No size limit on secrets beyond a 32 MiB cap on request bodies.
package pangeavaulttest
