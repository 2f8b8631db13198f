// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// installLines returns the install line of every published module at
// version, in install order.
func installLines(version string) []string {
	var lines []string
	for _, m := range published {
		lines = append(lines, m.InstallLine(version))
	}
	return lines
}

// checkInstallLines reports whether README.md's install lines (every line
// that starts with "go get github.com/mcpauth/mcpauth") are exactly the
// lines the release check runs, and whether it states the Go floor (the
// root go.mod's go line) as "Go <floor> or newer".
func checkInstallLines(repo, version string) error {
	data, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		return err
	}
	var got []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "go get "+RepoPath) {
			got = append(got, line)
		}
	}
	if want := installLines(version); !slices.Equal(got, want) {
		return fmt.Errorf("README.md install lines:\n\t%s\nwant the lines the release check runs:\n\t%s",
			strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	floor, err := goLine(filepath.Join(repo, "go.mod"))
	if err != nil {
		return err
	}
	if want := "Go " + floor + " or newer"; !strings.Contains(string(data), want) {
		return fmt.Errorf("README.md does not state the Go floor as %q", want)
	}
	return nil
}
