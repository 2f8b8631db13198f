// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package permittest is a faithful stand-in for a Permit.io policy decision
// point (PDP), for tests. It serves the two endpoints the middleware uses on
// a loopback [httptest.Server] and records every request it receives.
//
// # Endpoints
//
// The wire format follows the PDP's own pydantic schemas
// (permitio/PDP horizon/enforcer/schemas.py and horizon/enforcer/api.py):
//
//   - POST /allowed takes one [Check] object and answers
//     {"allow":bool,"result":bool}.
//   - POST /allowed/bulk takes a JSON array of [Check] objects and answers
//     {"allow":[{"allow":bool,"result":bool},...]} in request order.
//
// Like the PDP, the double requires "Authorization: Bearer <api key>" (the
// scheme is matched case-insensitively) and answers 401 with
// {"detail":"Missing Authorization header"} or {"detail":"Invalid PDP
// token"} otherwise; authentication is checked before the body. A body that
// is not JSON, not sent as application/json, or does not match the schema
// (user.key, action and resource.type are required strings; the optional
// members must have the right JSON types) is rejected with 422 and a
// FastAPI-style {"detail":[{"loc":[...],"msg":...,"type":...}]} body.
// Unknown members are ignored, as pydantic does. Other paths answer 404 and
// other methods 405.
//
// # Deciding
//
// The default policy denies everything, as an empty Permit policy does. Set
// one with [Server.Decide], [Server.AllowAll], [Server.DenyAll] or
// [Server.Allow] with a table of [Rule]s.
//
// # Observing and disturbing
//
// [Server.Requests] returns every request received, with its raw body and
// the decoded checks; [Server.Calls] counts requests per path. Numbers in
// decoded attributes and contexts are [encoding/json.Number] values, and a
// member that was absent stays nil while one sent as {} is an empty map, so
// comparisons with go-cmp see exactly what was sent.
//
// [Server.FailWith] answers every request with an error status,
// [Server.RespondRaw] with a fixed status and body (for garbage or
// wrong-length answers), [Server.Delay] adds latency, and [Server.Hold] and
// [Server.Release] park requests at a gate so that tests can observe
// concurrent callers without sleeping ([Server.WaitHeld]).
package permittest
