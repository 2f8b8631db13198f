// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package coaz is the COAZ-MCP binding of the OpenID AuthZEN profile for
// the Model Context Protocol ("COAZ", Compatible with OpenID AuthZEN;
// authzen-coaz-mcp-binding-1_0, draft 1, with the COAZ framework
// authzen-coaz-framework-1_0) as an [mcpauth.MappingFunc]: every MCP
// request becomes an AuthZEN request by the binding's default mapping for
// its method, or by the mapping a tool declares in its inputSchema under
// "x-authzen-mapping", and an [mcpauth.AuthZEN] authorizer sends it to any
// AuthZEN PDP.
//
// It is its own module (github.com/mcpauth/mcpauth/authzen/coaz) because it
// needs the Common Expression Language (github.com/google/cel-go v0.31.0,
// with antlr and protobuf); users of the middleware alone never build it.
//
//	pdp, _ := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: "https://pdp.example.com", Discover: true})
//	mapping, _ := coaz.New(nil)
//	opts := &mcpauth.Options{Identity: mcpauth.JWTIdentity(jwtOpts)}
//	mapping.Configure(opts)
//	mw, _ := mcpauth.New(pdp, opts)
//
// # How it works
//
// The middleware observes every tools/list result it passes on
// ([mcpauth.Options.OnToolsList]); [Mapping.ObserveTools] compiles each
// declared mapping once (its CEL expressions included) and keeps it by tool
// name. For each request, [Mapping.Map] selects the mapping — the tool's
// declared one for a tools/call of a tool that declared one, else the
// method's default — resolves it against two variables, params (the
// request's params; for tools/call its name and arguments) and token (the
// verified access token's claims; see below), and returns a check carrying
// the resulting AuthZEN request under [mcpauth.ContextAuthZENRequest].
// The AuthZEN authorizer sends it as is — the Access Evaluation API for the
// evaluation envelope, the Access Evaluations API (or one evaluation per
// entry when the PDP lacks it) for the evaluations envelope — and allows
// the request only when every decision is a permit. The decision cache
// applies as usual: its key covers the whole AuthZEN request.
//
// Resolution is cheap (BENCHMARKS.md, section 9): plain selections such as
// $params.arguments.id or $token.?client_id are read without the CEL
// interpreter; params is decoded only when an expression needs more than
// params.name, params.uri or the arguments the middleware decoded; the
// members are built straight into the AuthZEN types. An expression whose
// worst-case cost CEL's static estimate bounds within [Options.CostLimit]
// (outright, or as long as the values it selects from params and token
// have at most a size hint of elements, entries or bytes, which is checked
// before each evaluation) runs without runtime cost tracking; any other
// expression, or the same one over larger inputs, is tracked and stopped
// at the limit. Of those untracked expressions, conditions of the common
// shapes (a selection compared with a literal, or
// $token.roles.exists(r, r == 'x'), alone or choosing between two
// literals) are answered without the interpreter for scalar inputs; any
// other input runs the CEL program, so errors stay CEL's.
//
// # The binding's rules, as implemented
//
//   - Every method is mapped, passed through or denied as section
//     "Default Mappings" says: see Methods below.
//   - In server-wide default mappings, "$token.aud" resolves to
//     [Options.ServerID] when set, else to the aud claim when it is one
//     string or an array of exactly one; anything else is a mapping error.
//   - Values starting with "$" are CEL expressions, "$$" escapes a literal
//     "$", anything else is a literal. Optional selection (token.?client_id)
//     that finds nothing leaves the member out; plain selection of a missing
//     key, any evaluation error, an expression over [Options.CostLimit], and
//     absent or null values for required members are mapping errors.
//   - Subject anchoring: a missing subject, subject.id or subject.type is
//     filled with the token's subject-identity claim ([Options.SubjectClaim],
//     "sub" by default) and "identity"; the resolved subject.id must equal
//     that claim, whatever the mapping says. This is stricter than the
//     binding, which lets a declared mapping assert a subject the PEP cannot
//     verify (with a warning): here such a mapping is refused.
//   - A declared mapping with a subject inside an evaluations entry
//     (identity smuggling), with anything but exactly one envelope, with
//     unknown members (custom attributes belong under properties), an
//     options member, an empty evaluations array, or an expression that does
//     not compile is malformed: calls of that tool are mapping errors, never
//     the default mapping.
//
// # Methods
//
// The binding (authzen-coaz-mcp-binding-1_0, draft 1, also published as
// authzen-mcp-profile-1_0; both name the same methods) gives a
// default mapping to fifteen methods, makes ping and notifications
// pass-through, leaves the server-initiated requests out of scope and
// denies every other method ("Unknown Methods"). With [Mapping.Configure]
// the middleware handles each method of MCP 2025-11-25 so:
//
//	method                     handling     action.name           resource (type, id)
//	initialize                 mapped       initialize            mcp_server, server id (*)
//	ping                       pass-through
//	notifications/*            pass-through
//	tools/list                 mapped       tools/list            mcp_server, server id
//	tools/call                 mapped       tools/call            tool, params.name
//	                           (or the tool's declared x-authzen-mapping)
//	resources/list             mapped       resources/list        mcp_server, server id
//	resources/read             mapped       resources/read        resource, params.uri
//	resources/subscribe        mapped       resources/subscribe   resource, params.uri
//	resources/unsubscribe      mapped       resources/unsubscribe resource, params.uri
//	resources/templates/list   denied       (not named by the binding)
//	prompts/list               mapped       prompts/list          mcp_server, server id
//	prompts/get                mapped       prompts/get           prompt, params.name
//	completion/complete        mapped       completion/complete   prompt, params.ref.name for ref/prompt;
//	                                                              resource, params.ref.uri otherwise
//	logging/setLevel           mapped       logging/setLevel      mcp_server, server id (**)
//	tasks/get                  mapped       tasks/get             task, params.taskId
//	tasks/result               mapped       tasks/result          task, params.taskId
//	tasks/cancel               mapped       tasks/cancel          task, params.taskId
//	tasks/list                 mapped       tasks/list            mcp_server, server id
//	server/discover            denied       (not named by the binding)
//	sampling/createMessage,    denied       (server-initiated: out of the binding's scope;
//	elicitation/create,                     a client sending them is refused)
//	roots/list
//	any other method           denied       ("Unknown Methods": fail closed)
//
// Every mapped method's request has subject {"type":"identity","id":
// token.sub} (the subject-identity claim) and context {"agent": token.?client_id}; (*) adds
// context.protocol_version (params.protocolVersion), (**) context.level
// (params.level). "server id" is [Options.ServerID], else the token's aud
// (see below). A denied method is answered with JSON-RPC error -32001
// before any decision point call; TestMethods checks every row.
//
// The middleware's own [mcpauth.DefaultBypassMethods] (initialize, ping,
// notifications/*, server/discover, logging/setLevel) are not the
// binding's: Configure replaces a nil BypassMethods with [PassThrough], so
// initialize and logging/setLevel are authorized and server/discover is
// denied. A BypassMethods set before Configure is kept as it is: setting it
// to DefaultBypassMethods lets initialize and logging/setLevel through
// unchecked, against the binding. To let server/discover or
// resources/templates/list through unchecked while the rest of the binding
// applies, set BypassMethods to PassThrough's methods plus those before
// calling Configure.
//
// # Errors
//
// [Mapping.Configure] sets the middleware up to answer as the binding's
// section "Error Handling" says: a denial is JSON-RPC error -32001
// ([CodeDenied]; a denied tools/call is a tool result with isError unless
// Deny.ToolCall says otherwise, which the binding allows), a mapping error
// -32602, and a decision point that cannot be reached -32603. Messages
// never carry internal error text.
//
// # The token variable
//
// In the middleware's JWT identity mode, token holds every claim of the
// verified JWT. With a context principal (ContextIdentity) it holds sub,
// client_id, aud, scope, email and exp taken from the principal; in other
// modes only sub, the user key. Numbers are doubles, as CEL reads JSON.
package coaz
