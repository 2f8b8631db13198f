// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package authzen holds the wire format of the OpenID AuthZEN Authorization
// API 1.0 ([AuthZEN]): the Access Evaluation and Access Evaluations request
// and response bodies, Policy Decision Point (PDP) metadata, the endpoint
// paths of the HTTPS binding and strict parsers for each body.
//
// It is shared by the three parts of mcpauth that speak AuthZEN:
// [github.com/mcpauth/mcpauth.AuthZEN], the enforcement point's client for
// any AuthZEN PDP; the policy package's Handler, which serves the embedded
// policy as a PDP; and the COAZ mapping module (authzen/coaz), which builds
// requests from declared MCP tool mappings. It uses the standard library
// only and knows nothing of MCP.
//
// # Parsing
//
// [ParseRequest], [ParseDecision] and [ParseEvaluations] accept exactly
// what the specification allows and nothing ambiguous: the body must be one
// JSON object, member names may not repeat (at any depth) and top-level
// names may not differ only in case (I-JSON, section 11.5 "JSON Payload
// Considerations" of [AuthZEN]); required members must be present with the
// right JSON type. Unknown members are ignored, as section 10.1.1 ("JSON
// Serialization") requires of receivers.
//
// # Defaults in Access Evaluations
//
// [Request.Effective] applies the defaults of section 7.1.1: a top-level
// subject, action, resource or context is the default of every entry of
// evaluations that lacks that member; an entry's own member replaces the
// default whole (objects are not merged). A request without entries, or
// with an empty evaluations array, is a single Access Evaluation.
//
// [AuthZEN]: https://openid.net/specs/authorization-api-1_0.html
package authzen
