// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jsonscan"
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

// roleDraft is a role between decoding and closure.
type roleDraft struct {
	r       *role
	extends []string
	extOffs []int
	path    string
	keyOff  int
}

// setDraft is a condition set between decoding and parent resolution.
type setDraft struct {
	s         *condSet
	parent    string
	parentOff int
	path      string
}

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

func (l *loader) conditionSets(p *Policy, n *node) {
	var drafts []*setDraft
	for _, m := range l.entries(n, "condition_sets") {
		path := child("condition_sets", m.key)
		if m.key == "" {
			l.errorf(m.keyOff, path, "condition set key must not be empty")
			continue
		}
		f := l.fields(m.val, path, "description", "type", "resource", "parent", "conditions")
		if f == nil {
			l.broken["set "+m.key] = true
			continue
		}
		s := &condSet{key: m.key}
		d := &setDraft{s: s, path: path}
		if x := f["description"]; x != nil {
			l.want(x, jsonString, child(path, "description"))
		}
		l.broken["set "+m.key] = true // until it compiles
		t := f["type"]
		if t == nil {
			l.errorf(m.val.off, path, "missing field \"type\" (\"userset\" or \"resourceset\")")
			continue
		}
		typ, ok := l.str(t, child(path, "type"))
		if !ok {
			continue
		}
		cc := &condCtx{argPrefix: p.argPrefix}
		switch typ {
		case "userset":
			s.kind = sideUser
			cc.side, cc.decl, cc.owner = sideUser, p.userAttrs, "user_attributes"
			if x := f["resource"]; x != nil {
				l.errorf(x.off, child(path, "resource"), "a user set has no resource")
			}
		case "resourceset":
			s.kind = sideResource
			x := f["resource"]
			if x == nil {
				l.errorf(m.val.off, path, "missing field \"resource\": a resource set belongs to one resource type")
				continue
			}
			res, ok := l.str(x, child(path, "resource"))
			if !ok {
				continue
			}
			r := p.resources[res]
			if r == nil {
				if !l.broken["resource "+res] {
					l.errorf(x.off, child(path, "resource"), "undeclared resource %q", res)
				}
				continue
			}
			s.resource = res
			cc.side, cc.decl, cc.owner = sideResource, r.attrs, fmt.Sprintf("resource %q", res)
		default:
			l.errorf(t.off, child(path, "type"), "unknown condition set type %q (want \"userset\" or \"resourceset\")", typ)
			continue
		}
		if x := f["parent"]; x != nil {
			if key, ok := l.str(x, child(path, "parent")); ok {
				d.parent, d.parentOff = key, x.off
			}
		}
		x := f["conditions"]
		if x == nil {
			l.errorf(m.val.off, path, "missing field \"conditions\"")
			continue
		}
		s.own = l.condition(x, child(path, "conditions"), cc)
		if s.own == nil {
			continue
		}
		delete(l.broken, "set "+m.key)
		p.sets[m.key] = s
		drafts = append(drafts, d)
	}
	for _, d := range drafts {
		if d.parent == "" {
			continue
		}
		parent := p.sets[d.parent]
		switch {
		case parent == nil && l.broken["set "+d.parent]:
		case parent == nil:
			l.errorf(d.parentOff, child(d.path, "parent"), "unknown condition set %q", d.parent)
		case parent.kind != d.s.kind || parent.resource != d.s.resource:
			l.errorf(d.parentOff, child(d.path, "parent"), "parent %q is %s, not %s", d.parent, parent.describeKind(), d.s.describeKind())
		default:
			d.s.parent = parent
		}
	}
	// Detect parent cycles, then flatten each set's conditions with its
	// ancestors' (Permit ANDs a set with its parent).
	for _, d := range drafts {
		seen := map[*condSet]bool{}
		cycle := false
		for s := d.s; s != nil; s = s.parent {
			if seen[s] {
				cycle = true
				break
			}
			seen[s] = true
		}
		if cycle {
			l.errorf(d.parentOff, child(d.path, "parent"), "condition set %q is its own ancestor", d.s.key)
			d.s.parent = nil
		}
	}
	for _, s := range p.sets {
		all := []*cond{s.own}
		seen := map[*condSet]bool{s: true}
		for a := s.parent; a != nil && !seen[a]; a = a.parent {
			seen[a] = true
			all = append(all, a.own)
		}
		if len(all) == 1 {
			s.cond = s.own
		} else {
			s.cond = &cond{kind: condAll, kids: all}
		}
	}
}

// condCtx says what a condition tree may reference.
type condCtx struct {
	side      side
	decl      map[string]attrType
	owner     string // where attributes are declared, for messages
	argPrefix string
}

// condition compiles a condition tree: {"allOf": [...]}, {"anyOf": [...]},
// {"not": {...}} or {"<side>.<attribute>": {"<operator>": value}}.
func (l *loader) condition(n *node, path string, cc *condCtx) *cond {
	ms := l.entries(n, path)
	if n.kind != jsonObject {
		return nil
	}
	if len(ms) != 1 {
		l.errorf(n.off, path, "a condition must have exactly one key (\"allOf\", \"anyOf\", \"not\" or an attribute such as %q), got %d", cc.side.String()+".name", len(ms))
		return nil
	}
	m := ms[0]
	p := child(path, m.key)
	switch m.key {
	case "allOf", "anyOf":
		if !l.want(m.val, jsonArray, p) {
			return nil
		}
		if len(m.val.elems) == 0 {
			l.errorf(m.val.off, p, "%s must not be empty", m.key)
			return nil
		}
		c := &cond{kind: condAll}
		if m.key == "anyOf" {
			c.kind = condAny
		}
		ok := true
		for i, e := range m.val.elems {
			k := l.condition(e, index(p, i), cc)
			if k == nil {
				ok = false
				continue
			}
			c.kids = append(c.kids, k)
		}
		if !ok {
			return nil
		}
		return c
	case "not":
		k := l.condition(m.val, p, cc)
		if k == nil {
			return nil
		}
		return &cond{kind: condNot, kids: []*cond{k}}
	}
	lf := l.leaf(m, p, cc)
	if lf == nil {
		return nil
	}
	return &cond{kind: condLeaf, leaf: lf}
}

// applies lists the operators each declared type accepts.
var applies = map[attrType][]operator{
	typeString: {opEquals, opNotEquals, opIn, opContains, opStartsWith, opExists},
	typeNumber: {opEquals, opNotEquals, opIn, opGreaterThan, opGreaterThanEquals, opLessThan, opLessThanEquals, opExists},
	typeBool:   {opEquals, opNotEquals, opIn, opExists},
	typeArray:  {opArrayContains, opArraySubset, opArraySuperset, opArrayIntersect, opExists},
	typeJSON:   {opExists},
}

func (l *loader) leaf(m member, path string, cc *condCtx) *leaf {
	ref := m.key
	sideName, name, ok := strings.Cut(ref, ".")
	var sd side
	switch {
	case ok && sideName == "user":
		sd = sideUser
	case ok && sideName == "resource":
		sd = sideResource
	}
	if sd == 0 || name == "" {
		l.errorf(m.keyOff, path, "unknown condition key %q (want \"allOf\", \"anyOf\", \"not\" or an attribute such as %q)", ref, cc.side.String()+".name")
		return nil
	}
	if sd != cc.side {
		l.errorf(m.keyOff, path, "a %s set may only test %s attributes, got %q", cc.side, cc.side, ref)
		return nil
	}
	lf := &leaf{side: sd, name: name, builtin: builtins[sd][name]}
	if strings.Contains(name, ".") {
		lf.segs = strings.Split(name, ".")
	}
	// The declared type, when the attribute is declared; 0 means any.
	var t attrType
	switch {
	case lf.builtin != builtinNone:
		t = typeString
	case len(cc.decl) > 0:
		var ok bool
		if t, ok = cc.decl[name]; !ok {
			if first, _, _ := strings.Cut(name, "."); lf.segs != nil && cc.decl[first] == typeJSON {
				t = 0 // inside a json attribute: any type
			} else {
				l.errorf(m.keyOff, path, "attribute %q is not declared in %s", name, cc.owner)
				return nil
			}
		}
	}
	if sd == sideResource && lf.builtin == builtinNone {
		lf.callSupplied = strings.HasPrefix(name, cc.argPrefix) || name == "arguments" || strings.HasPrefix(name, "arguments.")
	}

	ops := l.entries(m.val, path)
	if m.val.kind != jsonObject {
		return nil
	}
	if len(ops) != 1 {
		l.errorf(m.val.off, path, "want exactly one operator, got %d", len(ops))
		return nil
	}
	opName, v := ops[0].key, ops[0].val
	opPath := child(path, opName)
	op, ok := operators[opName]
	if !ok {
		if strings.HasSuffix(opName, "-ref") || opName == "ref" {
			l.errorf(ops[0].keyOff, opPath, "reference operator %q is not supported", opName)
		} else {
			l.errorf(ops[0].keyOff, opPath, "unknown operator %q", opName)
		}
		return nil
	}
	lf.op = op
	if t != 0 && !slices.Contains(applies[t], op) {
		l.errorf(ops[0].keyOff, opPath, "operator %q does not apply to %s.%s, which is declared as %s", opName, sd, name, t)
		return nil
	}
	var b strings.Builder
	b.WriteString(ref)
	b.WriteByte(' ')
	b.WriteString(opName)
	b.WriteByte(' ')
	switch op {
	case opExists:
		if !l.want(v, jsonBool, opPath) {
			return nil
		}
		lf.want = v.boolean
		b.WriteString(strconv.FormatBool(v.boolean))
	case opIn, opArraySubset, opArraySuperset, opArrayIntersect:
		if !l.want(v, jsonArray, opPath) {
			return nil
		}
		if op == opIn && len(v.elems) == 0 {
			l.errorf(v.off, opPath, "operator %q needs at least one value", opName)
			return nil
		}
		b.WriteByte('[')
		for i, e := range v.elems {
			s, ok := l.scalar(e, index(opPath, i), opName, elemType(t))
			if !ok {
				return nil
			}
			if i > 0 {
				b.WriteString(", ")
			}
			s.render(&b)
			lf.vals = append(lf.vals, s)
		}
		b.WriteByte(']')
	default:
		s, ok := l.scalar(v, opPath, opName, elemType(t))
		if !ok {
			return nil
		}
		switch {
		case (op == opContains || op == opStartsWith) && s.kind != kindString:
			l.errorf(v.off, opPath, "operator %q needs a string, got %s", opName, v.kind)
			return nil
		case (op == opGreaterThan || op == opGreaterThanEquals || op == opLessThan || op == opLessThanEquals) && s.kind != kindNumber:
			l.errorf(v.off, opPath, "operator %q needs a number, got %s", opName, v.kind)
			return nil
		}
		lf.val = s
		s.render(&b)
	}
	lf.text = b.String()
	return lf
}

// elemType is the type a scalar operand must have: the declared scalar
// type, or 0 (any) for array attributes and undeclared ones.
func elemType(t attrType) attrType {
	switch t {
	case typeString, typeNumber, typeBool:
		return t
	}
	return 0
}

// scalar decodes a string, number or boolean operand, of type want when
// want is not 0.
func (l *loader) scalar(n *node, path, opName string, want attrType) (scalar, bool) {
	var s scalar
	switch n.kind {
	case jsonString:
		s = scalar{kind: kindString, s: n.str}
	case jsonBool:
		s = scalar{kind: kindBool, b: n.boolean}
	case jsonNumber:
		num, ok := parseNumber(n.str)
		if !ok {
			l.errorf(n.off, path, "number %s is out of range", n.str)
			return s, false
		}
		s = scalar{kind: kindNumber, n: num}
	default:
		l.errorf(n.off, path, "operator %q needs a string, number or boolean operand, got %s", opName, n.kind)
		return s, false
	}
	if want != 0 && scalarType(s.kind) != want {
		l.errorf(n.off, path, "type mismatch: the attribute is declared as %s, got %s", want, n.kind)
		return s, false
	}
	return s, true
}

func scalarType(k scalarKind) attrType {
	switch k {
	case kindString:
		return typeString
	case kindNumber:
		return typeNumber
	}
	return typeBool
}

func (l *loader) users(p *Policy, n *node) {
	for _, m := range l.entries(n, "users") {
		path := child("users", m.key)
		if m.key == "" {
			l.errorf(m.keyOff, path, "user key must not be empty")
			continue
		}
		f := l.fields(m.val, path, "description", "attributes", "roles")
		if f == nil {
			continue
		}
		u := &user{key: m.key}
		p.users[m.key] = u
		if x := f["description"]; x != nil {
			l.want(x, jsonString, child(path, "description"))
		}
		if x := f["attributes"]; x != nil {
			u.attrs = l.userAttributes(p, x, child(path, "attributes"))
		}
		x := f["roles"]
		if x == nil || !l.want(x, jsonArray, child(path, "roles")) {
			continue
		}
		for i, e := range x.elems {
			l.assignment(p, u, e, index(child(path, "roles"), i))
		}
	}
}

// userAttributes decodes a user's stored attributes, checking them against
// user_attributes when that declares any.
func (l *loader) userAttributes(p *Policy, n *node, path string) map[string]any {
	out := make(map[string]any)
	for _, m := range l.entries(n, path) {
		mp := child(path, m.key)
		if _, ok := builtins[sideUser][m.key]; ok {
			l.errorf(m.keyOff, mp, "attribute %q is built in", m.key)
			continue
		}
		if len(p.userAttrs) > 0 {
			t, ok := p.userAttrs[m.key]
			if !ok {
				l.errorf(m.keyOff, mp, "attribute %q is not declared in user_attributes", m.key)
				continue
			}
			if !fits(m.val, t) {
				l.errorf(m.val.off, mp, "type mismatch: the attribute is declared as %s, got %s", t, m.val.kind)
				continue
			}
		}
		out[m.key], _ = jsonscan.Value(l.src, m.val.off)
	}
	return out
}

// fits reports whether a value has a declared type (null fits any).
func fits(n *node, t attrType) bool {
	switch n.kind {
	case jsonNull:
		return true
	case jsonString:
		return t == typeString || t == typeJSON
	case jsonNumber:
		return t == typeNumber || t == typeJSON
	case jsonBool:
		return t == typeBool || t == typeJSON
	case jsonArray:
		return t == typeArray || t == typeJSON
	}
	return t == typeJSON
}

// assignment decodes one role assignment: "Role" (tenant "default") or
// {"role": "Role", "tenant": "t", "resource_instance": "type:key"}.
func (l *loader) assignment(p *Policy, u *user, n *node, path string) {
	tenant, roleKey := mcpauth.DefaultTenant, ""
	var roleNode, instNode *node
	switch n.kind {
	case jsonString:
		roleNode = n
	case jsonObject:
		f := l.fields(n, path, "role", "tenant", "resource_instance")
		roleNode = f["role"]
		if roleNode == nil {
			l.errorf(n.off, path, "missing field \"role\"")
			return
		}
		if x := f["tenant"]; x != nil {
			t, ok := l.str(x, child(path, "tenant"))
			if !ok {
				return
			}
			tenant = t
		}
		instNode = f["resource_instance"]
	default:
		l.errorf(n.off, path, "want a role key or an object, got %s", n.kind)
		return
	}
	rp := path
	if n.kind == jsonObject {
		rp = child(path, "role")
	}
	roleKey, ok := l.str(roleNode, rp)
	if !ok {
		return
	}
	r := p.roleByKey[roleKey]
	if r == nil {
		if !l.broken["role "+roleKey] {
			l.errorf(roleNode.off, rp, "unknown role %q", roleKey)
		}
		return
	}
	if instNode == nil {
		u.assign(tenant, r, p)
		return
	}
	ip := child(path, "resource_instance")
	inst, ok := l.str(instNode, ip)
	if !ok {
		return
	}
	typ, key, found := strings.Cut(inst, ":")
	if !found || typ == "" || key == "" {
		l.errorf(instNode.off, ip, "resource instance %q must have the form \"type:key\"", inst)
		return
	}
	if p.resources[typ] == nil {
		l.errorf(instNode.off, ip, "resource instance %q names undeclared resource %q", inst, typ)
		return
	}
	u.assignInstance(instanceKey{tenant: tenant, typ: typ, key: key}, r, p)
}

func (l *loader) setRules(p *Policy, n *node) {
	if !l.want(n, jsonArray, "set_rules") {
		return
	}
	for i, e := range n.elems {
		path := index("set_rules", i)
		f := l.fields(e, path, "description", "role", "user_set", "permission", "resource_set")
		if f == nil {
			continue
		}
		r := &setRule{index: i}
		if x := f["description"]; x != nil {
			l.want(x, jsonString, child(path, "description"))
		}
		roleNode, userSetNode := f["role"], f["user_set"]
		switch {
		case roleNode != nil && userSetNode != nil:
			l.errorf(userSetNode.off, child(path, "user_set"), "a set rule has either \"role\" or \"user_set\", not both")
			continue
		case roleNode == nil && userSetNode == nil:
			l.errorf(e.off, path, "missing field \"role\" or \"user_set\"")
			continue
		case roleNode != nil:
			key, ok := l.str(roleNode, child(path, "role"))
			if !ok {
				continue
			}
			if r.role = p.roleByKey[key]; r.role == nil {
				if !l.broken["role "+key] {
					l.errorf(roleNode.off, child(path, "role"), "unknown role %q", key)
				}
				continue
			}
		default:
			key, ok := l.str(userSetNode, child(path, "user_set"))
			if !ok {
				continue
			}
			s := p.sets[key]
			switch {
			case s == nil && l.broken["set "+key]:
				continue
			case s == nil:
				l.errorf(userSetNode.off, child(path, "user_set"), "unknown condition set %q", key)
				continue
			case s.kind != sideUser:
				l.errorf(userSetNode.off, child(path, "user_set"), "condition set %q is a resource set, not a user set", key)
				continue
			}
			r.userSet = s
		}
		pn := f["permission"]
		if pn == nil {
			l.errorf(e.off, path, "missing field \"permission\"")
			continue
		}
		id, ok := l.permission(p, pn, child(path, "permission"))
		if !ok {
			continue
		}
		r.perm = id
		if x := f["resource_set"]; x != nil {
			key, ok := l.str(x, child(path, "resource_set"))
			if !ok {
				continue
			}
			s := p.sets[key]
			switch {
			case s == nil && l.broken["set "+key]:
				continue
			case s == nil:
				l.errorf(x.off, child(path, "resource_set"), "unknown condition set %q", key)
				continue
			case s.kind != sideResource:
				l.errorf(x.off, child(path, "resource_set"), "condition set %q is a user set, not a resource set", key)
				continue
			case s.resource != p.perms[id].resource:
				l.errorf(x.off, child(path, "resource_set"), "resource set %q belongs to resource %q, but the permission is on %q", key, s.resource, p.perms[id].resource)
				continue
			}
			r.resourceSet = s
		} else if r.role != nil {
			l.errorf(e.off, path, "a set rule for role %q without a resource set is a plain role permission: list %q in roles.%s.permissions", r.role.key, p.perms[id].String(), r.role.key)
			continue
		}
		r.text = r.describe(p)
		p.rulesByPerm[id] = append(p.rulesByPerm[id], r)
		p.ruleCount++
	}
}
