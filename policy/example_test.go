// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// The demo policy: admin may call every tool, client may call
// conditional-greet only with a number greater than 10, and still sees it
// listed.
func ExampleDemo() {
	p := policy.Demo()
	call := func(user, tool string, number int) mcpauth.Check {
		return mcpauth.Check{
			User:   mcpauth.User{Key: user},
			Action: tool,
			Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{
				"tool_name":  tool,
				"mcp_method": "tools/call",
				"arg_number": json.Number(fmt.Sprint(number)),
			}},
		}
	}
	listed := mcpauth.Check{
		User:     mcpauth.User{Key: "client"},
		Action:   "conditional-greet",
		Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{"tool_name": "conditional-greet", "mcp_method": "tools/list"}},
	}
	ctx := context.Background()
	for _, c := range []mcpauth.Check{
		call("admin", "greet-jwt", 0),
		call("client", "greet-jwt", 0),
		call("client", "conditional-greet", 5),
		call("client", "conditional-greet", 12),
		listed,
	} {
		ok, _ := p.Allowed(ctx, c)
		fmt.Printf("%-6s %-17s %-10s number=%-4v allowed=%v\n", c.User.Key, c.Action, c.Resource.Attributes["mcp_method"], c.Resource.Attributes["arg_number"], ok)
	}
	// Output:
	// admin  greet-jwt         tools/call number=0    allowed=true
	// client greet-jwt         tools/call number=0    allowed=false
	// client conditional-greet tools/call number=5    allowed=false
	// client conditional-greet tools/call number=12   allowed=true
	// client conditional-greet tools/list number=<nil> allowed=true
}

func ExamplePolicy_Explain() {
	ex := policy.Demo().Explain(mcpauth.Check{
		User:     mcpauth.User{Key: "client"},
		Action:   "conditional-greet",
		Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{"arg_number": json.Number("5")}},
	})
	fmt.Print(ex)
	// Output:
	// denied: no role of user "client" in tenant "default" grants mcp_server:conditional-greet, and none of the 1 set rules for mcp_server:conditional-greet matched
	//   set rule 0: user holds role "Client": true
	//   set rule 0: resource.arg_number greater-than 10: false (value 5)
}

func ExampleParse() {
	_, err := policy.Parse("policy.json", []byte(`{
  "resources": {"mcp_server": {"actions": ["greet"]}},
  "roles": {"Client": {"permissions": ["mcp_server:gret"]}}
}`))
	fmt.Println(err)
	// Output:
	// policy: policy.json:3:40: roles.Client.permissions[0]: permission "mcp_server:gret" names action "gret", which resource "mcp_server" does not declare
}

// A user set on JWT claims: anyone whose verified email is at example.com
// may greet, in any tenant.
func ExampleParse_userSet() {
	p, err := policy.Parse("policy.json", []byte(`{
  "resources": {"mcp_server": {"actions": ["greet"]}},
  "condition_sets": {
    "staff": {"type": "userset", "conditions": {"user.jwt.email": {"contains": "@example.com"}}}
  },
  "set_rules": [{"user_set": "staff", "permission": "mcp_server:greet"}]
}`))
	if err != nil {
		panic(err)
	}
	for _, email := range []string{"ada@example.com", "eve@example.org"} {
		ok, _ := p.Allowed(context.Background(), mcpauth.Check{
			User:     mcpauth.User{Key: email, Attributes: map[string]any{"jwt": map[string]any{"email": email}}},
			Action:   "greet",
			Resource: mcpauth.Resource{Type: "mcp_server", Tenant: "acme"},
		})
		fmt.Println(email, ok)
	}
	// Output:
	// ada@example.com true
	// eve@example.org false
}
