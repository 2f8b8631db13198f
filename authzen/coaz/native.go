// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// choice is an expression of the shapes declared mappings use for
// conditions, evaluated without the CEL interpreter:
//
//	test                  a bool
//	test ? then : else    then and else literals
//
// where test compares a plain selection path with a literal (==, !=, <,
// <=, >, >=, either side) or is path.exists(x, x == literal). It answers
// only the inputs whose result it is sure of: scalars as CEL reads decoded
// JSON (see scalarOf), a list for exists. Anything else (a wrong type, a
// missing key, a value CEL would fail on) is left to the CEL program, so
// errors, and so failing closed, stay CEL's own (TestChoiceMatchesCEL,
// FuzzChoiceMatchesCEL).
//
// Verified in cel-go v0.31.0 common/types (compare.go compareDoubleInt,
// compareDoubleUint; double.go, int.go, uint.go Equal and Compare) and the
// jsonAdapter (json.Number is Double, or String when it does not parse):
// CEL's range checks agree with float64 order, so comparing a JSON double
// with float64(int or uint literal) is exactly CEL's cross-type result.
type choice struct {
	path    *selectPath
	op      string  // an operator of package operators
	lit     scalar  // the literal compared with
	exists  bool    // test is path.exists(x, x == lit)
	ternary bool    // the expression is test ? then : else
	then    any     // the JSON value of then, boxed once
	els     any     // the JSON value of else
	thenS   string  // then as a string, when it is one
	elsS    string  // else as a string, when it is one
	strs    [2]bool // then, else are strings
}

// scalar kinds, as CEL reads a decoded JSON scalar.
const (
	scalarNone = iota // not a scalar choice handles
	scalarNull
	scalarBool
	scalarNum // a double; int and uint literals compare as doubles, as CEL's cross-type comparisons do
	scalarStr
)

type scalar struct {
	kind int
	b    bool
	f    float64
	s    string
}

// scalarOf reads v as the jsonAdapter makes CEL read it: json.Number is a
// double when it parses as one and a string otherwise. Values of any other
// Go type, and NaN or infinite doubles, are not handled (scalarNone).
func scalarOf(v any) scalar {
	switch v := v.(type) {
	case nil:
		return scalar{kind: scalarNull}
	case bool:
		return scalar{kind: scalarBool, b: v}
	case string:
		return scalar{kind: scalarStr, s: v}
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return scalar{kind: scalarStr, s: string(v)}
		}
		return numScalar(f)
	case float64:
		return numScalar(v)
	}
	return scalar{}
}

func numScalar(f float64) scalar {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return scalar{}
	}
	return scalar{kind: scalarNum, f: f}
}

// literalScalar converts a CEL literal.
func literalScalar(e celast.Expr) scalar {
	if e.Kind() != celast.LiteralKind {
		return scalar{}
	}
	switch v := e.AsLiteral().(type) {
	case types.Bool:
		return scalar{kind: scalarBool, b: bool(v)}
	case types.String:
		return scalar{kind: scalarStr, s: string(v)}
	case types.Int:
		return numScalar(float64(v))
	case types.Uint:
		return numScalar(float64(v))
	case types.Double:
		return numScalar(float64(v))
	case types.Null:
		return scalar{kind: scalarNull}
	}
	return scalar{}
}

// compare applies op to a and b: ok is false when CEL would not give a
// bool (an ordering of values of different kinds, or of nulls).
func compare(op string, a, b scalar) (result, ok bool) {
	switch op {
	case operators.Equals, operators.NotEquals:
		eq := a.kind == b.kind && a.b == b.b && a.f == b.f && a.s == b.s
		return eq == (op == operators.Equals), true
	}
	if a.kind != b.kind {
		return false, false
	}
	var c int
	switch a.kind {
	case scalarNum:
		switch {
		case a.f < b.f:
			c = -1
		case a.f > b.f:
			c = 1
		}
	case scalarStr:
		c = strings.Compare(a.s, b.s)
	default:
		return false, false
	}
	switch op {
	case operators.Less:
		return c < 0, true
	case operators.LessEquals:
		return c <= 0, true
	case operators.Greater:
		return c > 0, true
	default: // GreaterEquals
		return c >= 0, true
	}
}

// flipped is op with its operands swapped.
var flipped = map[string]string{
	operators.Equals: operators.Equals, operators.NotEquals: operators.NotEquals,
	operators.Less: operators.Greater, operators.LessEquals: operators.GreaterEquals,
	operators.Greater: operators.Less, operators.GreaterEquals: operators.LessEquals,
}

// newChoice recognizes a choice in a checked expression; nil otherwise.
func newChoice(ast *cel.Ast) *choice {
	a := ast.NativeRep()
	e := a.Expr()
	c := &choice{}
	if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == operators.Conditional {
		args := e.AsCall().Args()
		if len(args) != 3 {
			return nil
		}
		then, els := literalScalar(args[1]), literalScalar(args[2])
		if then.kind == scalarNone || els.kind == scalarNone {
			return nil
		}
		var err error
		if c.then, _, err = fromCEL(args[1].AsLiteral(), 0); err != nil {
			return nil
		}
		if c.els, _, err = fromCEL(args[2].AsLiteral(), 0); err != nil {
			return nil
		}
		c.thenS, c.strs[0] = c.then.(string)
		c.elsS, c.strs[1] = c.els.(string)
		c.ternary = true
		e = args[0]
	}
	if !c.test(a, e) {
		return nil
	}
	return c
}

// test recognizes the test.
func (c *choice) test(a *celast.AST, e celast.Expr) bool {
	switch e.Kind() {
	case celast.CallKind:
		call := e.AsCall()
		op, ok := flipped[call.FunctionName()]
		args := call.Args()
		if !ok || len(args) != 2 || call.IsMemberFunction() {
			return false
		}
		if c.path, c.lit = pathOf(args[0]), literalScalar(args[1]); c.path != nil && c.lit.kind != scalarNone {
			c.op = call.FunctionName()
			return true
		}
		if c.path, c.lit = pathOf(args[1]), literalScalar(args[0]); c.path != nil && c.lit.kind != scalarNone {
			c.op = op
			return true
		}
	case celast.ComprehensionKind:
		// The exists macro's expansion: init false, condition
		// @not_strictly_false(!accu), step accu || pred, result accu.
		comp := e.AsComprehension()
		accu := comp.AccuVar()
		isIdent := func(e celast.Expr, name string) bool {
			return e.Kind() == celast.IdentKind && e.AsIdent() == name
		}
		isCall := func(e celast.Expr, fn string, n int) bool {
			return e.Kind() == celast.CallKind && e.AsCall().FunctionName() == fn &&
				!e.AsCall().IsMemberFunction() && len(e.AsCall().Args()) == n
		}
		init, cond, step := comp.AccuInit(), comp.LoopCondition(), comp.LoopStep()
		if comp.HasIterVar2() || init.Kind() != celast.LiteralKind || init.AsLiteral() != types.False ||
			!isIdent(comp.Result(), accu) ||
			!isCall(cond, operators.NotStrictlyFalse, 1) || !isCall(cond.AsCall().Args()[0], operators.LogicalNot, 1) ||
			!isIdent(cond.AsCall().Args()[0].AsCall().Args()[0], accu) ||
			!isCall(step, operators.LogicalOr, 2) || !isIdent(step.AsCall().Args()[0], accu) {
			return false
		}
		if c.path = pathOf(comp.IterRange()); c.path == nil {
			return false
		}
		pred := step.AsCall().Args()[1]
		if !isCall(pred, operators.Equals, 2) {
			return false
		}
		pargs := pred.AsCall().Args()
		x := comp.IterVar()
		switch {
		case isIdent(pargs[0], x):
			c.lit = literalScalar(pargs[1])
		case isIdent(pargs[1], x):
			c.lit = literalScalar(pargs[0])
		default:
			return false
		}
		c.op, c.exists = operators.Equals, true
		return c.lit.kind != scalarNone
	}
	return false
}

// pathOf recognizes params.f(.f)* or token.f(.f)* in the AST.
func pathOf(e celast.Expr) *selectPath {
	var fields []string
	for e.Kind() == celast.SelectKind {
		s := e.AsSelect()
		if s.IsTestOnly() {
			return nil
		}
		fields = append(fields, s.FieldName())
		e = s.Operand()
	}
	if e.Kind() != celast.IdentKind || len(fields) == 0 {
		return nil
	}
	root := e.AsIdent()
	if root != "params" && root != "token" {
		return nil
	}
	p := &selectPath{root: root}
	for i := len(fields) - 1; i >= 0; i-- {
		p.fields = append(p.fields, fields[i])
	}
	return p
}

// eval evaluates the test; ok is false when the input is one choice leaves
// to the CEL program.
func (c *choice) eval(in *inputs) (result, ok bool) {
	var v any
	if s, ok := c.path.requestString(in); ok {
		v = s
	} else {
		var present bool
		var err error
		if v, present, err = c.path.eval(in); err != nil || !present {
			return false, false
		}
	}
	if !c.exists {
		s := scalarOf(v)
		if s.kind == scalarNone {
			return false, false
		}
		return compare(c.op, s, c.lit)
	}
	list, isList := v.([]any)
	if !isList {
		return false, false
	}
	// CEL stops at the first match; before it, elements other than
	// scalars (CEL's equality on lists and maps) are left to CEL.
	for _, e := range list {
		s := scalarOf(e)
		if s.kind == scalarNone {
			return false, false
		}
		if eq, _ := compare(operators.Equals, s, c.lit); eq {
			return true, true
		}
	}
	return false, true
}

// choose evaluates n's choice, when it has one and the conditions of its
// untracked program hold (the choice stands for that program): the JSON
// value, and the string when the value is one. ok is false when the CEL
// program must run.
func (n *node) choose(in *inputs) (v any, s string, isStr, ok bool) {
	c := n.choice
	if c == nil || n.fast == nil || !in.within(n.sized, n.maxSize) {
		return nil, "", false, false
	}
	t, ok := c.eval(in)
	switch {
	case !ok:
		return nil, "", false, false
	case !c.ternary:
		return t, "", false, true
	case t:
		return c.then, c.thenS, c.strs[0], true
	}
	return c.els, c.elsS, c.strs[1], true
}
