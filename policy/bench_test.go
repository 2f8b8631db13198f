// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// generatedPolicy builds a policy with 1,000 set rules over 500 tool
// actions, 50 roles (500 role permissions), 150 condition sets and 1,000
// users holding roles in two tenants. Every tool has two set rules: one for
// a role, one for a user set, each on a resource set of two conditions.
func generatedPolicy(tb testing.TB) *policy.Policy {
	tb.Helper()
	var b strings.Builder
	tool := func(i int) string { return fmt.Sprintf("tool-%03d", i) }
	b.WriteString(`{"resources": {"mcp_server": {"actions": [`)
	for i := range 500 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", tool(i))
	}
	b.WriteString(`], "attributes": {"tool_name": "string", "mcp_method": "string", "arg_n": "number", "arg_s": "string"}},
  "mcp_server_tools": {"actions": ["list"]}},
"user_attributes": {"dept": "string"},
"roles": {`)
	for r := range 50 {
		if r > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `"role-%02d": {"permissions": ["mcp_server_tools:list"`, r)
		for t := 10 * r; t < 10*r+10; t++ {
			fmt.Fprintf(&b, `, "mcp_server:%s"`, tool(t))
		}
		b.WriteString("]}")
	}
	b.WriteString("},\n\"users\": {")
	for u := range 1000 {
		if u > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `"user-%04d": {"attributes": {"dept": "d%d"}, "roles": ["role-%02d", {"role": "role-%02d", "tenant": "t1"}]}`, u, u%50, u%50, (u+1)%50)
	}
	b.WriteString("},\n\"condition_sets\": {")
	for k := range 100 {
		if k > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `"rs-%d": {"type": "resourceset", "resource": "mcp_server", "conditions": {"allOf": [{"resource.arg_n": {"greater-than": %d}}, {"resource.arg_s": {"starts-with": "p%d"}}]}}`, k, k, k%10)
	}
	for k := range 50 {
		fmt.Fprintf(&b, `,
"us-%d": {"type": "userset", "conditions": {"anyOf": [{"user.dept": {"equals": "d%d"}}, {"user.key": {"equals": "root"}}]}}`, k, k)
	}
	b.WriteString("},\n\"set_rules\": [")
	for r := range 1000 {
		if r > 0 {
			b.WriteString(",\n")
		}
		if r%2 == 0 {
			fmt.Fprintf(&b, `{"role": "role-%02d", "permission": "mcp_server:%s", "resource_set": "rs-%d"}`, r%50, tool(r%500), r%100)
		} else {
			fmt.Fprintf(&b, `{"user_set": "us-%d", "permission": "mcp_server:%s", "resource_set": "rs-%d"}`, r%50, tool(r%500), r%100)
		}
	}
	b.WriteString("]}")
	p, err := policy.Parse("generated.json", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	if s := p.Stats(); s.SetRules != 1000 || s.Users != 1000 || s.Permissions != 501 {
		tb.Fatalf("generated policy: %+v", s)
	}
	return p
}

func benchCall(user, tool string, n int, s string) mcpauth.Check {
	return mcpauth.Check{
		User:   mcpauth.User{Key: user},
		Action: tool,
		Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{
			"tool_name": tool, "mcp_method": "tools/call",
			"arg_n": json.Number(fmt.Sprint(n)), "arg_s": s,
		}},
	}
}

func TestGeneratedPolicyDecisions(t *testing.T) {
	p := generatedPolicy(t)
	tests := []struct {
		name  string
		check mcpauth.Check
		want  bool
	}{
		{"role grants", benchCall("user-0000", "tool-005", 0, ""), true},
		{"role set rule", benchCall("user-0000", "tool-100", 5, "p0x"), true},
		{"role set rule, condition false", benchCall("user-0000", "tool-100", 0, "p0x"), false},
		{"user set rule", benchCall("user-0001", "tool-101", 5, "p1x"), true},
		{"no rule matches", benchCall("user-0000", "tool-101", 5, "p1x"), false},
		{"tenant t1 role", func() mcpauth.Check {
			c := benchCall("user-0000", "tool-015", 0, "")
			c.Resource.Tenant = "t1"
			return c
		}(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allowed(t, p, tt.check); got != tt.want {
				t.Errorf("got %v, want %v\n%s", got, tt.want, p.Explain(tt.check))
			}
		})
	}
}

// BenchmarkAllowed is one check against the generated 1,000-rule policy:
// allowed by a role, allowed by a set rule, and denied after evaluating
// every set rule for the permission.
func BenchmarkAllowed(b *testing.B) {
	p := generatedPolicy(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		check mcpauth.Check
		want  bool
	}{
		{"role", benchCall("user-0000", "tool-005", 0, ""), true},
		{"set-rule", benchCall("user-0000", "tool-100", 5, "p0x"), true},
		{"deny", benchCall("user-0000", "tool-101", 5, "p1x"), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ok, err := p.Allowed(ctx, bc.check)
				if err != nil || ok != bc.want {
					b.Fatalf("got (%v, %v), want %v", ok, err, bc.want)
				}
			}
		})
	}
}

// BenchmarkAllowedBulk500 is the list-time filtering of a 500-tool
// tools/list against the generated policy: one bulk call with one
// argument-less check per tool.
func BenchmarkAllowedBulk500(b *testing.B) {
	p := generatedPolicy(b)
	ctx := context.Background()
	checks := make([]mcpauth.Check, 500)
	for i := range checks {
		name := fmt.Sprintf("tool-%03d", i)
		checks[i] = mcpauth.Check{
			User:     mcpauth.User{Key: "user-0000"},
			Action:   name,
			Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{"tool_name": name, "mcp_method": "tools/list"}},
		}
	}
	res, err := p.AllowedBulk(ctx, checks)
	if err != nil {
		b.Fatal(err)
	}
	listed := 0
	for _, ok := range res {
		if ok {
			listed++
		}
	}
	// user-0000 holds role-00: tools 0-9 by role, plus every tool whose
	// role set rule names role-00 (r%50 == 0, even r) or whose user set
	// rule names us-0 (r%50 == 0, odd r: none), each satisfiable at list
	// time: tools 0, 50, 100, ..., 450.
	if listed != 19 {
		b.Fatalf("listed %d tools, want 19", listed)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.AllowedBulk(ctx, checks); err != nil {
			b.Fatal(err)
		}
	}
}
