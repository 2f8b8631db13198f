// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// noExample lists the public packages of published modules that cannot
// have a runnable Example, by import path, with the reason. It is empty:
// every public package has one. A package belongs here only when no
// example of it can even compile (not merely when it cannot print a
// deterministic // Output:, which a compile-only example solves).
var noExample = map[string]string{}

// checkExamples reports every public package of the published modules mods
// of repo without an Example function in its tracked _test.go files,
// unless allow names it, and every allow entry that is not such a package
// or has an example after all. A public package is a folder of a
// published module, outside the module's nested modules, outside internal,
// testdata, vendor and folders the go command ignores (starting with "." or
// "_"), whose non-test Go files form a package other than main. Folders with
// test files only (such as conformance) are not packages users can import,
// so they have nothing on pkg.go.dev to show an example on.
func checkExamples(repo string, mods []modSpec, allow map[string]string) error {
	tracked, err := trackedFiles(repo)
	if err != nil {
		return err
	}
	modDirs, err := discover(repo)
	if err != nil {
		return err
	}
	isTracked := make(map[string]bool, len(tracked))
	pkgDirs := make(map[string]bool)
	for _, f := range tracked {
		isTracked[f] = true
		if strings.HasSuffix(f, ".go") {
			pkgDirs[path.Dir(f)] = true
		}
	}
	var problems []string
	public := make(map[string]bool)
	for _, dir := range slices.Sorted(maps.Keys(pkgDirs)) {
		m, rel, ok := owner(dir, modDirs, mods)
		if !ok || hidden(rel) {
			continue
		}
		p, err := build.Default.ImportDir(filepath.Join(repo, filepath.FromSlash(dir)), 0)
		if _, noGo := errors.AsType[*build.NoGoError](err); noGo {
			continue // no Go file for this platform
		} else if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if p.Name == "main" || len(p.GoFiles)+len(p.CgoFiles) == 0 {
			continue // a command, or test files only
		}
		importPath := m.Path()
		if rel != "." {
			importPath += "/" + rel
		}
		public[importPath] = true
		var tests []string
		for _, name := range slices.Concat(p.TestGoFiles, p.XTestGoFiles) {
			if f := path.Join(dir, name); isTracked[f] {
				tests = append(tests, filepath.Join(repo, filepath.FromSlash(f)))
			}
		}
		has, err := hasExample(tests)
		if err != nil {
			return err
		}
		reason, allowed := allow[importPath]
		switch {
		case !has && !allowed:
			problems = append(problems, importPath+" has no Example function in its _test.go files (pkg.go.dev shows them; add one, or list it in noExample in tools/release/examples.go with the reason)")
		case has && allowed:
			problems = append(problems, importPath+" has an Example but is listed in noExample ("+reason+"); remove it from the list")
		}
	}
	for _, p := range slices.Sorted(maps.Keys(allow)) {
		if !public[p] {
			problems = append(problems, p+" is listed in noExample but is not a public package of a published module")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// owner returns the module of mods holding the folder dir (slash-separated,
// relative to the repository root), given the folders of every module of
// the repository, and dir relative to that module; ok is false when the
// innermost module holding dir is not in mods.
func owner(dir string, modDirs []string, mods []modSpec) (m modSpec, rel string, ok bool) {
	depth := func(d string) int { // the root is the outermost module
		if d == "." {
			return 0
		}
		return len(d)
	}
	best, found := "", false
	for _, d := range modDirs {
		if (d == "." || dir == d || strings.HasPrefix(dir, d+"/")) && (!found || depth(d) > depth(best)) {
			best, found = d, true
		}
	}
	i := slices.IndexFunc(mods, func(m modSpec) bool { return m.Dir == best })
	if !found || i < 0 {
		return modSpec{}, "", false
	}
	rel = dir
	if best != "." {
		rel = strings.TrimPrefix(strings.TrimPrefix(dir, best), "/")
		if rel == "" {
			rel = "."
		}
	}
	return mods[i], rel, true
}

// hidden reports whether the package folder rel (relative to its module)
// is not importable by users: under internal, or a folder the go command
// leaves out of packages and module zips' package lists.
func hidden(rel string) bool {
	if rel == "." {
		return false
	}
	for _, elem := range strings.Split(rel, "/") {
		if elem == "internal" || elem == "testdata" || elem == "vendor" || strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") {
			return true
		}
	}
	return false
}

// hasExample reports whether any of the test files declares an example
// function as the testing package runs them: a top-level func named
// Example or Example…, with no parameters and no results.
func hasExample(files []string) (bool, error) {
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return false, err
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Example") {
				continue
			}
			if fn.Type.Params.NumFields() == 0 && fn.Type.Results.NumFields() == 0 && fn.Type.TypeParams == nil {
				return true, nil
			}
		}
	}
	return false, nil
}
