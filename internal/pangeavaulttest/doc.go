// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package pangeavaulttest is an in-process double of the Pangea Vault REST
// API v2, for tests. It listens on 127.0.0.1 (httptest) and serves the
// endpoints a key/value repository uses:
//
//   - POST /v2/secret/store, /v2/secret/rotate: create a secret item, add a
//     version to one;
//   - POST /v2/get, /v2/get_bulk, /v2/list: read one item by id, read items
//     with their latest version by filter, list items without secrets;
//   - POST /v2/delete: delete an item (a folder with what it holds when
//     recursive);
//   - POST /v2/folder/create: create a folder item;
//   - GET /request/{request_id}: poll a request answered with 202 Accepted.
//
// The double records every request and can inject TooManyRequests (429),
// InternalError (500), answers lost after the call took effect, and
// Accepted (202, then polling) for the next calls.
//
// # What it enforces, and where each rule comes from
//
// The request rules transcribe the Vault OpenAPI specification that the
// Pangea Python SDK tests against (pangeacyber/pangea-python,
// packages/pangea-sdk/tests/testdata/specs/vault.openapi.json; the schema
// names below are its components):
//
//   - the bearer token on every call (Unauthorized, HTTP 401);
//   - the request bodies of each path: required members (FieldRequired),
//     JSON types (InvalidString, InvalidInteger, InvalidBool,
//     InvalidObject, InvalidArray, InvalidNull), and, where the spec says
//     additionalProperties: false (rotate, get, get_bulk, list, delete,
//     folder/create), no other members (UnexpectedProperty);
//   - a secret of 1 to [MaxSecretLength] (10,240) characters, counted in
//     code points as JSON Schema does (vault-req-secret: BelowMinLength,
//     AboveMaxLength);
//   - item ids ^pvi_[a-z2-7]{32}$ (vault-req-id: DoesNotMatchPattern);
//   - folders and folder names [FolderPattern] (vault-folder,
//     vault-folder-folder, vault-folder-name);
//   - rotation_state deactivated, suspended or destroyed
//     (vault-req-manual-rotation-state), order asc or desc, order_by one
//     of vault-list-order-by's values (NotEnumMember);
//   - page sizes up to [MaxSize] (100), [DefaultSize] (50) when absent
//     (vault-list-size);
//   - the envelope {request_id, request_time, response_time, status,
//     summary, result} (pangea-response), with validation failures as
//     status ValidationError, HTTP 400, result.errors[{code, detail,
//     source}] whose codes are members of the spec's enum
//     (pangea-validation-errors);
//   - results in the v2 item shape {id, type, enabled, name, folder,
//     created_at, num_versions, item_versions[{version, state,
//     created_at, secret}]} (v2-secret, v2-folder, v2-list-item), and
//     get_bulk and list results {items, last} without a count.
//
// # What is assumed where the spec is silent
//
// A live test against the real service is the arbiter of these
// (repository/pangeavault's TestLive probes them with PANGEA_VAULT_TOKEN):
//
//   - Folders are normalized to a leading "/" and no trailing "/" ("a/b",
//     "/a/b/" and "/a/b" are one folder; no folder is the root "/"), for
//     storing and for filtering: the spec's examples all have the leading
//     "/" ("/personal", "/encryption", "/"). [NormalizeFolder] is the rule.
//   - The rotate schema's secret (vault-secret) states no maxLength; the
//     double applies the store limit to it too.
//   - rotate's default rotation_state ("the current rotation policy") is
//     deactivated; destroyed also drops the old version's secret.
//   - The HTTP codes of other statuses follow the SDKs' conventions:
//     VaultItemNotFound 404, ForbiddenVaultOperation 403, NotFound 404,
//     TooManyRequests 429, InternalError 500, Accepted 202; a body that is
//     not JSON is status InvalidPayloadReceived, HTTP 400 (a status the
//     SDKs know: pangea-javascript's request.ts); a body that is JSON but
//     not an object is InvalidObject at "/".
//   - Which code a numeric bound violation carries: IsTooBig for size >
//     100, IsTooSmall for size < 1 (the spec gives no minimum; the double
//     refuses sizes below 1).
//   - A secret store without type is a secret (the "Secret" branch of the
//     store oneOf requires only secret); its other members pass unchecked,
//     as the branch is not closed.
//   - Items come back in creation order unless order_by says otherwise;
//     "last" is an opaque cursor present only when more items match, and
//     deleting items between pages does not make the next page skip any.
//   - Deleting a non-empty folder without recursive is a ValidationError
//     with code BadState at /recursive.
//   - Item names are free-form (vault-name has no pattern) unless
//     [Options.NamePattern] is set, which tests use to prove that a client
//     encodes names conservatively.
//
// # What it does not model
//
//   - Item types other than secret and folder (keys, Pangea tokens, client
//     secrets): storing one is refused with InvalidConst at /type.
//   - Filter operators other than exact type, name, folder and id (tags,
//     name__contains, created_at__gt, …) and get_bulk's version map: they
//     are refused with UnexpectedProperty, so a client relying on them
//     fails loudly.
//   - /v2/get's version forms "all", "-n" and "-n:".
//   - Metadata, tags, expiration, disabled_at, rotation schedules and
//     grace periods: accepted where the schema allows them, then ignored
//     and never returned.
//   - Formats the spec names but does not constrain here (date-time,
//     pangea-duration), rate limits and quotas (unless injected), request
//     size limits beyond a 32 MiB cap, audit, and every endpoint not
//     listed above.
package pangeavaulttest
