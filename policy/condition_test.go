// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// resourceSetPolicy returns a policy in which user "u" (role R) may do
// "r:a" only on resources matching cond, and nobody else may do anything.
func resourceSetPolicy(t *testing.T, cond string) *policy.Policy {
	t.Helper()
	src := fmt.Sprintf(`{
  "resources": {"r": {"actions": ["a"]}},
  "roles": {"R": {"permissions": []}},
  "users": {"u": {"roles": ["R"]}},
  "condition_sets": {"s": {"type": "resourceset", "resource": "r", "conditions": %s}},
  "set_rules": [{"role": "R", "permission": "r:a", "resource_set": "s"}]
}`, cond)
	p, err := policy.Parse("test.json", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// userSetPolicy returns a policy in which users matching cond may do "r:a"
// on every resource of type r. User "stored" has stored attributes.
func userSetPolicy(t *testing.T, cond string) *policy.Policy {
	t.Helper()
	src := fmt.Sprintf(`{
  "resources": {"r": {"actions": ["a"]}},
  "users": {"stored": {"attributes": {"team": "blue", "level": 3}}},
  "condition_sets": {"s": {"type": "userset", "conditions": %s}},
  "set_rules": [{"user_set": "s", "permission": "r:a"}]
}`, cond)
	p, err := policy.Parse("test.json", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func allowed(t *testing.T, p *policy.Policy, c mcpauth.Check) bool {
	t.Helper()
	got, err := p.Allowed(context.Background(), c)
	if err != nil {
		t.Fatalf("Allowed: %v", err)
	}
	if ex := p.Explain(c); ex.Allowed != got {
		t.Fatalf("Explain().Allowed = %v, Allowed = %v", ex.Allowed, got)
	}
	return got
}

func resourceCheck(attrs map[string]any) mcpauth.Check {
	return mcpauth.Check{User: mcpauth.User{Key: "u"}, Action: "a", Resource: mcpauth.Resource{Type: "r", Attributes: attrs}}
}

func TestOperators(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name  string
		cond  string
		attrs map[string]any
		want  bool
	}{
		// equals
		{"equals string", `{"resource.x": {"equals": "a"}}`, map[string]any{"x": "a"}, true},
		{"equals string other", `{"resource.x": {"equals": "a"}}`, map[string]any{"x": "b"}, false},
		{"equals is case-sensitive", `{"resource.x": {"equals": "a"}}`, map[string]any{"x": "A"}, false},
		{"equals json.Number", `{"resource.x": {"equals": 12}}`, map[string]any{"x": n("12")}, true},
		{"equals json.Number exponent", `{"resource.x": {"equals": 12}}`, map[string]any{"x": n("1.2e1")}, true},
		{"equals float64", `{"resource.x": {"equals": 12}}`, map[string]any{"x": 12.0}, true},
		{"equals int", `{"resource.x": {"equals": 12}}`, map[string]any{"x": 12}, true},
		{"equals int64 fractional operand", `{"resource.x": {"equals": 12.5}}`, map[string]any{"x": int64(12)}, false},
		{"equals float operand", `{"resource.x": {"equals": 12.5}}`, map[string]any{"x": n("12.50")}, true},
		{"equals number vs digit string", `{"resource.x": {"equals": 12}}`, map[string]any{"x": "12"}, false},
		{"equals digit string vs number", `{"resource.x": {"equals": "12"}}`, map[string]any{"x": n("12")}, false},
		{"equals bool", `{"resource.x": {"equals": true}}`, map[string]any{"x": true}, true},
		{"equals bool vs 1", `{"resource.x": {"equals": true}}`, map[string]any{"x": 1}, false},
		{"equals missing", `{"resource.x": {"equals": "a"}}`, map[string]any{}, false},
		{"equals null", `{"resource.x": {"equals": "a"}}`, map[string]any{"x": nil}, false},
		{"equals large ints exact", `{"resource.x": {"equals": 9007199254740993}}`, map[string]any{"x": int64(9007199254740992)}, false},
		// not-equals
		{"not-equals different", `{"resource.x": {"not-equals": "a"}}`, map[string]any{"x": "b"}, true},
		{"not-equals same", `{"resource.x": {"not-equals": "a"}}`, map[string]any{"x": "a"}, false},
		{"not-equals numbers", `{"resource.x": {"not-equals": 3}}`, map[string]any{"x": n("3.0")}, false},
		{"not-equals type mismatch", `{"resource.x": {"not-equals": 3}}`, map[string]any{"x": "4"}, false},
		{"not-equals missing", `{"resource.x": {"not-equals": "a"}}`, map[string]any{}, false},
		// ordering
		{"greater-than above", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": n("12")}, true},
		{"greater-than equal", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": n("10")}, false},
		{"greater-than below", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": n("5")}, false},
		{"greater-than fraction", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": 10.0001}, true},
		{"greater-than fractional operand", `{"resource.x": {"greater-than": 10.5}}`, map[string]any{"x": 11}, true},
		{"greater-than negative", `{"resource.x": {"greater-than": -1}}`, map[string]any{"x": n("-0.5")}, true},
		{"greater-than uint64 beyond int64", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": uint64(math.MaxUint64)}, true},
		{"greater-than digit string", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": "12"}, false},
		{"greater-than NaN", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": math.NaN()}, false},
		{"greater-than bad json.Number", `{"resource.x": {"greater-than": 10}}`, map[string]any{"x": n("1e400")}, false},
		{"greater-than-equals equal", `{"resource.x": {"greater-than-equals": 10}}`, map[string]any{"x": n("10")}, true},
		{"greater-than-equals below", `{"resource.x": {"greater-than-equals": 10}}`, map[string]any{"x": float32(9.5)}, false},
		{"less-than below", `{"resource.x": {"less-than": 10}}`, map[string]any{"x": int8(-3)}, true},
		{"less-than equal", `{"resource.x": {"less-than": 10}}`, map[string]any{"x": uint8(10)}, false},
		{"less-than-equals equal", `{"resource.x": {"less-than-equals": 10}}`, map[string]any{"x": int32(10)}, true},
		{"less-than-equals above", `{"resource.x": {"less-than-equals": 10}}`, map[string]any{"x": uint(11)}, false},
		// strings
		{"contains", `{"resource.x": {"contains": "ell"}}`, map[string]any{"x": "hello"}, true},
		{"contains absent", `{"resource.x": {"contains": "xyz"}}`, map[string]any{"x": "hello"}, false},
		{"contains on array", `{"resource.x": {"contains": "a"}}`, map[string]any{"x": []any{"a"}}, false},
		{"starts-with", `{"resource.x": {"starts-with": "file:///pub/"}}`, map[string]any{"x": "file:///pub/a.txt"}, true},
		{"starts-with no", `{"resource.x": {"starts-with": "file:///pub/"}}`, map[string]any{"x": "file:///etc/passwd"}, false},
		{"starts-with number", `{"resource.x": {"starts-with": "1"}}`, map[string]any{"x": 12}, false},
		// in
		{"in strings", `{"resource.x": {"in": ["a", "b"]}}`, map[string]any{"x": "b"}, true},
		{"in strings miss", `{"resource.x": {"in": ["a", "b"]}}`, map[string]any{"x": "c"}, false},
		{"in numbers", `{"resource.x": {"in": [1, 2]}}`, map[string]any{"x": n("2")}, true},
		{"in numbers vs string", `{"resource.x": {"in": [1, 2]}}`, map[string]any{"x": "2"}, false},
		{"in missing", `{"resource.x": {"in": ["a"]}}`, nil, false},
		// arrays
		{"array_contains any slice", `{"resource.x": {"array_contains": "a"}}`, map[string]any{"x": []any{"b", "a"}}, true},
		{"array_contains string slice", `{"resource.x": {"array_contains": "a"}}`, map[string]any{"x": []string{"a"}}, true},
		{"array_contains int slice", `{"resource.x": {"array_contains": 2}}`, map[string]any{"x": []int{1, 2}}, true},
		{"array_contains miss", `{"resource.x": {"array_contains": "c"}}`, map[string]any{"x": []any{"a", "b"}}, false},
		{"array_contains on string", `{"resource.x": {"array_contains": "a"}}`, map[string]any{"x": "a"}, false},
		{"array_subset yes", `{"resource.x": {"array_subset": ["a", "b", "c"]}}`, map[string]any{"x": []any{"a", "b"}}, true},
		{"array_subset no", `{"resource.x": {"array_subset": ["a", "b"]}}`, map[string]any{"x": []any{"a", "c"}}, false},
		{"array_subset empty", `{"resource.x": {"array_subset": ["a"]}}`, map[string]any{"x": []any{}}, true},
		{"array_subset on scalar", `{"resource.x": {"array_subset": ["a"]}}`, map[string]any{"x": "a"}, false},
		{"array_superset yes", `{"resource.x": {"array_superset": ["a", "b"]}}`, map[string]any{"x": []any{"c", "b", "a"}}, true},
		{"array_superset no", `{"resource.x": {"array_superset": ["a", "b"]}}`, map[string]any{"x": []any{"a"}}, false},
		{"array_superset on scalar", `{"resource.x": {"array_superset": ["a"]}}`, map[string]any{"x": "a"}, false},
		{"array_intersect yes", `{"resource.x": {"array_intersect": ["c", "d"]}}`, map[string]any{"x": []string{"a", "d"}}, true},
		{"array_intersect no", `{"resource.x": {"array_intersect": ["c", "d"]}}`, map[string]any{"x": []string{"a", "b"}}, false},
		// exists
		{"exists true present", `{"resource.x": {"exists": true}}`, map[string]any{"x": 0}, true},
		{"exists true missing", `{"resource.x": {"exists": true}}`, map[string]any{}, false},
		{"exists true null", `{"resource.x": {"exists": true}}`, map[string]any{"x": nil}, false},
		{"exists false missing", `{"resource.x": {"exists": false}}`, map[string]any{}, true},
		{"exists false null", `{"resource.x": {"exists": false}}`, map[string]any{"x": nil}, true},
		{"exists false present", `{"resource.x": {"exists": false}}`, map[string]any{"x": ""}, false},
		// logic
		{"allOf both", `{"allOf": [{"resource.x": {"equals": 1}}, {"resource.y": {"equals": 2}}]}`, map[string]any{"x": 1, "y": 2}, true},
		{"allOf one", `{"allOf": [{"resource.x": {"equals": 1}}, {"resource.y": {"equals": 2}}]}`, map[string]any{"x": 1, "y": 3}, false},
		{"anyOf one", `{"anyOf": [{"resource.x": {"equals": 1}}, {"resource.y": {"equals": 2}}]}`, map[string]any{"x": 0, "y": 2}, true},
		{"anyOf none", `{"anyOf": [{"resource.x": {"equals": 1}}, {"resource.y": {"equals": 2}}]}`, map[string]any{"x": 0, "y": 0}, false},
		{"not true", `{"not": {"resource.x": {"equals": 1}}}`, map[string]any{"x": 1}, false},
		{"not false", `{"not": {"resource.x": {"equals": 1}}}`, map[string]any{"x": 2}, true},
		{"not missing", `{"not": {"resource.x": {"equals": 1}}}`, map[string]any{}, true},
		{"anyOf of allOf", `{"anyOf": [{"allOf": [{"resource.x": {"equals": 1}}, {"resource.y": {"equals": 1}}]}, {"resource.z": {"equals": 1}}]}`, map[string]any{"x": 1, "y": 0, "z": 1}, true},
		{"allOf of anyOf", `{"allOf": [{"anyOf": [{"resource.x": {"equals": 1}}, {"resource.y": {"equals": 1}}]}, {"resource.z": {"equals": 1}}]}`, map[string]any{"x": 0, "y": 1, "z": 0}, false},
		{"not of anyOf", `{"not": {"anyOf": [{"resource.x": {"equals": 1}}, {"resource.y": {"equals": 1}}]}}`, map[string]any{"x": 0, "y": 0}, true},
		// paths and built-ins
		{"dotted path", `{"resource.obj.inner": {"equals": "v"}}`, map[string]any{"obj": map[string]any{"inner": "v"}}, true},
		{"dotted name literal first", `{"resource.a.b": {"equals": "lit"}}`, map[string]any{"a.b": "lit", "a": map[string]any{"b": "nested"}}, true},
		{"dotted path through scalar", `{"resource.a.b": {"equals": "v"}}`, map[string]any{"a": "v"}, false},
		{"resource.type", `{"resource.type": {"equals": "r"}}`, nil, true},
		{"resource.key empty", `{"resource.key": {"equals": ""}}`, nil, true},
		{"resource.tenant default", `{"resource.tenant": {"equals": "default"}}`, nil, true},
		{"built-in wins over attribute", `{"resource.type": {"equals": "r"}}`, map[string]any{"type": "other"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := resourceSetPolicy(t, tt.cond)
			if got := allowed(t, p, resourceCheck(tt.attrs)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUserConditions(t *testing.T) {
	tests := []struct {
		name string
		cond string
		user mcpauth.User
		want bool
	}{
		{"check attribute", `{"user.team": {"equals": "red"}}`, mcpauth.User{Key: "x", Attributes: map[string]any{"team": "red"}}, true},
		{"stored attribute", `{"user.team": {"equals": "blue"}}`, mcpauth.User{Key: "stored"}, true},
		{"check attribute overrides stored", `{"user.team": {"equals": "blue"}}`, mcpauth.User{Key: "stored", Attributes: map[string]any{"team": "red"}}, false},
		{"stored number", `{"user.level": {"greater-than-equals": 3}}`, mcpauth.User{Key: "stored"}, true},
		{"stored attributes are per user", `{"user.team": {"equals": "blue"}}`, mcpauth.User{Key: "other"}, false},
		{"jwt claim", `{"user.jwt.email": {"contains": "@example.com"}}`, mcpauth.User{Key: "x", Attributes: map[string]any{"jwt": map[string]any{"email": "a@example.com"}}}, true},
		{"jwt array claim", `{"user.jwt.groups": {"array_contains": "ops"}}`, mcpauth.User{Key: "x", Attributes: map[string]any{"jwt": map[string]any{"groups": []any{"dev", "ops"}}}}, true},
		{"user.key", `{"user.key": {"starts-with": "svc-"}}`, mcpauth.User{Key: "svc-backup"}, true},
		{"user.key other", `{"user.key": {"starts-with": "svc-"}}`, mcpauth.User{Key: "alice"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := userSetPolicy(t, tt.cond)
			c := mcpauth.Check{User: tt.user, Action: "a", Resource: mcpauth.Resource{Type: "r"}}
			if got := allowed(t, p, c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListTime(t *testing.T) {
	list := func(attrs map[string]any) map[string]any {
		attrs["mcp_method"] = mcpauth.MethodToolsList
		return attrs
	}
	tests := []struct {
		name  string
		cond  string
		attrs map[string]any
		want  bool
	}{
		{"argument condition at list time", `{"resource.arg_n": {"greater-than": 10}}`, list(map[string]any{}), true},
		{"argument condition at call time", `{"resource.arg_n": {"greater-than": 10}}`, map[string]any{"mcp_method": "tools/call"}, false},
		{"argument condition at call time satisfied", `{"resource.arg_n": {"greater-than": 10}}`, map[string]any{"mcp_method": "tools/call", "arg_n": 11}, true},
		{"non-argument condition at list time is real", `{"resource.tool_name": {"equals": "x"}}`, list(map[string]any{"tool_name": "y"}), false},
		{"non-argument condition at list time true", `{"resource.tool_name": {"equals": "x"}}`, list(map[string]any{"tool_name": "x"}), true},
		{"allOf argument and false", `{"allOf": [{"resource.arg_n": {"equals": 1}}, {"resource.tool_name": {"equals": "x"}}]}`, list(map[string]any{"tool_name": "y"}), false},
		{"allOf argument and true", `{"allOf": [{"resource.arg_n": {"equals": 1}}, {"resource.tool_name": {"equals": "x"}}]}`, list(map[string]any{"tool_name": "x"}), true},
		{"anyOf argument or false", `{"anyOf": [{"resource.arg_n": {"equals": 1}}, {"resource.tool_name": {"equals": "x"}}]}`, list(map[string]any{"tool_name": "y"}), true},
		{"not argument", `{"not": {"resource.arg_n": {"equals": 1}}}`, list(map[string]any{}), true},
		{"contradiction still listed", `{"allOf": [{"resource.arg_n": {"greater-than": 10}}, {"resource.arg_n": {"less-than": 5}}]}`, list(map[string]any{}), true},
		{"not of false non-argument", `{"not": {"anyOf": [{"resource.arg_n": {"equals": 1}}, {"resource.tool_name": {"equals": "y"}}]}}`, list(map[string]any{"tool_name": "y"}), false},
		{"nested arguments attribute", `{"resource.arguments.n": {"equals": 1}}`, list(map[string]any{}), true},
		{"prompts/list", `{"resource.arg_n": {"equals": 1}}`, map[string]any{"mcp_method": "prompts/list"}, true},
		{"resources/list", `{"resource.arg_n": {"equals": 1}}`, map[string]any{"mcp_method": "resources/list"}, true},
		{"resources/templates/list", `{"resource.arg_n": {"equals": 1}}`, map[string]any{"mcp_method": "resources/templates/list"}, true},
		{"other method", `{"resource.arg_n": {"equals": 1}}`, map[string]any{"mcp_method": "prompts/get"}, false},
		{"mcp_method not a string", `{"resource.arg_n": {"equals": 1}}`, map[string]any{"mcp_method": 1}, false},
		{"supplied argument ignored at list time", `{"resource.arg_n": {"equals": 1}}`, list(map[string]any{"arg_n": 2}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := resourceSetPolicy(t, tt.cond)
			if got := allowed(t, p, resourceCheck(tt.attrs)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListTimeArgumentPrefix(t *testing.T) {
	src := `{
  "argument_prefix": "p_",
  "resources": {"r": {"actions": ["a"]}},
  "condition_sets": {
    "s": {"type": "resourceset", "resource": "r", "conditions": {"resource.p_n": {"equals": 1}}},
    "old": {"type": "resourceset", "resource": "r", "conditions": {"resource.arg_n": {"equals": 1}}}
  },
  "users": {"u": {"roles": ["R"]}, "v": {"roles": ["V"]}},
  "roles": {"R": {}, "V": {}},
  "set_rules": [
    {"role": "R", "permission": "r:a", "resource_set": "s"},
    {"role": "V", "permission": "r:a", "resource_set": "old"}
  ]
}`
	p, err := policy.Parse("prefix.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	listCheck := func(user string) mcpauth.Check {
		return mcpauth.Check{User: mcpauth.User{Key: user}, Action: "a", Resource: mcpauth.Resource{Type: "r", Attributes: map[string]any{"mcp_method": "tools/list"}}}
	}
	if !allowed(t, p, listCheck("u")) {
		t.Errorf("p_n condition at list time: got denied, want allowed")
	}
	if allowed(t, p, listCheck("v")) {
		t.Errorf("arg_n condition with prefix p_: got allowed, want denied (arg_n is not call-supplied)")
	}
}
