// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// This file compiles condition sets and their conditions: the boolean
// structure, the leaves (attribute, operator, operand) and their type checks.

package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// setDraft is a condition set between decoding and parent resolution.
type setDraft struct {
	s         *condSet
	parent    string
	parentOff int
	path      string
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
