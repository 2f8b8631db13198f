// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// This file compiles resources, their actions, and roles with their
// permissions and inheritance (with cycle detection).

package policy

import (
	"slices"
	"strconv"
	"strings"
)

// roleDraft is a role between decoding and closure.
type roleDraft struct {
	r       *role
	extends []string
	extOffs []int
	path    string
	keyOff  int
}

func (l *loader) resources(p *Policy, n *node) {
	for _, m := range l.entries(n, "resources") {
		path := child("resources", m.key)
		if m.key == "" {
			l.errorf(m.keyOff, path, "resource type must not be empty")
			continue
		}
		f := l.fields(m.val, path, "description", "actions", "attributes")
		if f == nil {
			l.broken["resource "+m.key] = true
			continue
		}
		r := &resource{key: m.key, actions: make(map[string]int), attrs: map[string]attrType{}}
		p.resources[m.key] = r
		if d := f["description"]; d != nil {
			l.want(d, jsonString, child(path, "description"))
		}
		if a := f["actions"]; a != nil {
			for _, act := range l.strings(a, child(path, "actions"), "action") {
				r.actions[act] = len(p.perms)
				p.perms = append(p.perms, permission{resource: m.key, action: act})
			}
		} else {
			l.errorf(m.val.off, path, "missing field \"actions\"")
		}
		if a := f["attributes"]; a != nil {
			r.attrs = l.declarations(a, child(path, "attributes"), builtins[sideResource])
		}
	}
}

// permission resolves "resource:action" to a permission index.
func (l *loader) permission(p *Policy, n *node, path string) (int, bool) {
	s, ok := l.str(n, path)
	if !ok {
		return 0, false
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		l.errorf(n.off, path, "permission %q must have the form \"resource:action\"", s)
		return 0, false
	}
	res, act := s[:i], s[i+1:]
	r := p.resources[res]
	if r == nil {
		if !l.broken["resource "+res] {
			l.errorf(n.off, path, "permission %q names undeclared resource %q", s, res)
		}
		return 0, false
	}
	id, ok := r.actions[act]
	if !ok {
		l.errorf(n.off, path, "permission %q names action %q, which resource %q does not declare", s, act, res)
		return 0, false
	}
	return id, true
}

func (l *loader) roles(p *Policy, n *node) {
	var drafts []*roleDraft
	for _, m := range l.entries(n, "roles") {
		path := child("roles", m.key)
		if m.key == "" {
			l.errorf(m.keyOff, path, "role key must not be empty")
			continue
		}
		f := l.fields(m.val, path, "description", "permissions", "extends")
		if f == nil {
			l.broken["role "+m.key] = true
			continue
		}
		r := &role{key: m.key, index: len(p.roles)}
		p.roles = append(p.roles, r)
		p.roleByKey[m.key] = r
		d := &roleDraft{r: r, path: path, keyOff: m.keyOff}
		drafts = append(drafts, d)
		if x := f["description"]; x != nil {
			l.want(x, jsonString, child(path, "description"))
		}
		if x := f["permissions"]; x != nil && l.want(x, jsonArray, child(path, "permissions")) {
			for i, e := range x.elems {
				id, ok := l.permission(p, e, index(child(path, "permissions"), i))
				if !ok {
					continue
				}
				if slices.Contains(r.direct, id) {
					l.errorf(e.off, index(child(path, "permissions"), i), "duplicate permission %q", e.str)
					continue
				}
				r.direct = append(r.direct, id)
			}
		}
		if x := f["extends"]; x != nil && l.want(x, jsonArray, child(path, "extends")) {
			for i, e := range x.elems {
				if s, ok := l.str(e, index(child(path, "extends"), i)); ok {
					d.extends = append(d.extends, s)
					d.extOffs = append(d.extOffs, e.off)
				}
			}
		}
	}
	nRoles, nPerms := len(p.roles), len(p.perms)
	// Resolve extends and detect cycles before computing closures.
	edges := make([][]int, nRoles)
	for _, d := range drafts {
		for i, key := range d.extends {
			target := p.roleByKey[key]
			if target == nil {
				if l.broken["role "+key] {
					continue
				}
				l.errorf(d.extOffs[i], index(child(d.path, "extends"), i), "unknown role %q", key)
				continue
			}
			edges[d.r.index] = append(edges[d.r.index], target.index)
		}
	}
	for _, d := range drafts {
		for _, j := range edges[d.r.index] {
			if reaches(edges, j, d.r.index) {
				l.errorf(d.keyOff, d.path, "roles extend each other in a cycle: %s", cycleText(p, edges, d.r.index))
				break
			}
		}
	}
	for _, r := range p.roles {
		r.includes = newBitset(nRoles)
		r.perms = newBitset(nPerms)
	}
	for _, r := range p.roles {
		// Depth-first closure; cycles were reported and are cut here.
		seen := newBitset(nRoles)
		stack := []int{r.index}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen.has(i) {
				continue
			}
			seen.set(i)
			r.includes.set(i)
			for _, id := range p.roles[i].direct {
				r.perms.set(id)
			}
			stack = append(stack, edges[i]...)
		}
	}
}

// reaches reports whether role to is reachable from role from.
func reaches(edges [][]int, from, to int) bool {
	seen := make(map[int]bool)
	stack := []int{from}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i == to {
			return true
		}
		if seen[i] {
			continue
		}
		seen[i] = true
		stack = append(stack, edges[i]...)
	}
	return false
}

// cycleText names the roles of a cycle through role start, e.g.
// `"A" -> "B" -> "A"`.
func cycleText(p *Policy, edges [][]int, start int) string {
	names := []string{strconv.Quote(p.roles[start].key)}
	cur := start
	for range len(edges) {
		next := -1
		for _, j := range edges[cur] {
			if reaches(edges, j, start) {
				next = j
				break
			}
		}
		if next < 0 {
			break
		}
		names = append(names, strconv.Quote(p.roles[next].key))
		if next == start {
			break
		}
		cur = next
	}
	return strings.Join(names, " -> ")
}
