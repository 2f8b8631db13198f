// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package doubletest is the scaffolding the PDP test doubles
// (internal/permittest, internal/authzentest) share: a loopback
// [httptest.Server] that counts the TCP connections it accepts, a record
// of the requests received with per-path call counts, a [gate.Gate] that
// parks requests until a test releases them, and an idempotent Close.
//
// A double embeds [Base], starts it with [Base.Serve] and calls
// [Base.Record] first thing in its handler. The wire format (paths,
// validation, decisions, error bodies) is not here: each double writes
// its own from its own specification.
//
// [gate.Gate]: github.com/mcpauth/mcpauth/internal/gate
package doubletest
