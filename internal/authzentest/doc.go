// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package authzentest is a strict stand-in for a policy decision point
// speaking the OpenID AuthZEN Authorization API 1.0, for tests. It serves
// the Access Evaluation and Access Evaluations APIs and the PDP metadata on
// a loopback [httptest.Server] and records every request it receives.
//
// It is written from the specification (authorization-api-1_0, final) and
// shares no code with the enforcement point it tests, so that a
// misreading in one does not hide in the other.
//
// # Endpoints
//
//   - GET /.well-known/authzen-configuration[/<base path>] answers the
//     metadata (section 9): policy_decision_point is [Server.PDP], the
//     endpoints are absolute URLs under it.
//   - POST <base path>/access/v1/evaluation (section 6) takes one
//     evaluation and answers {"decision":bool}.
//   - POST <base path>/access/v1/evaluations (section 7) applies the
//     top-level defaults to each entry (an entry's member replaces the
//     default whole), honours options.evaluations_semantic (execute_all,
//     deny_on_first_deny, permit_on_first_permit) and answers
//     {"evaluations":[{"decision":bool},...]}; without entries it behaves as
//     a single Access Evaluation, as section 7.1 says.
//
// # Validation
//
// Requests must be POST with Content-Type application/json and a body that
// is one JSON object without repeated member names. subject (type, id),
// action (name) and resource (type, id) are required with string members;
// properties, context and options must be objects. Violations are answered
// with 400 and an error message string (section 10.1.2); unknown members are
// ignored (section 10.1.1). With [WithBearer] or [WithAPIKey], a request
// without the credential gets 401 with a WWW-Authenticate challenge
// (section 11.3), checked before the body. An X-Request-ID is echoed
// (section 10.1.3).
//
// # Deciding, observing, disturbing
//
// The default policy denies everything. [Server.Decide] sets a function
// of one [Evaluation]. [Server.Requests] returns what was received, with the
// effective evaluations; [Server.Calls] counts requests per path and
// [Server.Conns] counts TCP connections (to observe reuse).
// [Server.FailWith], [Server.RespondRaw] and [Server.BreakRequestID]
// produce failures; [Server.Hold] and [Server.Release] park requests so
// tests can observe concurrency without sleeping.
package authzentest
