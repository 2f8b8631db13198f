// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
)

// hs256 signs claims (a JSON object) with secret.
func hs256(t *testing.T, claims, secret string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(claims))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc(mac.Sum(nil))
}

func testdata(name string) string { return filepath.Join("testdata", name) }

func TestExplainOutput(t *testing.T) {
	got := runCmd(t, "", "explain", testdata("conditional-greet-5.json"))
	want := `policy:   the built-in demo policy
request:  testdata/conditional-greet-5.json
method:   tools/call
identity: user "client"

check 1 of 1, as Permit's /allowed would receive it:
  user:     client
  user attributes:
    type = "fixed_identity"
  action:   conditional-greet
  resource: type mcp_server
  tenant:   default
  resource attributes:
    arg_log_message = "hi"
    arg_name = "Ada"
    arg_number = 5
    mcp_method = "tools/call"
    tool_name = "conditional-greet"
  policy:
    denied: no role of user "client" in tenant "default" grants mcp_server:conditional-greet, and none of the 1 set rules for mcp_server:conditional-greet matched
      set rule 0: user holds role "Client": true
      set rule 0: resource.arg_number greater-than 10: false (value 5)

decision: denied (user "client" may not "conditional-greet" on mcp_server)
`
	if got.code != 1 || got.stderr != "" {
		t.Errorf("exit %d, stderr %q: want exit 1 and no stderr", got.code, got.stderr)
	}
	if got.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got.stdout, want)
	}
}

func TestExplainListOutput(t *testing.T) {
	got := runCmd(t, "", "explain", "-response", testdata("tools-list-result.json"), testdata("tools-list.json"))
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q: want exit 0 and no stderr", got.code, got.stderr)
	}
	wantTail := `
decision: allowed

filtered result: 3 of 4 items listed
  listed: greet, login, conditional-greet
  hidden: greet-jwt
`
	if !strings.HasSuffix(got.stdout, wantTail) {
		t.Errorf("stdout:\n%s\nwant it to end with:\n%s", got.stdout, wantTail)
	}
	wantItem := `check 4 of 4 (list-time: an item of tools/list), as Permit's /allowed would receive it:
  user:     client
  user attributes:
    type = "fixed_identity"
  action:   conditional-greet
  resource: type mcp_server
  tenant:   default
  resource attributes:
    mcp_method = "tools/list"
    tool_name = "conditional-greet"
  policy:
    allowed: set rule 0: role "Client" may mcp_server:conditional-greet on resource set "conditional_greet_over_10" (satisfiable at list time)
    list-time check: conditions on call arguments count as satisfiable
      set rule 0: user holds role "Client": true
      set rule 0: resource.arg_number greater-than 10: unknown at list time (supplied by the call)
`
	if !strings.Contains(got.stdout, wantItem) {
		t.Errorf("stdout:\n%s\nwant it to contain:\n%s", got.stdout, wantItem)
	}
}

func TestExplain(t *testing.T) {
	const secret = "mysecretkey"
	adminJWT := hs256(t, `{"sub":"admin","iat":1700000000,"exp":4102444800}`, secret)
	tenantPolicy := writeTemp(t, "tenant.json", `{
  "resources": {"mcp_server": {"actions": ["greet"]}},
  "roles": {"Greeter": {"permissions": ["mcp_server:greet"]}},
  "users": {"ada": {"roles": [{"role": "Greeter", "tenant": "acme"}]}}
}`)
	badPolicy := writeTemp(t, "bad.json", `{"roles": {"R": {"permissions": ["x:y"]}}}`)
	greet := `{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "greet", "arguments": {"name": "Ada"}}}`
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		contains []string // in stdout
		stderr   string   // stderr prefix
	}{
		{
			name: "ABAC allows over 10",
			args: []string{"explain", testdata("conditional-greet-12.json")},
			code: 0,
			contains: []string{
				"    allowed: set rule 0: role \"Client\" may mcp_server:conditional-greet on resource set \"conditional_greet_over_10\"\n",
				"      set rule 0: resource.arg_number greater-than 10: true (value 12)\n",
				"\ndecision: allowed\n",
			},
		},
		{
			name:     "client may not greet-jwt",
			args:     []string{"explain", testdata("greet-jwt.json")},
			code:     1,
			contains: []string{"    denied: no role of user \"client\" in tenant \"default\" grants mcp_server:greet-jwt, and no set rule grants it\n", "decision: denied (user \"client\" may not \"greet-jwt\" on mcp_server)\n"},
		},
		{
			name:     "admin may greet-jwt",
			args:     []string{"explain", "-user", "admin", testdata("greet-jwt.json")},
			code:     0,
			contains: []string{"identity: user \"admin\"\n", "    allowed: role \"Admin\" grants mcp_server:greet-jwt in tenant \"default\"\n"},
		},
		{
			name: "JWT identity",
			args: []string{"explain", "-jwt", adminJWT, "-jwt-secret", secret, testdata("greet-jwt.json")},
			code: 0,
			contains: []string{
				"identity: user \"admin\"\n",
				"    jwt = {\"exp\":4102444800,\"iat\":1700000000,\"sub\":\"admin\"}\n",
				"decision: allowed\n",
			},
		},
		{
			name:     "JWT with the wrong secret",
			args:     []string{"explain", "-jwt", adminJWT, "-jwt-secret", "not-the-secret", testdata("greet-jwt.json")},
			code:     1,
			contains: []string{"decision: denied (no valid identity)\n"},
		},
		{
			name:     "request from stdin",
			stdin:    greet,
			args:     []string{"explain"},
			code:     0,
			contains: []string{"request:  stdin\n", "  action:   greet\n", "decision: allowed\n"},
		},
		{
			name:     "request from stdin with -",
			stdin:    greet,
			args:     []string{"explain", "-user", "mallory", "-"},
			code:     1,
			contains: []string{"    denied: unknown user \"mallory\" has no roles, and no set rule grants it\n"},
		},
		{
			name:     "tenant from the flag",
			stdin:    greet,
			args:     []string{"explain", "-policy", tenantPolicy, "-user", "ada", "-tenant", "acme"},
			code:     0,
			contains: []string{"policy:   " + tenantPolicy + "\n", "  tenant:   acme\n", "    allowed: role \"Greeter\" grants mcp_server:greet in tenant \"acme\"\n"},
		},
		{
			name:     "default tenant",
			stdin:    greet,
			args:     []string{"explain", "-policy", tenantPolicy, "-user", "ada"},
			code:     1,
			contains: []string{"    denied: no role of user \"ada\" in tenant \"default\" grants mcp_server:greet, and no set rule grants it\n"},
		},
		{
			name:     "list without a response",
			args:     []string{"explain", testdata("tools-list.json")},
			code:     0,
			contains: []string{"decision: allowed; the result is filtered item by item (pass -response FILE to see each item's check)\n"},
		},
		{
			name:     "list as admin",
			args:     []string{"explain", "-user", "admin", "-response", testdata("tools-list-result.json"), testdata("tools-list.json")},
			code:     0,
			contains: []string{"filtered result: 4 of 4 items listed\n  listed: greet, login, greet-jwt, conditional-greet\n  hidden: (none)\n"},
		},
		{
			name:     "bypassed method",
			args:     []string{"explain", testdata("initialize.json")},
			code:     0,
			contains: []string{"method:   initialize\n", "decision: allowed without a check (bypassed method or public tool)\n"},
		},
		{
			name:     "public tool",
			stdin:    `{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "login", "arguments": {}}}`,
			args:     []string{"explain", "-user", "mallory", "-public", "login"},
			code:     0,
			contains: []string{"decision: allowed without a check (bypassed method or public tool)\n"},
		},
		{
			name:     "malformed request",
			stdin:    `{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "method": "tools/list"}`,
			args:     []string{"explain"},
			code:     1,
			contains: []string{"decision: denied ("},
		},
		{
			name:   "invalid policy",
			stdin:  greet,
			args:   []string{"explain", "-policy", badPolicy},
			code:   1,
			stderr: "policy: " + badPolicy + ":1:34: roles.R.permissions[0]: permission \"x:y\" names undeclared resource \"x\"\n",
		},
		{
			name:   "missing policy",
			stdin:  greet,
			args:   []string{"explain", "-policy", filepath.Join(t.TempDir(), "nope.json")},
			code:   2,
			stderr: "policy: open ",
		},
		{name: "user and jwt", args: []string{"explain", "-user", "a", "-jwt", "t", "-jwt-secret", "s"}, code: 2, stderr: "mcpauth: -user and -jwt are mutually exclusive\n"},
		{name: "jwt without secret", args: []string{"explain", "-jwt", "t"}, code: 2, stderr: "mcpauth: -jwt needs -jwt-secret\n"},
		{name: "secret without jwt", args: []string{"explain", "-jwt-secret", "s"}, code: 2, stderr: "mcpauth: -jwt-secret needs -jwt\n"},
		{name: "two request files", args: []string{"explain", "a.json", "b.json"}, code: 2, stderr: "mcpauth: explain takes at most one REQUEST_FILE\n"},
		{name: "missing request file", args: []string{"explain", testdata("nope.json")}, code: 2, stderr: "mcpauth: open testdata/nope.json: no such file or directory\n"},
		{name: "empty stdin", stdin: " \n", args: []string{"explain"}, code: 2, stderr: "mcpauth: stdin: empty\n"},
		{name: "both from stdin", stdin: greet, args: []string{"explain", "-response", "-"}, code: 2, stderr: "mcpauth: the request and -response cannot both come from stdin\n"},
		{name: "response to a request without id", args: []string{"explain", "-response", testdata("tools-list-result.json"), "-"}, stdin: `{"jsonrpc": "2.0", "method": "tools/list"}`, code: 2, stderr: "mcpauth: response: the request has no id to answer\n"},
		{name: "unknown flag", args: []string{"explain", "-colour"}, code: 2, stderr: "flag provided but not defined: -colour\nusage: mcpauth explain"},
		{name: "help", args: []string{"explain", "-h"}, code: 0, stderr: "usage: mcpauth explain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCmd(t, tt.stdin, tt.args...)
			if got.code != tt.code {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.code, got.stdout, got.stderr)
			}
			for _, s := range tt.contains {
				if !strings.Contains(got.stdout, s) {
					t.Errorf("stdout:\n%s\nwant it to contain %q", got.stdout, s)
				}
			}
			if !strings.HasPrefix(got.stderr, tt.stderr) || (tt.stderr == "" && got.stderr != "") {
				t.Errorf("stderr: got %q, want it to start with %q", got.stderr, tt.stderr)
			}
		})
	}
}
