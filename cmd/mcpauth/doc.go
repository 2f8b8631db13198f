// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command mcpauth checks policy files for the embedded decision point
// (package policy) and explains how the mcpauth middleware authorizes a
// request.
//
// Usage:
//
//	mcpauth policy check FILE
//	mcpauth policy demo
//	mcpauth policy serve [-addr ADDR] [-policy FILE] [-pdp-url URL] [-watch D]
//	mcpauth explain [-policy FILE] [-user KEY | -jwt TOKEN -jwt-secret S]
//	                [-tenant T] [-server NAME] [-public TOOLS]
//	                [-response FILE] [REQUEST_FILE | -]
//
// "policy check" loads a policy file and prints its counts, or every
// problem with its file, line, column and JSON path. "policy demo" prints
// the demo policy, a starting point for your own. "policy serve" serves a
// policy file (reloaded when it changes) as an OpenID AuthZEN Authorization
// API 1.0 decision point (policy.Handler), so that mcpauth.NewAuthZEN, or an
// enforcement point in any language, can share it; set MCPAUTH_PDP_TOKEN to
// require a bearer token.
//
// "explain" reads one JSON-RPC request, runs it through the middleware
// (its strict decoding, identity and mapping, with the decision cache off)
// in front of the policy (the demo policy unless -policy is given), and
// prints each check the decision point receives — user and attributes,
// action, resource type and key, tenant, resource attributes — with the
// policy's decision and the role, set rule or condition that decided it.
// A list request is allowed at request time and filtered per item in the
// response: give the server's response (or its result) with -response to
// see the list-time check of each item and what the caller would see.
//
// For example, with the demo policy:
//
//	$ echo '{"jsonrpc":"2.0","id":1,"method":"tools/call",
//	    "params":{"name":"conditional-greet","arguments":{"number":5}}}' | mcpauth explain
//	...
//	  policy:
//	    denied: no role of user "client" in tenant "default" grants mcp_server:conditional-greet, ...
//	      set rule 0: user holds role "Client": true
//	      set rule 0: resource.arg_number greater-than 10: false (value 5)
//
//	decision: denied (user "client" may not "conditional-greet" on mcp_server)
//
// Both commands warn on standard error about tool names a tools/call
// cannot tell apart: the middleware checks a tool as the action named
// after it with '.', '/' and '_' turned into '-', so "greet_jwt" and
// "greet-jwt" share one permission. "policy check" warns about such
// actions of one resource type; "explain" about those of the -server
// resource type, the tools of a -response list, and a called tool whose
// action is spelled differently from its name. Warnings do not change the
// exit code.
//
// Exit codes: 0 success (explain: allowed); 1 invalid policy (explain:
// denied); 2 usage error or unreadable input.
package main
