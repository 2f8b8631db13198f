// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExamples checks that every public package of every published module
// has a runnable Example: they are what users read on pkg.go.dev.
func TestExamples(t *testing.T) {
	if err := checkExamples(repoOf(t), published, noExample); err != nil {
		t.Error(err)
	}
	for p, reason := range noExample {
		if strings.TrimSpace(reason) == "" {
			t.Errorf("noExample[%q] gives no reason", p)
		}
	}
}

// TestCheckExamples runs the check on a made-up repository, where it must
// name exactly the public packages without an example.
func TestCheckExamples(t *testing.T) {
	example := func(pkg string) string { return "package " + pkg + "_test\n\nfunc ExampleF() {}\n" }
	const (
		notExample = "package none_test\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) {}\n\nfunc Examples(n int) {}\n\nfunc (T) ExampleM() {}\n\ntype T struct{}\n\nfunc ExampleG() int { return 0 }\n"
	)
	files := map[string]string{
		"go.mod":                    "module github.com/mcpauth/mcpauth\n\ngo 1.26.0\n",
		"a.go":                      "package mcpauth\n",
		"a_test.go":                 "package mcpauth\n\nfunc Example() {}\n",
		"has/has.go":                "package has\n",
		"has/x_test.go":             example("has"),
		"none/none.go":              "package none\n",
		"none/none_test.go":         notExample,
		"untracked/u.go":            "package untracked\n",
		"untracked/example_test.go": example("untracked"), // not in the release
		"internal/x/x.go":           "package x\n",
		"sub/internal/y/y.go":       "package y\n",
		"cmd/tool/main.go":          "package main\n",
		"testsonly/suite_test.go":   "package testsonly\n",
		"testdata/p/p.go":           "package p\n",
		"_old/o.go":                 "package o\n",
		"allowed/allowed.go":        "package allowed\n",
		"provider/go.mod":           "module github.com/mcpauth/mcpauth/provider\n\ngo 1.26.0\n",
		"provider/p.go":             "package provider\n",
		"provider/p_test.go":        example("provider"),
		"provider/ptest/ptest.go":   "package ptest\n",
		"examples/go.mod":           "module github.com/mcpauth/mcpauth/examples\n\ngo 1.26.0\n",
		"examples/lib/lib.go":       "package lib\n",
		"provider/nested/go.mod":    "module github.com/mcpauth/mcpauth/provider/nested\n\ngo 1.26.0\n",
		"provider/nested/nested.go": "package nested\n",
		"provider/nested/deep/d.go": "package deep\n",
	}
	repo := gitRepo(t, files, "untracked/example_test.go")
	mods := []modSpec{{Dir: "."}, {Dir: "provider"}}
	allow := map[string]string{"github.com/mcpauth/mcpauth/allowed": "cannot have one, for the test"}

	err := checkExamples(repo, mods, allow)
	var got []string
	if err != nil {
		for line := range strings.Lines(err.Error()) {
			got = append(got, strings.Fields(line)[0])
		}
	}
	want := []string{
		"github.com/mcpauth/mcpauth/none",
		"github.com/mcpauth/mcpauth/untracked",
		"github.com/mcpauth/mcpauth/provider/ptest",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("packages without an example: got %q, want %q (error: %v)", got, want, err)
	}

	// Once every package has one, the check passes; an allow-list entry
	// that has an example or names no public package fails it.
	for _, dir := range []string{"none", "untracked", "provider/ptest"} {
		if err := os.WriteFile(filepath.Join(repo, dir, "example_test.go"), []byte(example(filepath.Base(dir))), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := git(repo, "add", dir+"/example_test.go"); err != nil {
			t.Fatal(err)
		}
	}
	if err := checkExamples(repo, mods, allow); err != nil {
		t.Errorf("every package has an example: %v", err)
	}
	for name, allow := range map[string]map[string]string{
		"has one":    {"github.com/mcpauth/mcpauth/has": "r", "github.com/mcpauth/mcpauth/allowed": "r"},
		"internal":   {"github.com/mcpauth/mcpauth/internal/x": "r", "github.com/mcpauth/mcpauth/allowed": "r"},
		"main":       {"github.com/mcpauth/mcpauth/cmd/tool": "r", "github.com/mcpauth/mcpauth/allowed": "r"},
		"unreleased": {"github.com/mcpauth/mcpauth/examples/lib": "r", "github.com/mcpauth/mcpauth/allowed": "r"},
	} {
		if err := checkExamples(repo, mods, allow); err == nil || !strings.Contains(err.Error(), "noExample") {
			t.Errorf("%s: got %v, want the allow-list entry refused", name, err)
		}
	}
}
