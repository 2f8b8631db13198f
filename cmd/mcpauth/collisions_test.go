// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToolCollisions(t *testing.T) {
	got := toolCollisions([]string{"greet", "greet-jwt", "b.c", "greet_jwt", "b/c", "greet.jwt", "greet-jwt", "x_y"})
	want := []collision{
		{"b-c", []string{"b.c", "b/c"}},
		{"greet-jwt", []string{"greet-jwt", "greet.jwt", "greet_jwt"}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(collision{})); diff != "" {
		t.Errorf("collisions (-want +got):\n%s", diff)
	}
}

const collidingPolicy = `{
  "resources": {
    "mcp_server": {"actions": ["greet", "greet-jwt", "greet_jwt", "a.b", "a/b"]},
    "other": {"actions": ["read_all", "read-all"]}
  },
  "roles": {"R": {"permissions": ["mcp_server:greet_jwt"]}},
  "users": {"u": {"roles": ["R"]}}
}
`

func TestPolicyCheckWarnsAboutCollidingActions(t *testing.T) {
	path := writeTemp(t, "colliding.json", collidingPolicy)
	got := runCmd(t, "", "policy", "check", path)
	if got.code != 0 || !strings.HasPrefix(got.stdout, path+": ok ") {
		t.Fatalf("exit %d, stdout %q: want exit 0 and ok", got.code, got.stdout)
	}
	want := []string{
		`mcpauth: warning: resource "mcp_server": actions "a.b", "a/b" are one tool action "a-b"`,
		`mcpauth: warning: resource "mcp_server": actions "greet-jwt", "greet_jwt" are one tool action "greet-jwt"`,
		`mcpauth: warning: resource "other": actions "read-all", "read_all" are one tool action "read-all"`,
	}
	lines := strings.Split(strings.TrimSuffix(got.stderr, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("stderr:\n%s\nwant %d warnings", got.stderr, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("warning %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
	if clean := runCmd(t, "", "policy", "check", writeTemp(t, "demo.json", demoPolicyJSON(t))); clean.stderr != "" {
		t.Errorf("the demo policy warns: %q", clean.stderr)
	}
}

func demoPolicyJSON(t *testing.T) string {
	t.Helper()
	return runCmd(t, "", "policy", "demo").stdout
}

func TestExplainWarnsAboutCollidingNames(t *testing.T) {
	resp := writeTemp(t, "resp.json", `{"tools":[{"name":"greet-jwt"},{"name":"greet_jwt"},{"name":"greet"}]}`)
	policyPath := writeTemp(t, "p.json", collidingPolicy)
	tt := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"list response", "", []string{"explain", "-response", resp, testdata("tools-list.json")},
			[]string{`mcpauth: warning: tools "greet-jwt", "greet_jwt" map to one action "greet-jwt"`}},
		{"called tool", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_jwt"}}`, []string{"explain"},
			[]string{`mcpauth: warning: tool "greet_jwt" is checked as action "greet-jwt"`}},
		{"policy of the server", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`,
			[]string{"explain", "-policy", policyPath, "-user", "u"},
			[]string{`mcpauth: warning: resource "mcp_server": actions "a.b", "a/b"`, `mcpauth: warning: resource "mcp_server": actions "greet-jwt", "greet_jwt"`}},
		{"nothing to warn about", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`, []string{"explain"}, nil},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			got := runCmd(t, tc.stdin, tc.args...)
			var lines []string
			if got.stderr != "" {
				lines = strings.Split(strings.TrimSuffix(got.stderr, "\n"), "\n")
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("stderr:\n%s\nwant %d warnings", got.stderr, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("warning %d = %q, want it to start with %q", i, lines[i], w)
				}
			}
		})
	}
}
