// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// trackedFiles returns the files git tracks in repo, slash-separated and
// relative to repo, leaving out tracked files deleted from the working
// tree. A release contains only these: untracked and ignored files (.tools,
// go.work, build output) never reach a module zip.
func trackedFiles(repo string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" {
			continue
		}
		if _, err := os.Lstat(filepath.Join(repo, filepath.FromSlash(f))); err != nil {
			continue // deleted in the working tree
		}
		files = append(files, f)
	}
	return files, nil
}

// discover returns the folder of every go.mod git tracks in repo ("." for
// the root), in the order git lists them.
func discover(repo string) ([]string, error) {
	files, err := trackedFiles(repo)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, f := range files {
		if f == "go.mod" {
			dirs = append(dirs, ".")
		} else if strings.HasSuffix(f, "/go.mod") {
			dirs = append(dirs, strings.TrimSuffix(f, "/go.mod"))
		}
	}
	return dirs, nil
}

// checkModuleLists reports a go.mod that is neither published nor
// unpublished, or a listed module without a go.mod.
func checkModuleLists(dirs []string) error {
	found := make(map[string]bool)
	for _, d := range dirs {
		found[d] = true
	}
	listed := make(map[string]bool)
	for _, m := range published {
		listed[m.Dir] = true
	}
	for d := range unpublished {
		listed[d] = true
	}
	var problems []string
	for _, d := range dirs {
		if !listed[d] {
			problems = append(problems, d+"/go.mod is in neither the published nor the unpublished list (tools/release/modules.go)")
		}
	}
	for d := range listed {
		if !found[d] {
			problems = append(problems, d+" is listed in tools/release/modules.go but has no tracked go.mod")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// treeFile is a file of the working tree, as golang.org/x/mod/zip reads
// it.
type treeFile struct {
	rel string // slash-separated, relative to the module folder
	abs string
}

func (f treeFile) Path() string                 { return f.rel }
func (f treeFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.abs) }
func (f treeFile) Open() (io.ReadCloser, error) { return os.Open(f.abs) }

// moduleFiles returns the tracked files under the folder of m. Files of
// nested modules are among them; zip.Create leaves them out, as it leaves
// out vendor folders.
func moduleFiles(repo string, tracked []string, m modSpec) []zip.File {
	prefix := ""
	if m.Dir != "." {
		prefix = m.Dir + "/"
	}
	var files []zip.File
	for _, f := range tracked {
		if rel, ok := strings.CutPrefix(f, prefix); ok {
			files = append(files, treeFile{rel: rel, abs: filepath.Join(repo, filepath.FromSlash(f))})
		}
	}
	return files
}

// writeProxy writes a module proxy in the layout of the GOPROXY protocol
// (<escaped path>/@v/{list,<v>.info,<v>.mod,<v>.zip}) into dir, serving
// every module of mods at version, as the working tree of repo holds it.
func writeProxy(repo, dir, version string, mods []modSpec) error {
	tracked, err := trackedFiles(repo)
	if err != nil {
		return err
	}
	for _, m := range mods {
		mv := module.Version{Path: m.Path(), Version: version}
		if err := module.Check(mv.Path, mv.Version); err != nil {
			return err
		}
		esc, err := module.EscapePath(mv.Path)
		if err != nil {
			return err
		}
		vdir := filepath.Join(dir, filepath.FromSlash(esc), "@v")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return err
		}
		var zbuf bytes.Buffer
		if err := zip.Create(&zbuf, mv, moduleFiles(repo, tracked, m)); err != nil {
			return fmt.Errorf("zip of %s: %w", mv, err)
		}
		gomod, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(m.Dir), "go.mod"))
		if err != nil {
			return err
		}
		info, err := json.Marshal(struct {
			Version string
			Time    time.Time
		}{version, time.Now().UTC().Truncate(time.Second)})
		if err != nil {
			return err
		}
		for name, data := range map[string][]byte{
			"list":            []byte(version + "\n"),
			version + ".info": info,
			version + ".mod":  gomod,
			version + ".zip":  zbuf.Bytes(),
		} {
			if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
