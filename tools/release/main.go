// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command release checks and plans a release of the repository's
// published modules (listed in modules.go), which are tagged together:
// the root as vX.Y.Z, each nested module as <folder>/vX.Y.Z.
//
//	go run . check [-version v0.1.0] [-keep]
//	go run . tags [-version v0.1.0]
//
// check builds a module proxy from the working tree (the module zip format
// of golang.org/x/mod/zip, committed files only) serving every published
// module at the version, then in a fresh module outside the repository, for
// each module alone, runs the README's install line against that proxy and
// builds and runs a small program using the module (testdata/consumer).
//
// tags is the dry run of a release: it refuses a dirty tree, a
// non-canonical version, a sibling requirement at another version or an
// existing tag, and prints the tags it would create. It creates nothing.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	version := fs.String("version", Version, "the version to release")
	keep := fs.Bool("keep", false, "check: keep the temporary proxy and consumer modules")
	_ = fs.Parse(os.Args[2:])
	if *version == "" {
		*version = Version
	}
	repo, err := repoRoot()
	if err != nil {
		fail(err)
	}
	logf := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	switch os.Args[1] {
	case "check":
		if err := checkVersion(*version); err != nil {
			fail(err)
		}
		start := time.Now()
		if err := check(repo, *version, *keep, logf); err != nil {
			fail(fmt.Errorf("release check: %w", err))
		}
		logf("release check of %s passed in %s", *version, time.Since(start).Round(time.Second))
	case "tags":
		if err := dryRun(repo, *version, logf); err != nil {
			fail(fmt.Errorf("release dry run: %w", err))
		}
	default:
		usage()
	}
}

func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse --show-toplevel: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: release check|tags [-version vX.Y.Z] [-keep]")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
