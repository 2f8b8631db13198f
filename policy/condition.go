// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"strings"
)

// Operator names, as Permit spells them in condition sets.
const (
	OpEquals            = "equals"
	OpNotEquals         = "not-equals"
	OpGreaterThan       = "greater-than"
	OpGreaterThanEquals = "greater-than-equals"
	OpLessThan          = "less-than"
	OpLessThanEquals    = "less-than-equals"
	OpContains          = "contains"
	OpStartsWith        = "starts-with"
	OpIn                = "in"
	OpArrayContains     = "array_contains"
	OpArraySubset       = "array_subset"
	OpArraySuperset     = "array_superset"
	OpArrayIntersect    = "array_intersect"
	OpExists            = "exists"
)

type operator uint8

const (
	opEquals operator = iota + 1
	opNotEquals
	opGreaterThan
	opGreaterThanEquals
	opLessThan
	opLessThanEquals
	opContains
	opStartsWith
	opIn
	opArrayContains
	opArraySubset
	opArraySuperset
	opArrayIntersect
	opExists
)

var operators = map[string]operator{
	OpEquals:            opEquals,
	OpNotEquals:         opNotEquals,
	OpGreaterThan:       opGreaterThan,
	OpGreaterThanEquals: opGreaterThanEquals,
	OpLessThan:          opLessThan,
	OpLessThanEquals:    opLessThanEquals,
	OpContains:          opContains,
	OpStartsWith:        opStartsWith,
	OpIn:                opIn,
	OpArrayContains:     opArrayContains,
	OpArraySubset:       opArraySubset,
	OpArraySuperset:     opArraySuperset,
	OpArrayIntersect:    opArrayIntersect,
	OpExists:            opExists,
}

// attrType is a declared attribute type, with Permit's names.
type attrType uint8

const (
	typeString attrType = iota + 1
	typeNumber
	typeBool
	typeArray
	typeJSON
)

var attrTypes = map[string]attrType{
	"string": typeString,
	"number": typeNumber,
	"bool":   typeBool,
	"array":  typeArray,
	"json":   typeJSON,
}

func (t attrType) String() string {
	switch t {
	case typeString:
		return "string"
	case typeNumber:
		return "number"
	case typeBool:
		return "bool"
	case typeArray:
		return "array"
	}
	return "json"
}

// side says whose attributes a condition reads.
type side uint8

const (
	sideUser side = iota + 1
	sideResource
)

func (s side) String() string {
	if s == sideUser {
		return "user"
	}
	return "resource"
}

// builtin identifies the built-in fields user.key, resource.type,
// resource.key and resource.tenant.
type builtin uint8

const (
	builtinNone builtin = iota
	builtinUserKey
	builtinResourceType
	builtinResourceKey
	builtinResourceTenant
)

var builtins = map[side]map[string]builtin{
	sideUser:     {"key": builtinUserKey},
	sideResource: {"type": builtinResourceType, "key": builtinResourceKey, "tenant": builtinResourceTenant},
}

// tri is a three-valued truth value. maybe arises only in list-time checks,
// for conditions on attributes a call would supply.
type tri uint8

const (
	no tri = iota
	yes
	maybe
)

func (t tri) String() string {
	switch t {
	case yes:
		return "true"
	case maybe:
		return "unknown at list time"
	}
	return "false"
}

type condKind uint8

const (
	condLeaf condKind = iota
	condAll
	condAny
	condNot
)

// cond is a compiled condition tree.
type cond struct {
	kind condKind
	kids []*cond
	leaf *leaf
}

// leaf is one comparison: <side>.<name> <op> <value>.
type leaf struct {
	side    side
	name    string   // attribute name without the "user." / "resource." prefix
	segs    []string // name split at dots, when it has any
	builtin builtin
	op      operator
	val     scalar
	vals    []scalar
	want    bool // for exists
	// callSupplied marks a resource attribute that a tools/call or
	// prompts/get supplies from its arguments (the argument prefix, or the
	// nested "arguments" attribute).
	callSupplied bool
	text         string // "resource.arg_number greater-than 10"
}

// env is the input of one evaluation.
//
// It copies the check's fields instead of pointing at the check: the
// recursive evaluation makes the compiler assume env's contents escape,
// and a pointer would move every checked mcpauth.Check to the heap.
type env struct {
	userKey   string
	userAttrs map[string]any
	resType   string
	resKey    string
	resAttrs  map[string]any
	tenant    string
	stored    map[string]any // the user's attributes from the policy file
	listTime  bool
	trace     *[]string // records leaf results for Explain; nil otherwise
}

func (c *cond) eval(e *env) tri {
	switch c.kind {
	case condAll:
		out := yes
		for _, k := range c.kids {
			switch k.eval(e) {
			case no:
				if e.trace == nil {
					return no
				}
				out = no
			case maybe:
				if out == yes {
					out = maybe
				}
			}
		}
		return out
	case condAny:
		out := no
		for _, k := range c.kids {
			switch k.eval(e) {
			case yes:
				if e.trace == nil {
					return yes
				}
				out = yes
			case maybe:
				if out == no {
					out = maybe
				}
			}
		}
		return out
	case condNot:
		switch c.kids[0].eval(e) {
		case yes:
			return no
		case no:
			return yes
		}
		return maybe
	}
	return c.leaf.eval(e)
}

func (l *leaf) eval(e *env) tri {
	if e.listTime && l.callSupplied {
		if e.trace != nil {
			*e.trace = append(*e.trace, l.text+": unknown at list time (supplied by the call)")
		}
		return maybe
	}
	var ok, found bool
	var v any
	if l.builtin != builtinNone {
		// Built-ins are strings; testing them without boxing them in an
		// interface keeps the decision free of allocations.
		s := e.builtin(l.builtin)
		ok, found = l.testString(s), true
		if e.trace != nil {
			v = s
		}
	} else {
		v, found = e.lookup(l)
		ok = l.test(v, found)
	}
	if e.trace != nil {
		got := "missing"
		if found {
			got = "value " + describeValue(v)
		}
		res := "false"
		if ok {
			res = "true"
		}
		*e.trace = append(*e.trace, l.text+": "+res+" ("+got+")")
	}
	if ok {
		return yes
	}
	return no
}

func (e *env) builtin(b builtin) string {
	switch b {
	case builtinUserKey:
		return e.userKey
	case builtinResourceType:
		return e.resType
	case builtinResourceKey:
		return e.resKey
	}
	return e.tenant
}

// lookup finds a non-built-in attribute.
func (e *env) lookup(l *leaf) (any, bool) {
	if l.side == sideUser {
		if v, ok := lookupIn(e.userAttrs, l); ok {
			return v, true
		}
		return lookupIn(e.stored, l)
	}
	return lookupIn(e.resAttrs, l)
}

// testString is test for a string value that is always present.
func (l *leaf) testString(s string) bool {
	switch l.op {
	case opExists:
		return l.want
	case opEquals:
		return l.val.kind == kindString && l.val.s == s
	case opNotEquals:
		return l.val.kind == kindString && l.val.s != s
	case opContains:
		return strings.Contains(s, l.val.s)
	case opStartsWith:
		return strings.HasPrefix(s, l.val.s)
	case opIn:
		for _, x := range l.vals {
			if x.kind == kindString && x.s == s {
				return true
			}
		}
	}
	return false
}

// lookupIn finds l's attribute in m: the whole name first, then, for a
// dotted name, the path through nested objects ("jwt.email" reads
// m["jwt"]["email"]).
func lookupIn(m map[string]any, l *leaf) (any, bool) {
	if m == nil {
		return nil, false
	}
	if v, ok := m[l.name]; ok {
		return v, true
	}
	if l.segs == nil {
		return nil, false
	}
	var cur any = m
	for _, s := range l.segs {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[s]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// test applies the operator. A missing or null attribute satisfies only
// "exists": false; a value of the wrong type satisfies nothing.
func (l *leaf) test(v any, found bool) bool {
	if l.op == opExists {
		return (found && v != nil) == l.want
	}
	if !found || v == nil {
		return false
	}
	switch l.op {
	case opEquals:
		return l.val.equals(v)
	case opNotEquals:
		return l.val.sameKind(v) && !l.val.equals(v)
	case opGreaterThan, opGreaterThanEquals, opLessThan, opLessThanEquals:
		n, ok := toNumber(v)
		if !ok {
			return false
		}
		c := n.compare(l.val.n)
		switch l.op {
		case opGreaterThan:
			return c > 0
		case opGreaterThanEquals:
			return c >= 0
		case opLessThan:
			return c < 0
		default:
			return c <= 0
		}
	case opContains:
		s, ok := v.(string)
		return ok && strings.Contains(s, l.val.s)
	case opStartsWith:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, l.val.s)
	case opIn:
		return l.inVals(v)
	case opArrayContains:
		hit := false
		isArray := eachElem(v, func(e any) bool {
			hit = l.val.equals(e)
			return !hit
		})
		return isArray && hit
	case opArraySubset:
		all := true
		isArray := eachElem(v, func(e any) bool {
			all = l.inVals(e)
			return all
		})
		return isArray && all
	case opArraySuperset:
		for _, want := range l.vals {
			hit := false
			if !eachElem(v, func(e any) bool {
				hit = want.equals(e)
				return !hit
			}) || !hit {
				return false
			}
		}
		return true
	case opArrayIntersect:
		hit := false
		isArray := eachElem(v, func(e any) bool {
			hit = l.inVals(e)
			return !hit
		})
		return isArray && hit
	}
	return false
}

func (l *leaf) inVals(v any) bool {
	for _, s := range l.vals {
		if s.equals(v) {
			return true
		}
	}
	return false
}
