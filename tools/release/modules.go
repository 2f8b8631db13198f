// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

// Version is the version the next release gives every published module:
// they are released together, as one set, so a nested module's
// requirement on a sibling names this version (kept local by a replace
// directive for in-repository builds; the go command ignores replace
// directives in dependencies, so users get the released sibling).
const Version = "v0.1.0"

// RepoPath is the module path of the repository root.
const RepoPath = "github.com/mcpauth/mcpauth"

// A modSpec is a module of the repository: Dir is its folder, relative to the
// repository root, with "." for the root module.
type modSpec struct {
	Dir string
	// Program is the folder under testdata/consumer holding the program
	// the release check builds and runs against this module alone.
	Program string
	// Forbidden lists modules that must not be in a user's build list
	// after `go get` of this module alone.
	Forbidden []string
}

// published lists every module users install, in install order (the root
// first). This list and unpublished are the one place that says what a
// release contains; every go.mod of the repository is in exactly one.
var published = []modSpec{
	{Dir: ".", Program: "mcpauth", Forbidden: []string{RepoPath + "/provider", "github.com/zitadel/oidc/v3", "github.com/gin-gonic/gin", "github.com/go-chi/chi/v5"}},
	{Dir: "provider", Program: "provider", Forbidden: []string{"github.com/gin-gonic/gin"}},
	{Dir: "adapters/mcpauthchi", Program: "chi", Forbidden: []string{RepoPath + "/provider", "github.com/zitadel/oidc/v3", "github.com/gin-gonic/gin"}},
	{Dir: "adapters/mcpauthgin", Program: "gin", Forbidden: []string{RepoPath + "/provider", "github.com/zitadel/oidc/v3", "github.com/go-chi/chi/v5"}},
	{Dir: "repository/hcvault", Program: "hcvault", Forbidden: []string{RepoPath + "/provider", "github.com/zitadel/oidc/v3"}},
	{Dir: "repository/pangeavault", Program: "pangeavault", Forbidden: []string{RepoPath + "/provider", "github.com/zitadel/oidc/v3"}},
	{Dir: "repository/redis", Program: "redis", Forbidden: []string{RepoPath + "/provider", "github.com/zitadel/oidc/v3"}},
	{Dir: "authzen/coaz", Program: "coaz", Forbidden: []string{RepoPath + "/provider", "github.com/zitadel/oidc/v3"}},
}

// unpublished lists the modules that are never tagged, with the reason.
var unpublished = map[string]string{
	"examples":                     "runnable example servers and the end-to-end tests that need several modules",
	"repository/hcvault/vaulttest": "test-only: the HashiCorp Vault store against an in-process Vault",
	"repository/redis/redistest":   "test-only: replicas of the provider sharing a real Redis",
	"tools/release":                "this tool",
	"tools/apicount":               "a maintainers' tool counting the root package's exported API (issue #12)",
}

// Path returns the module path of m.
func (m modSpec) Path() string {
	if m.Dir == "." {
		return RepoPath
	}
	return RepoPath + "/" + m.Dir
}

// Tag returns the git tag of m at version v: v for the root module,
// Dir/v for a nested one.
func (m modSpec) Tag(v string) string {
	if m.Dir == "." {
		return v
	}
	return m.Dir + "/" + v
}

// InstallLine is the command a user runs to add m at version v, as the
// README shows it and the release check runs it.
func (m modSpec) InstallLine(v string) string {
	return "go get " + m.Path() + "@" + v
}
