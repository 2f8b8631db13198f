// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/mcpauthenv"
)

// TestREADMESnippets checks that every Go block of README.md marked
// "<!-- snippet: FILE -->" stands, line for line (indentation aside), in
// FILE, which make test compiles and runs. The README cannot drift from
// code that builds.
func TestREADMESnippets(t *testing.T) {
	readme := readFile(t, "README.md")
	re := regexp.MustCompile("(?s)<!-- snippet: ([^ ]+) -->\n```go\n(.*?)```")
	matches := re.FindAllStringSubmatch(readme, -1)
	if len(matches) < 3 {
		t.Fatalf("found %d snippets in README.md, want at least 3", len(matches))
	}
	for _, m := range matches {
		file, block := m[1], m[2]
		t.Run(file, func(t *testing.T) {
			src := normalize(readFile(t, file))
			if !strings.Contains(src, normalize(block)) {
				t.Errorf("README.md snippet is not in %s:\n%s", file, block)
			}
		})
	}
	// Every Go block is either a marked snippet or inside the README's
	// prose about a single call; unmarked multi-line programs are not
	// allowed.
	all := regexp.MustCompile("(?s)(<!-- snippet: [^ ]+ -->\n)?```go\n").FindAllStringSubmatch(readme, -1)
	for _, m := range all {
		if m[1] == "" {
			t.Errorf("README.md has a Go block without a snippet marker")
		}
	}
}

func normalize(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestREADMEEnvTable checks that the README's environment table is
// exactly the one generated from mcpauthenv.Vars: every variable, in
// order, with its default, option and meaning (secrets marked), and no
// other row. go test -run TestREADMEEnvTable -update rewrites it.
func TestREADMEEnvTable(t *testing.T) {
	readme := readFile(t, "README.md")
	const header = "| variable | default | option | meaning |\n|---|---|---|---|\n"
	start := strings.Index(readme, header)
	if start < 0 {
		t.Fatalf("README.md lacks the table header %q", header)
	}
	end := start + len(header)
	for strings.HasPrefix(readme[end:], "| ") {
		end += strings.IndexByte(readme[end:], '\n') + 1
	}
	want := header + envTableRows(mcpauthenv.Vars())
	if got := readme[start:end]; got != want {
		if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
			if err := os.WriteFile("README.md", []byte(readme[:start]+want+readme[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's environment table differs from mcpauthenv.Vars (go test -run TestREADMEEnvTable -update rewrites it):\n%s",
			cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")))
	}
}

// envTableRows renders vars as Markdown table rows.
func envTableRows(vars []mcpauthenv.Var) string {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	var b strings.Builder
	for _, v := range vars {
		def := v.Default
		if !strings.Contains(def, "`") {
			def = "`" + def + "`"
		}
		doc := v.Doc
		if v.Secret {
			doc = "Secret (never shown in errors). " + doc
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, cell(def), cell(v.Field), cell(doc))
	}
	return b.String()
}

// TestREADMECommands checks that the shell commands the README names exist:
// the make targets in the Makefile, and the go run targets as packages.
func TestREADMECommands(t *testing.T) {
	readme := readFile(t, "README.md")
	makefile := readFile(t, "Makefile")
	for _, target := range regexp.MustCompile("(?m)^make ([a-z-]+)").FindAllStringSubmatch(readme, -1) {
		if !regexp.MustCompile("(?m)^" + target[1] + ":").MatchString(makefile) {
			t.Errorf("README runs make %s, which the Makefile lacks", target[1])
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go not found: %v", err)
	}
	for _, run := range regexp.MustCompile(`go run (\./[a-z/]+)`).FindAllStringSubmatch(readme, -1) {
		dir := "."
		if strings.Contains(readme, "cd examples && go run "+run[1]) {
			dir = "examples"
		}
		cmd := exec.Command("go", "list", run[1])
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("README runs go run %s in %s, which is not a package: %v\n%s", run[1], dir, err, out)
		}
	}
}
