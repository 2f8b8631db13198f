// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package jsonscan is the JSON scanner shared by the middleware's JSON-RPC
// decoder (internal/jsonrpc), the policy file parser (policy) and the
// AuthZEN mapping module (authzen/coaz).
//
// It works in two steps, as both users do:
//
//  1. Validate the bytes once: [Valid] accepts exactly what json.Valid
//     accepts, several times faster and without allocating; [Check] does the
//     same with a nesting limit of the caller's choice and, on failure,
//     returns a [*SyntaxError] with the byte offset and a message (for
//     "file:line:col" errors).
//  2. Walk the validated bytes with the span helpers ([SkipSpace],
//     [StringSpan], [SkipString], [SkipScalar]), which trust the grammar
//     (a '"' opens a string, a ':' follows a key, ...) and only extract
//     spans, and decode what is needed: [Unquote] and [String] decode
//     strings exactly as encoding/json does, [Value] builds the value
//     encoding/json would build with UseNumber.
//
// [Strict] does both steps for a caller that wants the whole value and no
// ambiguity: it refuses nesting past a limit and repeated member names at
// any depth (compared after decoding, so "a" and "\u0061" are one name).
//
// The helpers never index outside the input for valid JSON; the fuzz tests
// of both users check that they never panic.
package jsonscan
