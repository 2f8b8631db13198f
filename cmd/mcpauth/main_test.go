// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/policy"
)

// result is what one run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPolicyCheck(t *testing.T) {
	good := writeTemp(t, "good.json", string(policy.DemoJSON()))
	bad := writeTemp(t, "bad.json", "{\n  \"roles\": {\"R\": {\"permissions\": [\"x:y\"]}},\n  \"users\": {\"u\": {\"roles\": [\"S\"]}}\n}\n")
	syntax := writeTemp(t, "syntax.json", "{\"roles\": }")
	missing := filepath.Join(t.TempDir(), "missing.json")
	tests := []struct {
		name   string
		args   []string
		want   result
		prefix bool // stderr only has to start with want.stderr
	}{
		{
			name: "valid",
			args: []string{"policy", "check", good},
			want: result{code: 0, stdout: good + ": ok (2 resources, 5 permissions, 3 roles, 3 users, 1 condition sets, 1 set rules)\n"},
		},
		{
			name: "invalid",
			args: []string{"policy", "check", bad},
			want: result{code: 1, stderr: "policy: " + bad + ":2:35: roles.R.permissions[0]: permission \"x:y\" names undeclared resource \"x\"\n" +
				"policy: " + bad + ":3:29: users.u.roles[0]: unknown role \"S\"\n"},
		},
		{
			name: "syntax error",
			args: []string{"policy", "check", syntax},
			want: result{code: 1, stderr: "policy: " + syntax + ":1:11: unexpected character '}', want a value\n"},
		},
		{
			name: "unreadable",
			args: []string{"policy", "check", missing},
			want: result{code: 2, stderr: "policy: open " + missing + ": no such file or directory\n"},
		},
		{
			name:   "no file",
			args:   []string{"policy", "check"},
			want:   result{code: 2, stderr: "mcpauth: policy check takes exactly one FILE\n\nusage:"},
			prefix: true,
		},
		{
			name:   "two files",
			args:   []string{"policy", "check", good, good},
			want:   result{code: 2, stderr: "mcpauth: policy check takes exactly one FILE\n\nusage:"},
			prefix: true,
		},
		{
			name:   "unknown policy command",
			args:   []string{"policy", "lint", good},
			want:   result{code: 2, stderr: "mcpauth: unknown policy command \"lint\"\n\nusage:"},
			prefix: true,
		},
		{
			name:   "unknown command",
			args:   []string{"serve"},
			want:   result{code: 2, stderr: "mcpauth: unknown command \"serve\"\n\nusage:"},
			prefix: true,
		},
		{
			name:   "no command",
			args:   nil,
			want:   result{code: 2, stderr: "usage:"},
			prefix: true,
		},
		{
			name:   "policy without subcommand",
			args:   []string{"policy"},
			want:   result{code: 2, stderr: "usage:"},
			prefix: true,
		},
		{
			name: "demo",
			args: []string{"policy", "demo"},
			want: result{code: 0, stdout: string(policy.DemoJSON())},
		},
		{
			name:   "demo with arguments",
			args:   []string{"policy", "demo", "x"},
			want:   result{code: 2, stderr: "mcpauth: policy demo takes no arguments\n\nusage:"},
			prefix: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCmd(t, "", tt.args...)
			if got.code != tt.want.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", got.code, tt.want.code, got.stderr)
			}
			if got.stdout != tt.want.stdout {
				t.Errorf("stdout:\ngot  %q\nwant %q", got.stdout, tt.want.stdout)
			}
			if tt.prefix {
				if !strings.HasPrefix(got.stderr, tt.want.stderr) {
					t.Errorf("stderr:\ngot  %q\nwant it to start with %q", got.stderr, tt.want.stderr)
				}
			} else if got.stderr != tt.want.stderr {
				t.Errorf("stderr:\ngot  %q\nwant %q", got.stderr, tt.want.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	got := runCmd(t, "", "help")
	if got.code != 0 || got.stdout != usage || got.stderr != "" {
		t.Errorf("help: got %+v, want usage on stdout and exit 0", got)
	}
}
