// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package policy is an embedded decision point: an [mcpauth.Authorizer]
// that decides checks in-process from a policy file modelled on Permit.io,
// so that a server can run, be demonstrated and be tested without a Permit
// account, and move to Permit later by changing configuration only.
//
//	p, err := policy.Load("policy.json")
//	if err != nil {
//		log.Fatal(err) // policy: policy.json:12:7: roles.Admin.permissions[1]: ...
//	}
//	mw, err := mcpauth.New(p, nil)
//
// [Demo] returns the policy of permit-fastmcp's example server; [NewWatcher]
// reloads a file when it changes. The mcpauth command (cmd/mcpauth) checks
// policy files and explains decisions.
//
// # The model
//
// The model is Permit's, reduced to what a policy file needs:
//
//   - Resources: a resource type (the check's Resource.Type, such as
//     "mcp_server") with its actions and, optionally, the types of its
//     attributes (string, number, bool, array, json).
//   - Roles grant permissions, written "resource:action" (the action is
//     after the last colon). A role may extend other roles and then holds
//     their permissions too.
//   - Users: a key, stored attributes, and role assignments, each in a
//     tenant ("default" unless given) and optionally only on one resource
//     instance ("type:key", matched against Resource.Type and Resource.Key).
//     A user key that is not in the file has no roles.
//   - Condition sets: user sets (conditions on user.<attribute>) and
//     resource sets (conditions on resource.<attribute>, bound to one
//     resource type), optionally with a parent set whose conditions are
//     ANDed in, as in Permit.
//   - Set rules grant one permission to a user set, or to the holders of a
//     role, on a resource set (or, for a user set, on every resource of the
//     permission's type), as Permit's condition-set rules do.
//
// Everything not granted is denied: a check is allowed when a role the user
// holds in the check's tenant (or on the checked instance) grants the
// permission, or when a set rule for the permission matches. A check on an
// undeclared resource type or action is denied.
//
// # The policy file
//
// The file is JSON (YAML is not supported: the package uses the standard
// library only). Unknown fields, duplicate keys, unknown operators,
// references to undeclared resources, actions, roles or condition sets,
// conditions on undeclared attributes (when the resource, or
// user_attributes, declares any) and operands whose type does not fit the
// attribute are errors. [Load] and [Parse] report every problem (up to 20)
// as an [*Error] naming the file, line, column and JSON path:
//
//	policy: policy.json:9:9: roles.Admin.permissions[0]: permission "mcp_server:gret" names action "gret", which resource "mcp_server" does not declare
//
// An abridged example (demo.json is the complete one):
//
//	{
//	  "argument_prefix": "arg_",
//	  "resources": {
//	    "mcp_server": {
//	      "actions": ["greet", "conditional-greet"],
//	      "attributes": {"arg_number": "number"}
//	    }
//	  },
//	  "roles": {"Client": {"permissions": ["mcp_server:greet"], "extends": []}},
//	  "users": {
//	    "client": {"attributes": {"team": "blue"}, "roles": ["Client", {"role": "Client", "tenant": "acme"}]}
//	  },
//	  "condition_sets": {
//	    "big": {"type": "resourceset", "resource": "mcp_server",
//	            "conditions": {"allOf": [{"resource.arg_number": {"greater-than": 10}}]}}
//	  },
//	  "set_rules": [
//	    {"role": "Client", "permission": "mcp_server:conditional-greet", "resource_set": "big"}
//	  ]
//	}
//
// Every object may also carry a "description" string.
//
// # Conditions
//
// A condition is {"allOf": [...]}, {"anyOf": [...]}, {"not": {...}} (Permit's
// logical operators, nested freely) or a comparison
// {"<user|resource>.<attribute>": {"<operator>": operand}}. The operators
// are Permit's:
//
//	equals, not-equals            string, number or boolean operand
//	greater-than, greater-than-equals,
//	less-than, less-than-equals   number operand
//	contains                      string attribute contains the operand
//	in                            attribute equals one of the operands (array)
//	array_contains                array attribute has the operand
//	array_subset                  every element of the array attribute is an operand
//	array_superset                the array attribute has every operand
//	array_intersect               the array attribute has some operand
//
// and two that Permit's documentation does not list, kept for policies
// written for this package only (a Permit migration must rewrite them):
//
//	starts-with                   string attribute starts with the operand
//	exists                        true: attribute present and not null; false: absent or null
//
// Permit's reference operators (equals-ref and the like) are not supported.
//
// Attributes are looked up in the check: user.<name> in User.Attributes,
// then in the user's stored attributes from the file (the check's win);
// resource.<name> in Resource.Attributes. A dotted name reads nested
// objects when no attribute has the whole name: user.jwt.email reads the
// "email" claim under the "jwt" attribute the middleware's JWT mode sets.
// user.key, resource.type, resource.key and resource.tenant are built in.
//
// Values are never coerced. A number is a Go integer or float type or a
// [encoding/json.Number] (the middleware decodes arguments with UseNumber);
// integers compare exactly, anything else as float64, so 12, 12.0,
// json.Number("12") and json.Number("1.2e1") are all equal. A string
// holding digits is not a number: {"greater-than": 10} is false for "12",
// and {"equals": 10} is false for "10". A comparison on a missing or null
// attribute, or on a value of another type, is false, for every operator
// including not-equals ("exists": false is the way to test absence);
// "not" inverts that false like any other.
//
// # List-time checks
//
// When the middleware filters tools/list, prompts/list, resources/list or
// resources/templates/list results, it checks each item as a call of that
// item would be checked, but without arguments and with the resource
// attribute mcp_method set to the list method. Such a check is a list-time
// check, and it asks "could some call of this item be allowed?":
//
//   - A comparison on an attribute a call supplies — a resource attribute
//     whose name starts with the argument prefix ("arg_" unless the file's
//     argument_prefix says otherwise; set it to match
//     mcpauth.Options.ArgumentPrefix), or the "arguments" attribute of
//     nested mode — is unknown, neither true nor false.
//   - Unknown propagates with three-valued logic: allOf is false if any
//     part is false, else unknown if any part is unknown; anyOf is true if
//     any part is true, else unknown if any part is; not leaves unknown
//     unknown.
//   - A set rule whose result is unknown counts as matching, so the item is
//     listed. Every other condition (on the user, the tool name, the tenant
//     and so on) is evaluated for real.
//
// So the demo's client sees conditional-greet listed, because its only rule
// depends on arg_number, and does not see greet-jwt, which no rule grants
// it. This is deliberately generous — unknown does not look for
// contradictions, so {"allOf": [arg_n > 10, arg_n < 5]} still lists the
// item — because hiding an item is not the security boundary: at call time
// the arguments are present and every condition is evaluated for real, so
// a listed item is still refused when the call is not allowed.
//
// # Explanations and performance
//
// [Policy.Explain] decides like [Policy.Allowed] and names the role or set
// rule that allowed the check, with each evaluated condition, or says why
// it was denied. A compiled [Policy] is immutable and safe for concurrent
// use; roles, permissions and role assignments are precompiled into
// bitsets and set rules are indexed by permission, so a check costs a few
// map lookups plus the conditions of the set rules for its permission, and
// allocates nothing.
//
// # Reloading
//
// [NewWatcher] returns a [Watcher], an Authorizer that polls its file and
// swaps in the new policy atomically when the file changes and is valid,
// keeping (and logging why) the previous one when it is not.
//
// # Serving the policy over AuthZEN
//
// [NewHandler] serves a Policy, a Watcher or any other Authorizer as a
// policy decision point speaking the OpenID AuthZEN Authorization API 1.0
// (Access Evaluation, Access Evaluations and the metadata), so that
// mcpauth.NewAuthZEN, or an enforcement point in any language, can ask it;
// "mcpauth policy serve" runs it. Evaluations become checks by
// mcpauth.CheckFromAuthZEN, the inverse of what mcpauth.AuthZEN sends, so
// decisions over AuthZEN are the decisions in process.
package policy
