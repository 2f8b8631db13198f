// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// This file holds the loader's helpers for walking the decoded JSON: typed
// field access, object members, string lists and attribute declarations,
// each reporting problems with their JSON path.

package policy

import (
	"regexp"
	"slices"
	"strconv"
)

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// child extends a JSON path with an object key.
func child(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func (l *loader) want(n *node, kind jsonKind, path string) bool {
	if n.kind != kind {
		l.errorf(n.off, path, "want %s, got %s", kind, n.kind)
		return false
	}
	return true
}

// entries returns the members of an object, reporting duplicate keys.
func (l *loader) entries(n *node, path string) []member {
	if !l.want(n, jsonObject, path) {
		return nil
	}
	seen := make(map[string]bool, len(n.members))
	out := make([]member, 0, len(n.members))
	for _, m := range n.members {
		if seen[m.key] {
			l.errorf(m.keyOff, child(path, m.key), "duplicate key %q", m.key)
			continue
		}
		seen[m.key] = true
		out = append(out, m)
	}
	return out
}

// fields returns an object's members by key, reporting unknown fields and
// duplicates. It returns nil when n is not an object.
func (l *loader) fields(n *node, path string, known ...string) map[string]*node {
	ms := l.entries(n, path)
	if n.kind != jsonObject {
		return nil
	}
	out := make(map[string]*node, len(ms))
	for _, m := range ms {
		if !slices.Contains(known, m.key) {
			l.errorf(m.keyOff, path, "unknown field %q", m.key)
			continue
		}
		out[m.key] = m.val
	}
	return out
}

// str decodes a non-empty string.
func (l *loader) str(n *node, path string) (string, bool) {
	if !l.want(n, jsonString, path) {
		return "", false
	}
	if n.str == "" {
		l.errorf(n.off, path, "must not be empty")
		return "", false
	}
	return n.str, true
}

// strings decodes an array of non-empty strings, reporting duplicates.
func (l *loader) strings(n *node, path, what string) []string {
	if !l.want(n, jsonArray, path) {
		return nil
	}
	var out []string
	for i, e := range n.elems {
		s, ok := l.str(e, index(path, i))
		if !ok {
			continue
		}
		if slices.Contains(out, s) {
			l.errorf(e.off, index(path, i), "duplicate %s %q", what, s)
			continue
		}
		out = append(out, s)
	}
	return out
}

// declarations decodes an attribute declaration object: name -> type.
func (l *loader) declarations(n *node, path string, reserved map[string]builtin) map[string]attrType {
	out := make(map[string]attrType)
	for _, m := range l.entries(n, path) {
		p := child(path, m.key)
		if m.key == "" {
			l.errorf(m.keyOff, p, "attribute name must not be empty")
			continue
		}
		if _, ok := reserved[m.key]; ok {
			l.errorf(m.keyOff, p, "attribute %q is built in and cannot be declared", m.key)
			continue
		}
		name, ok := l.str(m.val, p)
		if !ok {
			continue
		}
		t, ok := attrTypes[name]
		if !ok {
			l.errorf(m.val.off, p, "unknown attribute type %q (want string, number, bool, array or json)", name)
		}
		out[m.key] = t // 0 (any type) after an error, to report nothing twice
	}
	return out
}
