// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/policy"
)

// base is a valid policy that the bad-file cases below break one way each.
const base = `{
  "resources": {
    "mcp_server": {
      "actions": ["greet", "conditional-greet"],
      "attributes": {"arg_number": "number", "tool_name": "string", "tags": "array", "meta": "json"}
    }
  },
  "roles": {"Client": {"permissions": ["mcp_server:greet"]}},
  "users": {"client": {"roles": ["Client"]}},
  "condition_sets": {
    "big": {"type": "resourceset", "resource": "mcp_server", "conditions": {"allOf": [{"resource.arg_number": {"greater-than": 10}}]}}
  },
  "set_rules": [{"role": "Client", "permission": "mcp_server:conditional-greet", "resource_set": "big"}]
}`

func TestParseErrors(t *testing.T) {
	if _, err := policy.Parse("base.json", []byte(base)); err != nil {
		t.Fatalf("base policy: %v", err)
	}
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", "", `policy: bad.json:1:1: empty document`},
		{"syntax", "{\n  \"roles\": {,}\n}", `policy: bad.json:2:13: unexpected character ',', want a string object key`},
		{"trailing comma", "{\"roles\": {},}", `policy: bad.json:1:14: unexpected character '}', want a string object key`},
		{"unterminated", "{\"roles\": \"abc", `policy: bad.json:1:11: unterminated string`},
		{"trailing data", "{} {}", `policy: bad.json:1:4: unexpected character '{' after the top-level value`},
		{"not an object", `[]`, `policy: bad.json:1:1: want an object, got an array`},
		{"unknown top-level field", "{\n  \"rolez\": {}\n}", `policy: bad.json:2:3: unknown field "rolez"`},
		{
			"duplicate key",
			strings.Replace(base, `"users": {"client": {"roles": ["Client"]}}`, `"users": {"client": {"roles": ["Client"]}, "client": {}}`, 1),
			`policy: bad.json:9:46: users.client: duplicate key "client"`,
		},
		{
			"duplicate field",
			strings.Replace(base, `"roles": {"Client": {"permissions": ["mcp_server:greet"]}}`, `"roles": {"Client": {"permissions": [], "permissions": []}}`, 1),
			`policy: bad.json:8:43: roles.Client.permissions: duplicate key "permissions"`,
		},
		{
			"unknown role field",
			strings.Replace(base, `{"permissions": ["mcp_server:greet"]}`, `{"permissions": ["mcp_server:greet"], "grants": []}`, 1),
			`policy: bad.json:8:61: roles.Client: unknown field "grants"`,
		},
		{
			"permission on undeclared resource",
			strings.Replace(base, `"mcp_server:greet"]`, `"mcp_servr:greet"]`, 1),
			`policy: bad.json:8:40: roles.Client.permissions[0]: permission "mcp_servr:greet" names undeclared resource "mcp_servr"`,
		},
		{
			"permission with undeclared action",
			strings.Replace(base, `"mcp_server:greet"]`, `"mcp_server:gret"]`, 1),
			`policy: bad.json:8:40: roles.Client.permissions[0]: permission "mcp_server:gret" names action "gret", which resource "mcp_server" does not declare`,
		},
		{
			"permission without colon",
			strings.Replace(base, `"mcp_server:greet"]`, `"greet"]`, 1),
			`policy: bad.json:8:40: roles.Client.permissions[0]: permission "greet" must have the form "resource:action"`,
		},
		{
			"duplicate action",
			strings.Replace(base, `["greet", "conditional-greet"]`, `["greet", "conditional-greet", "greet"]`, 1),
			`policy: bad.json:4:49: resources.mcp_server.actions[2]: duplicate action "greet"`,
		},
		{
			"missing actions",
			"{\"resources\": {\"r\": {}}}",
			`policy: bad.json:1:21: resources.r: missing field "actions"`,
		},
		{
			"unknown attribute type",
			strings.Replace(base, `"arg_number": "number"`, `"arg_number": "integer"`, 1),
			`policy: bad.json:5:36: resources.mcp_server.attributes.arg_number: unknown attribute type "integer" (want string, number, bool, array or json)`,
		},
		{
			"built-in attribute declared",
			strings.Replace(base, `"tags": "array"`, `"key": "string"`, 1),
			`policy: bad.json:5:69: resources.mcp_server.attributes.key: attribute "key" is built in and cannot be declared`,
		},
		{
			"unknown operator",
			strings.Replace(base, `"greater-than"`, `"greater_than"`, 1),
			`policy: bad.json:11:112: condition_sets.big.conditions.allOf[0]["resource.arg_number"].greater_than: unknown operator "greater_than"`,
		},
		{
			"reference operator",
			strings.Replace(base, `{"greater-than": 10}`, `{"equals-ref": "user.level"}`, 1),
			`policy: bad.json:11:112: condition_sets.big.conditions.allOf[0]["resource.arg_number"].equals-ref: reference operator "equals-ref" is not supported`,
		},
		{
			"undeclared attribute",
			strings.Replace(base, `"resource.arg_number"`, `"resource.arg_numbr"`, 1),
			`policy: bad.json:11:88: condition_sets.big.conditions.allOf[0]["resource.arg_numbr"]: attribute "arg_numbr" is not declared in resource "mcp_server"`,
		},
		{
			"operand type mismatch",
			strings.Replace(base, `{"greater-than": 10}`, `{"equals": "10"}`, 1),
			`policy: bad.json:11:122: condition_sets.big.conditions.allOf[0]["resource.arg_number"].equals: type mismatch: the attribute is declared as number, got a string`,
		},
		{
			"operator does not apply to type",
			strings.Replace(base, `"resource.arg_number": {"greater-than": 10}`, `"resource.tool_name": {"greater-than": 10}`, 1),
			`policy: bad.json:11:111: condition_sets.big.conditions.allOf[0]["resource.tool_name"].greater-than: operator "greater-than" does not apply to resource.tool_name, which is declared as string`,
		},
		{
			"array operator on scalar attribute",
			strings.Replace(base, `"resource.arg_number": {"greater-than": 10}`, `"resource.arg_number": {"array_contains": 10}`, 1),
			`policy: bad.json:11:112: condition_sets.big.conditions.allOf[0]["resource.arg_number"].array_contains: operator "array_contains" does not apply to resource.arg_number, which is declared as number`,
		},
		{
			"string operand for number operator, undeclared",
			"{\"resources\": {\"r\": {\"actions\": [\"a\"]}},\n \"condition_sets\": {\"s\": {\"type\": \"resourceset\", \"resource\": \"r\", \"conditions\": {\"resource.x\": {\"less-than\": \"5\"}}}}}",
			`policy: bad.json:2:110: condition_sets.s.conditions["resource.x"].less-than: operator "less-than" needs a number, got a string`,
		},
		{
			"array operand for equals",
			"{\"resources\": {\"r\": {\"actions\": [\"a\"]}},\n \"condition_sets\": {\"s\": {\"type\": \"resourceset\", \"resource\": \"r\", \"conditions\": {\"resource.x\": {\"equals\": [1]}}}}}",
			`policy: bad.json:2:107: condition_sets.s.conditions["resource.x"].equals: operator "equals" needs a string, number or boolean operand, got an array`,
		},
		{
			"empty in",
			"{\"resources\": {\"r\": {\"actions\": [\"a\"]}},\n \"condition_sets\": {\"s\": {\"type\": \"resourceset\", \"resource\": \"r\", \"conditions\": {\"resource.x\": {\"in\": []}}}}}",
			`policy: bad.json:2:103: condition_sets.s.conditions["resource.x"].in: operator "in" needs at least one value`,
		},
		{
			"exists needs a boolean",
			"{\"resources\": {\"r\": {\"actions\": [\"a\"]}},\n \"condition_sets\": {\"s\": {\"type\": \"resourceset\", \"resource\": \"r\", \"conditions\": {\"resource.x\": {\"exists\": 1}}}}}",
			`policy: bad.json:2:107: condition_sets.s.conditions["resource.x"].exists: want a boolean, got a number`,
		},
		{
			"two operators",
			"{\"resources\": {\"r\": {\"actions\": [\"a\"]}},\n \"condition_sets\": {\"s\": {\"type\": \"resourceset\", \"resource\": \"r\", \"conditions\": {\"resource.x\": {\"equals\": 1, \"in\": [1]}}}}}",
			`policy: bad.json:2:96: condition_sets.s.conditions["resource.x"]: want exactly one operator, got 2`,
		},
		{
			"empty allOf",
			strings.Replace(base, `{"allOf": [{"resource.arg_number": {"greater-than": 10}}]}`, `{"allOf": []}`, 1),
			`policy: bad.json:11:86: condition_sets.big.conditions.allOf: allOf must not be empty`,
		},
		{
			"two keys in a condition",
			strings.Replace(base, `{"allOf": [{"resource.arg_number": {"greater-than": 10}}]}`, `{"allOf": [{"resource.arg_number": {"greater-than": 10}}], "anyOf": []}`, 1),
			`policy: bad.json:11:76: condition_sets.big.conditions: a condition must have exactly one key ("allOf", "anyOf", "not" or an attribute such as "resource.name"), got 2`,
		},
		{
			"unknown condition key",
			strings.Replace(base, `{"allOf": [{"resource.arg_number": {"greater-than": 10}}]}`, `{"oneOf": []}`, 1),
			`policy: bad.json:11:77: condition_sets.big.conditions.oneOf: unknown condition key "oneOf" (want "allOf", "anyOf", "not" or an attribute such as "resource.name")`,
		},
		{
			"user attribute in a resource set",
			strings.Replace(base, `"resource.arg_number"`, `"user.arg_number"`, 1),
			`policy: bad.json:11:88: condition_sets.big.conditions.allOf[0]["user.arg_number"]: a resource set may only test resource attributes, got "user.arg_number"`,
		},
		{
			"resource set of undeclared resource",
			strings.Replace(base, `"resource": "mcp_server"`, `"resource": "mcp_servr"`, 1),
			`policy: bad.json:11:48: condition_sets.big.resource: undeclared resource "mcp_servr"`,
		},
		{
			"unknown condition set type",
			strings.Replace(base, `"type": "resourceset"`, `"type": "resources"`, 1),
			`policy: bad.json:11:21: condition_sets.big.type: unknown condition set type "resources" (want "userset" or "resourceset")`,
		},
		{
			"unknown role in assignment",
			strings.Replace(base, `"roles": ["Client"]`, `"roles": ["Clent"]`, 1),
			`policy: bad.json:9:34: users.client.roles[0]: unknown role "Clent"`,
		},
		{
			"unknown role in tenant assignment",
			strings.Replace(base, `"roles": ["Client"]`, `"roles": [{"role": "Clent", "tenant": "acme"}]`, 1),
			`policy: bad.json:9:43: users.client.roles[0].role: unknown role "Clent"`,
		},
		{
			"bad resource instance",
			strings.Replace(base, `"roles": ["Client"]`, `"roles": [{"role": "Client", "resource_instance": "docs"}]`, 1),
			`policy: bad.json:9:74: users.client.roles[0].resource_instance: resource instance "docs" must have the form "type:key"`,
		},
		{
			"unknown set in set rule",
			strings.Replace(base, `"resource_set": "big"`, `"resource_set": "huge"`, 1),
			`policy: bad.json:13:98: set_rules[0].resource_set: unknown condition set "huge"`,
		},
		{
			"set rule permission on undeclared action",
			strings.Replace(base, `"permission": "mcp_server:conditional-greet"`, `"permission": "mcp_server:conditional_greet"`, 1),
			`policy: bad.json:13:50: set_rules[0].permission: permission "mcp_server:conditional_greet" names action "conditional_greet", which resource "mcp_server" does not declare`,
		},
		{
			"set rule with both role and user set",
			strings.Replace(base, `{"role": "Client", "permission"`, `{"role": "Client", "user_set": "big", "permission"`, 1),
			`policy: bad.json:13:48: set_rules[0].user_set: a set rule has either "role" or "user_set", not both`,
		},
		{
			"role set rule without resource set",
			strings.Replace(base, `, "resource_set": "big"}`, `}`, 1),
			`policy: bad.json:13:17: set_rules[0]: a set rule for role "Client" without a resource set is a plain role permission: list "mcp_server:conditional-greet" in roles.Client.permissions`,
		},
		{
			"resource set used as user set",
			strings.Replace(base, `{"role": "Client", "permission"`, `{"user_set": "big", "permission"`, 1),
			`policy: bad.json:13:30: set_rules[0].user_set: condition set "big" is a resource set, not a user set`,
		},
		{
			"extends cycle",
			strings.Replace(base, `"roles": {"Client": {"permissions": ["mcp_server:greet"]}}`, `"roles": {"A": {"extends": ["B"]}, "B": {"extends": ["A"]}, "Client": {}}`, 1),
			"policy: bad.json:8:13: roles.A: roles extend each other in a cycle: \"A\" -> \"B\" -> \"A\"\n" +
				"policy: bad.json:8:38: roles.B: roles extend each other in a cycle: \"B\" -> \"A\" -> \"B\"",
		},
		{
			"extends unknown role",
			strings.Replace(base, `"roles": {"Client": {"permissions": ["mcp_server:greet"]}}`, `"roles": {"Client": {"extends": ["Admin"]}}`, 1),
			`policy: bad.json:8:36: roles.Client.extends[0]: unknown role "Admin"`,
		},
		{
			"user attribute not declared",
			"{\"user_attributes\": {\"team\": \"string\"},\n \"users\": {\"u\": {\"attributes\": {\"tem\": \"blue\"}}}}",
			`policy: bad.json:2:33: users.u.attributes.tem: attribute "tem" is not declared in user_attributes`,
		},
		{
			"user attribute type mismatch",
			"{\"user_attributes\": {\"level\": \"number\"},\n \"users\": {\"u\": {\"attributes\": {\"level\": \"3\"}}}}",
			`policy: bad.json:2:42: users.u.attributes.level: type mismatch: the attribute is declared as number, got a string`,
		},
		{
			"parent cycle",
			"{\"resources\": {\"r\": {\"actions\": [\"a\"]}},\n \"condition_sets\": {\n  \"s\": {\"type\": \"resourceset\", \"resource\": \"r\", \"parent\": \"s\", \"conditions\": {\"resource.x\": {\"exists\": true}}}}}",
			`policy: bad.json:3:59: condition_sets.s.parent: condition set "s" is its own ancestor`,
		},
		{
			"several problems, in file order",
			"{\n  \"roles\": {\"R\": {\"permissions\": [\"x:y\"]}},\n  \"users\": {\"u\": {\"roles\": [\"S\"]}},\n  \"extra\": 1\n}",
			"policy: bad.json:2:35: roles.R.permissions[0]: permission \"x:y\" names undeclared resource \"x\"\n" +
				"policy: bad.json:3:29: users.u.roles[0]: unknown role \"S\"\n" +
				"policy: bad.json:4:3: unknown field \"extra\"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse("bad.json", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error %q", p.Stats(), tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\ngot  %s\nwant %s", got, tt.want)
			}
			var pe *policy.Error
			if !errors.As(err, &pe) || pe.File != "bad.json" || pe.Line == 0 || pe.Column == 0 {
				t.Errorf("errors.As(*policy.Error): got %+v", pe)
			}
		})
	}
}

func TestTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"users": {`)
	for i := range 30 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"u` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `": {"roles": ["Nope"]}`)
	}
	b.WriteString(`}}`)
	_, err := policy.Parse("many.json", []byte(b.String()))
	if err == nil {
		t.Fatal("Parse succeeded, want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 {
		t.Fatalf("got %d lines, want 20 problems and one \"too many errors\"", len(lines))
	}
	if !strings.HasSuffix(lines[20], ": too many errors") {
		t.Errorf("last line: got %q, want it to end in \": too many errors\"", lines[20])
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, policy.DemoJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(good)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.Name() != good {
		t.Errorf("Name: got %q, want %q", p.Name(), good)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"roles\": []\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = policy.Load(bad)
	if want := "policy: " + bad + ":2:12: roles: want an object, got an array"; err == nil || err.Error() != want {
		t.Errorf("Load(bad): got %v, want %s", err, want)
	}
	_, err = policy.Load(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "policy: ") {
		t.Errorf("Load(missing): got %v, want a \"policy: \" error wrapping os.ErrNotExist", err)
	}
}

func TestBrokenDefinitionsReportedOnce(t *testing.T) {
	src := "{\n  \"roles\": {\"R\": []},\n  \"users\": {\"u\": {\"roles\": [\"R\"]}}\n}"
	_, err := policy.Parse("bad.json", []byte(src))
	want := `policy: bad.json:2:18: roles.R: want an object, got an array`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want only %s", err, want)
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"too deep", `{"description": ` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, `policy: deep.json:1:272: document nested deeper than 256 levels`},
		{"byte order mark", "\xEF\xBB\xBF{}", ""},
		{"control character in string", "{\"description\": \"a\tb\"}", `policy: deep.json:1:19: control character '\t' in string`},
		{"leading zero", `{"argument_prefix": 01}`, `policy: deep.json:1:21: invalid number, leading zero`},
		{"bad literal", `{"argument_prefix": nul}`, `policy: deep.json:1:21: invalid literal, want null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse("deep.json", []byte(tt.src))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
