// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// checkVersion reports whether v is a canonical semantic version with the
// leading "v" (v0.1.0, v1.2.3-rc.1), the only form a module tag can take.
func checkVersion(v string) error {
	if !semver.IsValid(v) || semver.Canonical(v) != v || semver.Build(v) != "" {
		return fmt.Errorf("version %q is not a canonical semantic version such as v0.1.0", v)
	}
	if m := semver.Major(v); m != "v0" && m != "v1" {
		return fmt.Errorf("version %s needs a /%s suffix on every module path first", v, m)
	}
	return nil
}

// checkSiblings reports every requirement of a published module on
// another published module that does not name version: the modules are
// released as one set, so each must require its siblings at the version
// being tagged.
func checkSiblings(repo, version string) error {
	paths := make(map[string]bool)
	for _, m := range published {
		paths[m.Path()] = true
	}
	var problems []string
	for _, m := range published {
		name := filepath.Join(repo, filepath.FromSlash(m.Dir), "go.mod")
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		f, err := modfile.ParseLax(name, data, nil)
		if err != nil {
			return err
		}
		for _, r := range f.Require {
			if paths[r.Mod.Path] && r.Mod.Version != version {
				problems = append(problems, fmt.Sprintf("%s/go.mod requires %s %s, want %s", m.Dir, r.Mod.Path, r.Mod.Version, version))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// git runs git in repo and returns its trimmed standard output.
func git(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// dryRun prints the tags a release of version would create at HEAD, one
// per published module, after refusing a non-canonical version, a dirty
// tree, a sibling requirement at another version, README install lines
// that are not the release's, a public package without an Example, and a tag that already exists. It creates
// and pushes nothing.
func dryRun(repo, version string, print func(string, ...any)) error {
	if err := checkVersion(version); err != nil {
		return err
	}
	status, err := git(repo, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return err
	}
	if status != "" {
		return fmt.Errorf("the working tree is not clean; commit or stash first:\n%s", status)
	}
	if err := checkSiblings(repo, version); err != nil {
		return err
	}
	if err := checkInstallLines(repo, version); err != nil {
		return err
	}
	if err := checkExamples(repo, published, noExample); err != nil {
		return err
	}
	head, err := git(repo, "rev-parse", "HEAD")
	if err != nil {
		return err
	}
	var tags []string
	for _, m := range published {
		tag := m.Tag(version)
		if existing, err := git(repo, "tag", "--list", tag); err != nil {
			return err
		} else if existing != "" {
			return fmt.Errorf("tag %s already exists", tag)
		}
		tags = append(tags, tag)
	}
	print("dry run: a release of %s would tag %s with:", version, head)
	for _, t := range tags {
		print("  git tag -a %s -m %q %s", t, t, head)
	}
	print("then: git push origin %s", strings.Join(tags, " "))
	print("nothing was created or pushed")
	return nil
}
