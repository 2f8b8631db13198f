// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package jsonrpc decodes the JSON-RPC bodies of MCP Streamable HTTP POST
// requests strictly, for the authorization middleware.
//
// The middleware authorizes a request by its method, params.name,
// params.uri and arguments, then hands the unchanged bytes to the MCP
// server. That is only sound if the middleware reads the same values as the
// server that executes the request. JSON leaves room for two readers to
// disagree: repeated member names (encoding/json and the go-sdk keep the
// last one, other decoders the first), member names that differ only in
// case (encoding/json matches struct fields case-insensitively, the go-sdk
// does not), escaped member names ("\u006dethod" is "method" to every
// decoder, but not to a byte search), batches, and bytes after the first
// value (the go-sdk decodes the first value of a body and ignores the rest).
// Each of these lets a body read as tools/list by one decoder run
// tools/call in another. [Decode] therefore refuses every body on which two
// reasonable decoders could disagree, instead of picking one reading.
//
// # Rules
//
// [Decode] accepts a body only when all of these hold; otherwise it returns
// an [*Error] whose code the middleware sends back:
//
//   - The body is exactly one JSON value, with only JSON whitespace around
//     it (what json.Valid accepts). Anything else, including a second value
//     or trailing bytes, is [CodeParseError].
//   - A leading UTF-8 byte order mark is [CodeParseError]. The go-sdk server
//     (v1.8.0) does not strip it: its decoder rejects the body as malformed
//     ("invalid character 'ï'"), so nothing would run. Refusing it here
//     keeps the two in step; stripping it would authorize a body the server
//     then refuses, and a server that did strip it would be read
//     differently by other layers.
//   - The value is an object (one message) or a non-empty array of objects
//     (a batch, one [Message] per element). Nested arrays are refused.
//   - No object anywhere in the body repeats a member name. Names are
//     compared after decoding escapes, so "method" and "\u006dethod"
//     collide. Member names must be valid UTF-8 without unpaired surrogate
//     escapes, because decoders rewrite those to U+FFFD and two different
//     names could become one.
//   - Member names that equal a JSON-RPC or MCP member only under Unicode
//     case folding are refused: "METHOD", "Method" or "jſonrpc" next to (or
//     instead of) the real member, at the envelope level (jsonrpc, id,
//     method, params, result, error), in params (name, uri, arguments, ref)
//     and in params.ref (type, name, uri). The top-level names of
//     params.arguments must be unique under case folding as well, because a
//     tool that decodes its arguments with encoding/json into a struct
//     matches them case-insensitively.
//   - jsonrpc is the string "2.0"; method is a string; id is a string, a
//     number that fits a float64, or null. As in the go-sdk, a request with
//     a null id is a notification and [Message.ID] is nil.
//   - params is an object or an array. tools/call, prompts/get,
//     resources/read, resources/subscribe, resources/unsubscribe and
//     completion/complete need an object ([CodeInvalidParams] otherwise).
//     When present, params.name and params.uri are strings (valid UTF-8, no
//     unpaired surrogates), params.arguments is an object or null, and
//     params.ref is an object; for completion/complete, ref decodes with
//     [DecodeRef].
//   - A message with method is a request and must not carry result or
//     error. A message without method is a response: it needs a string or
//     number id and result or error (error an object or null, with an
//     integer code), and [Message.IsResponse] is set.
//   - Objects and arrays nest at most 1000 deep, the go-sdk's own limit.
//
// These rules make one invariant hold, which FuzzDecode checks against the
// go-sdk: whenever Decode accepts a body, the go-sdk server decodes the same
// messages, with the same method and id kind, and the same params.name,
// params.uri, argument names and completion reference reach its handlers.
//
// # Performance
//
// Decode first checks the body with the validator of internal/jsonscan
// (shared with the policy file parser), which accepts exactly what
// json.Valid accepts (FuzzValid compares the two) at a fraction of the cost
// and without allocating. It then walks the bytes once with jsonscan's span
// helpers, recording spans instead of building maps; member
// names are checked for repeats pairwise, or with a hash table over the
// spans in large objects. It allocates only the returned slice and the
// decoded strings; the MCP method names are constants and cost nothing.
// [DecodeObject] builds the argument map only when the middleware needs
// argument attributes.
//
// # List responses
//
// [Messages], [ScanResponse] and [ScanList] read the server's answers to
// list requests the same way, so that the middleware can hide items by
// copying the byte ranges of the others: the envelope, each item's span
// and identifying member, and the result's cacheScope members. An answer
// readers could disagree on (a repeated member, a case variant of result,
// id or the list member) is reported as ambiguous, and an item whose
// identifying member is repeated, a case variant or not a valid string is
// reported as not OK, so that the middleware refuses or hides them rather
// than guess.
package jsonrpc
