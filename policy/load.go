// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// maxErrors bounds the number of problems reported for one file.
const maxErrors = 20

// Error is one problem in a policy file: where it is and what is wrong.
// [Load] and [Parse] return an *Error, or several joined with
// [errors.Join] (use [errors.As] to get the first).
type Error struct {
	// File is the name the policy was loaded under.
	File string
	// Line and Column locate the problem (1-based; the column counts bytes).
	Line, Column int
	// Path is the JSON path of the offending value, such as
	// `roles.Admin.permissions[2]`; empty for syntax errors.
	Path string
	// Problem says what is wrong.
	Problem string
}

// Error formats the problem as "policy: FILE:LINE:COL: PATH: PROBLEM".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy: %s:%d:%d: ", e.File, e.Line, e.Column)
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Load reads and compiles the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(path, data)
}

// Parse compiles a policy document. name is used in error messages and as
// the policy's [Policy.Name].
func Parse(name string, data []byte) (*Policy, error) {
	root, err := parseJSON(data)
	if err != nil {
		var se *syntaxError
		errors.As(err, &se)
		line, col := lineCol(data, se.off)
		return nil, &Error{File: name, Line: line, Column: col, Problem: se.msg}
	}
	l := &loader{file: name, src: data, broken: make(map[string]bool)}
	p := l.compile(root)
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b *Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		if len(l.errs) == 1 {
			return nil, l.errs[0]
		}
		errs := make([]error, len(l.errs))
		for i, e := range l.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	p.name = name
	return p, nil
}

// loader decodes a parsed document into a Policy, collecting problems.
type loader struct {
	file string
	src  []byte
	errs []*Error
	full bool // maxErrors reached
	// broken names resources, roles and condition sets that failed to
	// decode, so that references to them are not reported again.
	broken map[string]bool
}

func (l *loader) errorf(off int, path, format string, args ...any) {
	if l.full {
		return
	}
	if len(l.errs) == maxErrors {
		l.full = true
		format, args = "too many errors", nil
	}
	line, col := lineCol(l.src, off)
	l.errs = append(l.errs, &Error{File: l.file, Line: line, Column: col, Path: path, Problem: fmt.Sprintf(format, args...)})
}

// compile builds the policy from the decoded file, one top-level member
// at a time. The steps live in files of their own: load_fields.go (walking
// the JSON), load_roles.go (resources and roles), load_conditions.go
// (condition sets), load_users.go (users) and load_rules.go (set rules).
func (l *loader) compile(root *node) *Policy {
	p := &Policy{
		argPrefix: mcpauth.DefaultArgumentPrefix,
		resources: make(map[string]*resource),
		roleByKey: make(map[string]*role),
		users:     make(map[string]*user),
		sets:      make(map[string]*condSet),
		userAttrs: map[string]attrType{},
	}
	top := l.fields(root, "", "description", "argument_prefix", "user_attributes", "resources", "roles", "users", "condition_sets", "set_rules")
	if top == nil {
		return p
	}
	if n := top["description"]; n != nil {
		l.want(n, jsonString, "description")
	}
	if n := top["argument_prefix"]; n != nil && l.want(n, jsonString, "argument_prefix") {
		p.argPrefix = n.str
	}
	if n := top["user_attributes"]; n != nil {
		p.userAttrs = l.declarations(n, "user_attributes", builtins[sideUser])
	}
	if n := top["resources"]; n != nil {
		l.resources(p, n)
	}
	if n := top["roles"]; n != nil {
		l.roles(p, n)
	}
	if n := top["condition_sets"]; n != nil {
		l.conditionSets(p, n)
	}
	if n := top["users"]; n != nil {
		l.users(p, n)
	}
	p.rulesByPerm = make([][]*setRule, len(p.perms))
	if n := top["set_rules"]; n != nil {
		l.setRules(p, n)
	}
	return p
}
