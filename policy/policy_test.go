// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// toolCall builds the check the middleware sends for tools/call.
func toolCall(user, tool string, args map[string]any) mcpauth.Check {
	attrs := map[string]any{"tool_name": tool, "mcp_method": mcpauth.MethodToolsCall}
	for k, v := range args {
		attrs["arg_"+k] = v
	}
	return mcpauth.Check{User: mcpauth.User{Key: user}, Action: tool, Resource: mcpauth.Resource{Type: "mcp_server", Attributes: attrs}}
}

// toolListItem builds the list-time check of one tool in tools/list.
func toolListItem(user, tool string) mcpauth.Check {
	return mcpauth.Check{User: mcpauth.User{Key: user}, Action: tool, Resource: mcpauth.Resource{
		Type:       "mcp_server",
		Attributes: map[string]any{"tool_name": tool, "mcp_method": mcpauth.MethodToolsList},
	}}
}

func toolsList(user string) mcpauth.Check {
	return mcpauth.Check{User: mcpauth.User{Key: user}, Action: "list", Resource: mcpauth.Resource{
		Type:       "mcp_server_tools",
		Attributes: map[string]any{"mcp_method": mcpauth.MethodToolsList},
	}}
}

func TestDemo(t *testing.T) {
	num := func(n string) map[string]any { return map[string]any{"name": "Ada", "number": json.Number(n)} }
	tests := []struct {
		name      string
		check     mcpauth.Check
		want      bool
		decidedBy string
	}{
		{"admin greet", toolCall("admin", "greet", map[string]any{"name": "Ada"}), true, `role "Admin" grants mcp_server:greet in tenant "default"`},
		{"admin greet-jwt", toolCall("admin", "greet-jwt", nil), true, `role "Admin" grants mcp_server:greet-jwt in tenant "default"`},
		{"admin login", toolCall("admin", "login", nil), true, `role "Admin" grants mcp_server:login in tenant "default"`},
		{"admin conditional-greet 5", toolCall("admin", "conditional-greet", num("5")), true, `role "Admin" grants mcp_server:conditional-greet in tenant "default"`},
		{"admin conditional-greet 12", toolCall("admin", "conditional-greet", num("12")), true, `role "Admin" grants mcp_server:conditional-greet in tenant "default"`},
		{"admin tools/list", toolsList("admin"), true, `role "Admin" grants mcp_server_tools:list in tenant "default"`},
		{"client greet", toolCall("client", "greet", map[string]any{"name": "Ada"}), true, `role "Client" grants mcp_server:greet in tenant "default"`},
		{"client greet-jwt", toolCall("client", "greet-jwt", nil), false, ""},
		{"client login", toolCall("client", "login", nil), true, `role "Client" grants mcp_server:login in tenant "default"`},
		{"client conditional-greet 5", toolCall("client", "conditional-greet", num("5")), false, ""},
		{"client conditional-greet 10", toolCall("client", "conditional-greet", num("10")), false, ""},
		{"client conditional-greet 12", toolCall("client", "conditional-greet", num("12")), true, `set rule 0: role "Client" may mcp_server:conditional-greet on resource set "conditional_greet_over_10"`},
		{"client conditional-greet no number", toolCall("client", "conditional-greet", nil), false, ""},
		{"client conditional-greet string number", toolCall("client", "conditional-greet", map[string]any{"number": "12"}), false, ""},
		{"client tools/list", toolsList("client"), true, `role "Client" grants mcp_server_tools:list in tenant "default"`},
		{"client lists conditional-greet", toolListItem("client", "conditional-greet"), true, `set rule 0: role "Client" may mcp_server:conditional-greet on resource set "conditional_greet_over_10" (satisfiable at list time)`},
		{"client lists greet", toolListItem("client", "greet"), true, `role "Client" grants mcp_server:greet in tenant "default"`},
		{"client does not list greet-jwt", toolListItem("client", "greet-jwt"), false, ""},
		{"admin lists greet-jwt", toolListItem("admin", "greet-jwt"), true, `role "Admin" grants mcp_server:greet-jwt in tenant "default"`},
		{"unknown login", toolCall("unknown", "login", nil), true, `role "Guest" grants mcp_server:login in tenant "default"`},
		{"unknown greet", toolCall("unknown", "greet", nil), false, ""},
		{"stranger greet", toolCall("mallory", "greet", nil), false, ""},
		{"stranger lists conditional-greet", toolListItem("mallory", "conditional-greet"), false, ""},
		{"admin in another tenant", func() mcpauth.Check { c := toolCall("admin", "greet", nil); c.Resource.Tenant = "acme"; return c }(), false, ""},
		{"undeclared tool", toolCall("admin", "delete-everything", nil), false, ""},
		{"undeclared resource type", mcpauth.Check{User: mcpauth.User{Key: "admin"}, Action: "read", Resource: mcpauth.Resource{Type: "mcp_server_resources", Key: "file:///x"}}, false, ""},
	}
	p := policy.Demo()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allowed(t, p, tt.check)
			if got != tt.want {
				t.Errorf("Allowed: got %v, want %v\n%s", got, tt.want, p.Explain(tt.check))
			}
			if ex := p.Explain(tt.check); ex.DecidedBy != tt.decidedBy {
				t.Errorf("DecidedBy: got %q, want %q", ex.DecidedBy, tt.decidedBy)
			}
		})
	}
}

func TestDemoBulk(t *testing.T) {
	p := policy.Demo()
	checks := []mcpauth.Check{
		toolListItem("client", "greet"),
		toolListItem("client", "greet-jwt"),
		toolListItem("client", "login"),
		toolListItem("client", "conditional-greet"),
	}
	got, err := p.AllowedBulk(context.Background(), checks)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{true, false, true, true}, got); diff != "" {
		t.Errorf("AllowedBulk (-want +got):\n%s", diff)
	}
}

func TestCanceledContext(t *testing.T) {
	p := policy.Demo()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := p.Allowed(ctx, toolCall("admin", "greet", nil)); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Allowed: got (%v, %v), want (false, context.Canceled)", ok, err)
	}
	if res, err := p.AllowedBulk(ctx, []mcpauth.Check{toolCall("admin", "greet", nil)}); res != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("AllowedBulk: got (%v, %v), want (nil, context.Canceled)", res, err)
	}
}

const tenantPolicy = `{
  "resources": {
    "doc": {"actions": ["read", "write", "delete"], "attributes": {"owner": "string", "public": "bool"}},
    "mcp_server_resources": {"actions": ["read"]}
  },
  "roles": {
    "Reader": {"permissions": ["doc:read"]},
    "Writer": {"permissions": ["doc:write"], "extends": ["Reader"]},
    "Owner":  {"permissions": ["doc:delete"], "extends": ["Writer"]},
    "FileReader": {"permissions": ["mcp_server_resources:read"]}
  },
  "users": {
    "alice": {"roles": [
      {"role": "Writer", "tenant": "acme"},
      "Reader",
      {"role": "FileReader", "resource_instance": "mcp_server_resources:file:///pub/readme.md"},
      {"role": "FileReader", "tenant": "acme", "resource_instance": "mcp_server_resources:file:///acme/plan.md"}
    ]},
    "bob": {"attributes": {"department": "legal"}, "roles": [{"role": "Owner", "tenant": "globex"}]},
    "carol": {"roles": [{"role": "Reader", "tenant": "acme"}]}
  },
  "condition_sets": {
    "public_docs": {"type": "resourceset", "resource": "doc", "conditions": {"resource.public": {"equals": true}}},
    "own_docs": {"type": "resourceset", "resource": "doc", "conditions": {"resource.owner": {"exists": true}}},
    "own_public_docs": {"type": "resourceset", "resource": "doc", "parent": "public_docs", "conditions": {"resource.owner": {"equals": "carol"}}},
    "legal": {"type": "userset", "conditions": {"user.department": {"equals": "legal"}}},
    "pub_files": {"type": "resourceset", "resource": "mcp_server_resources", "conditions": {"resource.key": {"starts-with": "file:///pub/"}}}
  },
  "set_rules": [
    {"user_set": "legal", "permission": "doc:read"},
    {"role": "Reader", "permission": "doc:write", "resource_set": "own_public_docs"},
    {"role": "Reader", "permission": "mcp_server_resources:read", "resource_set": "pub_files"}
  ]
}`

func TestTenantsRolesAndInstances(t *testing.T) {
	p, err := policy.Parse("tenants.json", []byte(tenantPolicy))
	if err != nil {
		t.Fatal(err)
	}
	doc := func(user, action, tenant string, attrs map[string]any) mcpauth.Check {
		return mcpauth.Check{User: mcpauth.User{Key: user}, Action: action, Resource: mcpauth.Resource{Type: "doc", Tenant: tenant, Attributes: attrs}}
	}
	file := func(user, uri, tenant string) mcpauth.Check {
		return mcpauth.Check{User: mcpauth.User{Key: user}, Action: "read", Resource: mcpauth.Resource{Type: "mcp_server_resources", Key: uri, Tenant: tenant}}
	}
	tests := []struct {
		name  string
		check mcpauth.Check
		want  bool
	}{
		{"alice reads in default", doc("alice", "read", "", nil), true},
		{"alice reads in default, named", doc("alice", "read", "default", nil), true},
		{"alice cannot write in default", doc("alice", "write", "", nil), false},
		{"alice writes in acme", doc("alice", "write", "acme", nil), true},
		{"alice reads in acme through Writer extends Reader", doc("alice", "read", "acme", nil), true},
		{"alice cannot delete in acme", doc("alice", "delete", "acme", nil), false},
		{"alice has nothing in globex", doc("alice", "read", "globex", nil), false},
		{"bob deletes in globex", doc("bob", "delete", "globex", nil), true},
		{"bob reads in globex through two extends", doc("bob", "read", "globex", nil), true},
		{"bob reads in acme through the legal user set", doc("bob", "read", "acme", nil), true},
		{"bob cannot write in acme", doc("bob", "write", "acme", nil), false},
		{"legal by check attribute", mcpauth.Check{User: mcpauth.User{Key: "zed", Attributes: map[string]any{"department": "legal"}}, Action: "read", Resource: mcpauth.Resource{Type: "doc"}}, true},
		{"carol writes her public doc in acme", doc("carol", "write", "acme", map[string]any{"owner": "carol", "public": true}), true},
		{"carol cannot write her private doc (parent set)", doc("carol", "write", "acme", map[string]any{"owner": "carol", "public": false}), false},
		{"carol cannot write another public doc", doc("carol", "write", "acme", map[string]any{"owner": "dave", "public": true}), false},
		{"carol's role is only in acme", doc("carol", "write", "", map[string]any{"owner": "carol", "public": true}), false},
		{"alice holds Reader in default, so the set rule applies", doc("alice", "write", "default", map[string]any{"owner": "carol", "public": true}), true},
		{"bob reads a public file in globex: Owner extends Writer extends Reader", file("bob", "file:///pub/a.txt", "globex"), true},
		{"bob cannot read a private file in globex", file("bob", "file:///etc/passwd", "globex"), false},
		{"bob holds no role in default for the set rule", file("bob", "file:///pub/a.txt", ""), false},
		{"alice reads the instance", file("alice", "file:///pub/readme.md", ""), true},
		{"alice cannot read another instance", file("alice", "file:///etc/passwd", ""), false},
		{"instance role in its tenant", file("alice", "file:///acme/plan.md", "acme"), true},
		{"instance roles are per tenant", file("alice", "file:///acme/plan.md", ""), false},
		{"bob cannot read the instance", file("bob", "file:///pub/readme.md", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allowed(t, p, tt.check); got != tt.want {
				t.Errorf("got %v, want %v\n%s", got, tt.want, p.Explain(tt.check))
			}
		})
	}
}

func TestExplain(t *testing.T) {
	p := policy.Demo()
	tests := []struct {
		name  string
		check mcpauth.Check
		want  policy.Explanation
	}{
		{
			name:  "role",
			check: toolCall("admin", "greet", nil),
			want: policy.Explanation{
				Allowed: true, Permission: "mcp_server:greet", Tenant: "default", KnownUser: true,
				Roles: []string{"Admin"}, DecidedBy: `role "Admin" grants mcp_server:greet in tenant "default"`,
			},
		},
		{
			name:  "set rule allows",
			check: toolCall("client", "conditional-greet", map[string]any{"number": json.Number("12")}),
			want: policy.Explanation{
				Allowed: true, Permission: "mcp_server:conditional-greet", Tenant: "default", KnownUser: true,
				Roles:     []string{"Client"},
				DecidedBy: `set rule 0: role "Client" may mcp_server:conditional-greet on resource set "conditional_greet_over_10"`,
				Conditions: []string{
					`set rule 0: user holds role "Client": true`,
					`set rule 0: resource.arg_number greater-than 10: true (value 12)`,
				},
			},
		},
		{
			name:  "set rule denies",
			check: toolCall("client", "conditional-greet", map[string]any{"number": json.Number("5")}),
			want: policy.Explanation{
				Permission: "mcp_server:conditional-greet", Tenant: "default", KnownUser: true,
				Roles: []string{"Client"},
				Conditions: []string{
					`set rule 0: user holds role "Client": true`,
					`set rule 0: resource.arg_number greater-than 10: false (value 5)`,
				},
				Reason: `no role of user "client" in tenant "default" grants mcp_server:conditional-greet, and none of the 1 set rules for mcp_server:conditional-greet matched`,
			},
		},
		{
			name:  "list time",
			check: toolListItem("client", "conditional-greet"),
			want: policy.Explanation{
				Allowed: true, Permission: "mcp_server:conditional-greet", Tenant: "default", ListTime: true, KnownUser: true,
				Roles:     []string{"Client"},
				DecidedBy: `set rule 0: role "Client" may mcp_server:conditional-greet on resource set "conditional_greet_over_10" (satisfiable at list time)`,
				Conditions: []string{
					`set rule 0: user holds role "Client": true`,
					`set rule 0: resource.arg_number greater-than 10: unknown at list time (supplied by the call)`,
				},
			},
		},
		{
			name:  "no rule",
			check: toolCall("client", "greet-jwt", nil),
			want: policy.Explanation{
				Permission: "mcp_server:greet-jwt", Tenant: "default", KnownUser: true, Roles: []string{"Client"},
				Reason: `no role of user "client" in tenant "default" grants mcp_server:greet-jwt, and no set rule grants it`,
			},
		},
		{
			name:  "unknown user",
			check: toolCall("mallory", "greet", nil),
			want: policy.Explanation{
				Permission: "mcp_server:greet", Tenant: "default",
				Reason: `unknown user "mallory" has no roles, and no set rule grants it`,
			},
		},
		{
			name:  "undeclared action",
			check: toolCall("admin", "rm", nil),
			want: policy.Explanation{
				Permission: "mcp_server:rm", Tenant: "default", KnownUser: true, Roles: []string{"Admin"},
				Reason: `resource "mcp_server" has no action "rm"`,
			},
		},
		{
			name:  "undeclared type",
			check: mcpauth.Check{User: mcpauth.User{Key: "admin"}, Action: "list", Resource: mcpauth.Resource{Type: "mcp_server_prompts", Tenant: "t1"}},
			want: policy.Explanation{
				Permission: "mcp_server_prompts:list", Tenant: "t1", KnownUser: true,
				Reason: `resource type "mcp_server_prompts" is not declared in the policy`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.Explain(tt.check)); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExplanationString(t *testing.T) {
	got := policy.Demo().Explain(toolListItem("client", "conditional-greet")).String()
	want := `allowed: set rule 0: role "Client" may mcp_server:conditional-greet on resource set "conditional_greet_over_10" (satisfiable at list time)
list-time check: conditions on call arguments count as satisfiable
  set rule 0: user holds role "Client": true
  set rule 0: resource.arg_number greater-than 10: unknown at list time (supplied by the call)
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDemoJSONMatchesDemo(t *testing.T) {
	p, err := policy.Parse("demo.json", policy.DemoJSON())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(policy.Demo().Stats(), p.Stats()); diff != "" {
		t.Errorf("Stats (-Demo +DemoJSON):\n%s", diff)
	}
	want := policy.Stats{Resources: 2, Permissions: 5, Roles: 3, Users: 3, ConditionSets: 1, SetRules: 1}
	if diff := cmp.Diff(want, p.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestArgumentPrefix(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"default", `{}`, "arg_"},
		{"set", `{"argument_prefix": "p_"}`, "p_"},
		{"empty", `{"argument_prefix": ""}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse("p.json", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.ArgumentPrefix(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResourcesAndActions(t *testing.T) {
	p := policy.Demo()
	if got, want := p.Resources(), []string{"mcp_server", "mcp_server_tools"}; !slices.Equal(got, want) {
		t.Errorf("Resources() = %q, want %q", got, want)
	}
	if got, want := p.Actions("mcp_server"), []string{"conditional-greet", "greet", "greet-jwt", "login"}; !slices.Equal(got, want) {
		t.Errorf("Actions(mcp_server) = %q, want %q", got, want)
	}
	if got := p.Actions("nope"); got != nil {
		t.Errorf("Actions(nope) = %q, want nil", got)
	}
}
