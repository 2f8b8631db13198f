// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"archive/zip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func repoOf(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// gitRepo makes a git repository in a temporary folder with files (path
// to content), commits those not listed in untracked, and returns it.
func gitRepo(t *testing.T, files map[string]string, untracked ...string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun("init", "-q")
	for name := range files {
		if !slices.Contains(untracked, name) {
			gitRun("add", "-f", name)
		}
	}
	gitRun("commit", "-q", "-m", "test")
	return dir
}

// TestModuleLists checks that every go.mod of the repository is either
// published or unpublished, and that the README's install lines and Go
// floor are the release's.
func TestModuleLists(t *testing.T) {
	repo := repoOf(t)
	dirs, err := discover(repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkModuleLists(dirs); err != nil {
		t.Error(err)
	}
	if err := checkModuleLists(append(dirs, "newmodule")); err == nil || !strings.Contains(err.Error(), "newmodule/go.mod is in neither") {
		t.Errorf("an unlisted module: got %v", err)
	}
	if err := checkInstallLines(repo, Version); err != nil {
		t.Error(err)
	}
	if err := checkInstallLines(repo, "v9.9.9"); err == nil {
		t.Error("README install lines accepted for another version")
	}
	for _, m := range published {
		got, err := goLine(filepath.Join(repo, m.Dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		floor, err := goLine(filepath.Join(repo, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		if got != floor {
			t.Errorf("%s/go.mod: go %s, want the floor %s", m.Dir, got, floor)
		}
	}
	if err := checkSiblings(repo, Version); err != nil {
		t.Error(err)
	}
	if err := checkSiblings(repo, "v0.2.0"); err == nil || !strings.Contains(err.Error(), "provider/go.mod requires github.com/mcpauth/mcpauth v0.1.0, want v0.2.0") {
		t.Errorf("siblings at another version: got %v", err)
	}
}

// TestWriteProxy checks that a module zip holds only the tracked files of
// its module: not a nested module's, not untracked or ignored ones, and
// testdata included, as the go command's own zips do.
func TestWriteProxy(t *testing.T) {
	repo := gitRepo(t, map[string]string{
		"go.mod":                   "module github.com/mcpauth/mcpauth\n\ngo 1.26.0\n",
		".gitignore":               "/.tools/\n",
		"a.go":                     "package mcpauth\n",
		"testdata/in.json":         "{}\n",
		"nested/go.mod":            "module github.com/mcpauth/mcpauth/nested\n",
		"nested/b.go":              "package nested\n",
		"untracked.go":             "package mcpauth\n",
		".tools/node/bin/node":     "binary\n",
		"internal/x/x.go":          "package x\n",
		"internal/x/deleted.go":    "package x\n",
		"provider/go.mod":          "module github.com/mcpauth/mcpauth/provider\n\ngo 1.26.0\n",
		"provider/p.go":            "package provider\n",
		"provider/testdata/t.html": "<p>\n",
	}, "untracked.go", ".tools/node/bin/node")
	if err := os.Remove(filepath.Join(repo, "internal/x/deleted.go")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mods := []modSpec{{Dir: "."}, {Dir: "provider"}}
	if err := writeProxy(repo, dir, "v0.1.0", mods); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		"github.com/mcpauth/mcpauth":          {"a.go", "go.mod", "internal/x/x.go", "testdata/in.json", ".gitignore"},
		"github.com/mcpauth/mcpauth/provider": {"go.mod", "p.go", "testdata/t.html"},
	} {
		vdir := filepath.Join(dir, filepath.FromSlash(path), "@v")
		zr, err := zip.OpenReader(filepath.Join(vdir, "v0.1.0.zip"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range zr.File {
			got = append(got, strings.TrimPrefix(f.Name, path+"@v0.1.0/"))
		}
		zr.Close()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s zip: got %v, want %v", path, got, want)
		}
		for _, name := range []string{"list", "v0.1.0.info", "v0.1.0.mod"} {
			if _, err := os.Stat(filepath.Join(vdir, name)); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"v0.1.0", true},
		{"v1.2.3-rc.1", true},
		{"0.1.0", false},
		{"v0.1", false},
		{"v0.1.0+build", false},
		{"v2.0.0", false},
		{"", false},
		{"latest", false},
	}
	for _, tt := range tests {
		if err := checkVersion(tt.v); (err == nil) != tt.ok {
			t.Errorf("checkVersion(%q) = %v, want ok=%v", tt.v, err, tt.ok)
		}
	}
}

// releaseTree copies what the dry run reads (README.md and every published
// go.mod) from the repository into a fresh git repository.
func releaseTree(t *testing.T) map[string]string {
	t.Helper()
	repo := repoOf(t)
	files := make(map[string]string)
	for _, name := range []string{"README.md"} {
		b, err := os.ReadFile(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	for _, m := range published {
		name := filepath.ToSlash(filepath.Join(m.Dir, "go.mod"))
		b, err := os.ReadFile(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	return files
}

func TestDryRun(t *testing.T) {
	var out []string
	print := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	repo := gitRepo(t, releaseTree(t))
	if err := dryRun(repo, Version, print); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(out, "\n")
	for _, tag := range []string{" " + Version + " ", " provider/" + Version + " ", " adapters/mcpauthchi/" + Version + " ", " repository/redis/" + Version + " "} {
		if !strings.Contains(text, "git tag -a"+tag) {
			t.Errorf("dry run does not print tag %q:\n%s", tag, text)
		}
	}
	if tags, err := git(repo, "tag", "--list"); err != nil || tags != "" {
		t.Errorf("dry run created tags %q (%v)", tags, err)
	}

	for name, tt := range map[string]struct {
		version string
		prepare func(repo string)
		want    string
	}{
		"not semver":  {"0.1.0", nil, "not a canonical semantic version"},
		"dirty":       {Version, func(repo string) { os.WriteFile(filepath.Join(repo, "new.go"), []byte("package x\n"), 0o644) }, "not clean"},
		"other":       {"v0.2.0", nil, "want v0.2.0"},
		"tag present": {Version, func(repo string) { git(repo, "tag", "provider/"+Version) }, "already exists"},
	} {
		t.Run(name, func(t *testing.T) {
			repo := gitRepo(t, releaseTree(t))
			if tt.prepare != nil {
				tt.prepare(repo)
			}
			err := dryRun(repo, tt.version, func(string, ...any) {})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
