// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// goTimeout bounds each go command (a cold build of a module's
// dependencies on a shared machine takes minutes); runTimeout bounds each
// consumer program, which only talks to loopback.
const (
	goTimeout  = 15 * time.Minute
	runTimeout = 2 * time.Minute
)

// check checks that every public package of the published modules has an
// Example (checkExamples), builds a module proxy serving every published
// module at version from the working tree of repo, then, for each published module alone, in
// a fresh module outside the repository (no replace, no go.work), runs its
// README install line, builds the program under
// testdata/consumer/<Program> and runs it. It also checks that the
// module's Forbidden modules stay out of the consumer's build list and
// that getting the module does not raise the consumer's go line above the
// repository's floor.
func check(repo, version string, keep bool, log func(string, ...any)) (err error) {
	if err := checkInstallLines(repo, version); err != nil {
		return err
	}
	dirs, err := discover(repo)
	if err != nil {
		return err
	}
	if err := checkModuleLists(dirs); err != nil {
		return err
	}
	if err := checkExamples(repo, published, noExample); err != nil {
		return err
	}
	floor, err := goLine(filepath.Join(repo, "go.mod"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mcpauth-release-check-")
	if err != nil {
		return err
	}
	if keep {
		log("keeping %s", tmp)
	} else {
		defer func() { err = errors.Join(err, removeAll(tmp)) }()
	}
	proxy := filepath.Join(tmp, "proxy")
	if err := writeProxy(repo, proxy, version, published); err != nil {
		return err
	}
	env, err := consumerEnv(tmp, proxy)
	if err != nil {
		return err
	}
	sums, err := repoSums(repo)
	if err != nil {
		return err
	}
	for _, m := range published {
		start := time.Now()
		if err := checkModule(repo, tmp, version, floor, env, sums, m); err != nil {
			return fmt.Errorf("%s@%s: %w", m.Path(), version, err)
		}
		log("ok   %s@%s (%s)", m.Path(), version, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// consumerEnv returns the environment of a user's build: no workspace,
// modules fetched from the release proxy first, then from the local module
// cache's download folder (offline, for third-party modules), then from
// the configured proxies. The consumer gets its own module cache, so a
// version extracted by an earlier run is never reused.
func consumerEnv(tmp, proxy string) ([]string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE", "GOPROXY").Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return nil, fmt.Errorf("go env: unexpected output %q", out)
	}
	goproxy := "file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(lines[0], "cache", "download"))
	if lines[1] != "" && lines[1] != "off" {
		goproxy += "," + lines[1]
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOWORK", "GOFLAGS", "GOPROXY", "GONOSUMDB", "GONOSUMCHECK", "GOPRIVATE", "GONOPROXY", "GOMODCACHE", "GOTOOLCHAIN", "GOINSECURE":
			return true
		}
		return false
	})
	return append(env,
		"GOWORK=off",
		"GOFLAGS=-mod=mod -trimpath -buildvcs=false",
		"GOPROXY="+goproxy,
		"GONOSUMDB="+RepoPath,
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOTOOLCHAIN=local",
	), nil
}

func checkModule(repo, tmp, version, floor string, env []string, sums []byte, m modSpec) error {
	dir := filepath.Join(tmp, "consumer-"+m.Program)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gomod := "module example.com/consumer/" + m.Program + "\n\ngo " + floor + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	// The third-party checksums the repository already verified, so the
	// check needs no checksum database; ours are GONOSUMDB.
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sums, 0o644); err != nil {
		return err
	}
	src := filepath.Join(repo, "tools", "release", "testdata", "consumer", m.Program)
	if err := copyGoFiles(src, dir); err != nil {
		return err
	}
	run := func(name string, args ...string) (string, error) {
		timeout := goTimeout
		if name != "go" {
			timeout = runTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := run("go", strings.Fields(m.InstallLine(version))[1:]...); err != nil {
		return err
	}
	if _, err := run("go", "build", "-o", "consumer", "."); err != nil {
		return err
	}
	if got, err := goLine(filepath.Join(dir, "go.mod")); err != nil {
		return err
	} else if got != floor {
		return fmt.Errorf("getting it raised the consumer's go line from %s (the repository's floor) to %s", floor, got)
	}
	list, err := run("go", "list", "-m", "-f", "{{.Path}}", "all")
	if err != nil {
		return err
	}
	for line := range strings.Lines(list) {
		if p := strings.TrimSpace(line); slices.Contains(m.Forbidden, p) {
			return fmt.Errorf("%s is in the build list of a program that gets only this module", p)
		}
	}
	_, err = run(filepath.Join(dir, "consumer"))
	return err
}

// goLine returns the go directive of the go.mod file at path.
func goLine(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	f, err := modfile.ParseLax(path, data, nil)
	if err != nil {
		return "", err
	}
	if f.Go == nil {
		return "", fmt.Errorf("%s: no go directive", path)
	}
	return f.Go.Version, nil
}

// repoSums returns every line of the repository's tracked go.sum files,
// without duplicates.
func repoSums(repo string) ([]byte, error) {
	files, err := trackedFiles(repo)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	var b strings.Builder
	for _, f := range files {
		if f != "go.sum" && !strings.HasSuffix(f, "/go.sum") {
			continue
		}
		fh, err := os.Open(filepath.Join(repo, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		s := bufio.NewScanner(fh)
		for s.Scan() {
			if line := s.Text(); line != "" && !seen[line] {
				seen[line] = true
				b.WriteString(line + "\n")
			}
		}
		err = errors.Join(s.Err(), fh.Close())
		if err != nil {
			return nil, err
		}
	}
	return []byte(b.String()), nil
}

func copyGoFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no program in %s", src)
	}
	return nil
}

// removeAll removes dir, first making the read-only module cache inside it
// writable.
func removeAll(dir string) error {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
