// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
)

// fuzzOps are the comparison operators a choice answers.
var fuzzOps = []string{"==", "!=", "<", "<=", ">", ">="}

// fuzzPaths are where the tested value sits, or paths that miss it, lead
// through it, or are served from the request.
var fuzzPaths = []string{
	"params.arguments.v", "params.arguments.v.w", "token.sub", "token.roles", "token.a.b",
	"params.name", "params.uri", "params.arguments.missing", "token.missing",
}

// fuzzBranches are the then and else literals of a ternary.
var fuzzBranches = []string{"'a'", "'b'", "1", "2u", "1.5", "true", "false", "null", "''", "-0.0"}

// celLiteral writes the literal of kind k from the fuzzer's values; ok is
// false when there is none (the double is not finite).
func celLiteral(k uint8, i int64, u uint64, f float64, s string) (string, bool) {
	switch k % 6 {
	case 0:
		return strconv.FormatInt(i, 10), true
	case 1:
		return strconv.FormatUint(u, 10) + "u", true
	case 2:
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", false
		}
		lit := strconv.FormatFloat(f, 'e', -1, 64)
		if math.Signbit(f) {
			// The parser folds a negated literal into a negative one.
			lit = "-" + strconv.FormatFloat(-f, 'e', -1, 64)
		}
		return lit, true
	case 3:
		// CEL's escapes are Go's for the runes strconv writes; \x in CEL
		// names a code point, not a byte, so keep to valid UTF-8.
		if !utf8.ValidString(s) {
			return "", false
		}
		return strconv.Quote(s), true
	case 4:
		return strconv.FormatBool(i%2 == 0), true
	}
	return "null", true
}

// FuzzChoiceMatchesCEL builds conditions of every shape a choice answers
// from a literal of every CEL kind and a JSON value of every kind, at the
// path or around it, and checks that whenever the choice answers, its
// answer (value, string, error-ness) is the CEL program's.
func FuzzChoiceMatchesCEL(f *testing.F) {
	env, err := newEnv(DefaultMaxExpressionBytes)
	if err != nil {
		f.Fatal(err)
	}
	c := &compiler{env: env, cost: DefaultCostLimit, maxExprs: math.MaxInt}
	type seed struct {
		shape, op, path, litKind uint8
		i                        int64
		u                        uint64
		fl                       float64
		s, value                 string
	}
	values := []string{
		`0`, `-0`, `-0.0`, `1`, `2`, `1.5`, `9007199254740992`, `9007199254740993`, `-9007199254740993`,
		`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
		`18446744073709551615`, `18446744073709551616`, `5e-324`, `1e-400`, `1.7976931348623157e308`,
		`1e400`, `-1e400`, `""`, `"USD"`, `"é"`, `"10"`, `"1e3"`, `"\u0000"`, `true`, `false`, `null`,
		`[]`, `["a"]`, `["a",1,null,true]`, `[1,2.5,"1"]`, `[["a"]]`, `[{"w":"a"},"a"]`, `["a",{}]`,
		`[9007199254740993]`, `[-0]`, `{}`, `{"w":"a"}`, `{"w":1}`, `{"w":null}`, `{"w":["a"]}`,
	}
	lits := []seed{
		{litKind: 0, i: 0}, {litKind: 0, i: 1 << 53}, {litKind: 0, i: 1<<53 + 1}, {litKind: 0, i: -(1<<53 + 1)},
		{litKind: 0, i: math.MaxInt64}, {litKind: 0, i: math.MinInt64}, {litKind: 1, u: math.MaxUint64},
		{litKind: 1, u: 1<<63 + 1}, {litKind: 1, u: 2}, {litKind: 2, fl: math.Copysign(0, -1)},
		{litKind: 2, fl: 5e-324}, {litKind: 2, fl: 1.5}, {litKind: 2, fl: 9223372036854775808},
		{litKind: 2, fl: 18446744073709551616}, {litKind: 2, fl: -1e308}, {litKind: 3, s: ""},
		{litKind: 3, s: "a"}, {litKind: 3, s: "é"}, {litKind: 3, s: "10"}, {litKind: 4, i: 0}, {litKind: 5},
	}
	// Every value with every literal kind, spread over the shapes,
	// operators and paths by a counter (so each choice is exercised).
	k := 0
	for _, v := range values {
		for j, l := range lits {
			if j%2 != k%2 {
				continue
			}
			l.value, l.shape, l.op, l.path = v, uint8(k%24), uint8(k*37/5), uint8(k*53%len(fuzzPaths)+k/len(fuzzPaths)*len(fuzzPaths))
			f.Add(l.shape, l.op, l.path, l.litKind, l.i, l.u, l.fl, l.s, l.value)
			k++
		}
	}
	f.Fuzz(func(t *testing.T, shape, op, path, litKind uint8, i int64, u uint64, fl float64, s, value string) {
		lit, ok := celLiteral(litKind, i, u, fl, s)
		if !ok {
			return
		}
		p := fuzzPaths[int(path)%len(fuzzPaths)]
		var test string
		switch shape % 3 {
		case 0:
			test = p + " " + fuzzOps[int(op)%len(fuzzOps)] + " " + lit
		case 1:
			test = lit + " " + fuzzOps[int(op)%len(fuzzOps)] + " " + p
		default:
			if op%2 == 0 {
				test = p + ".exists(x, x == " + lit + ")"
			} else {
				test = p + ".exists(x, " + lit + " == x)"
			}
		}
		if shape/3%2 == 1 {
			test += " ? " + fuzzBranches[int(op/8)%len(fuzzBranches)] + " : " + fuzzBranches[int(path/16)%len(fuzzBranches)]
		}
		n, err := c.expr("$"+test, "x")
		if err != nil {
			return // not a CEL expression (a literal out of range, say)
		}
		if n.choice == nil {
			return
		}
		v, err := decodeStrict([]byte(value))
		if err != nil {
			return
		}
		if shape/6%2 == 1 {
			// Numbers as float64, as a decoder without UseNumber gives
			// them (not every caller's claims are json.Number).
			var fv any
			if json.Unmarshal([]byte(value), &fv) != nil {
				return
			}
			v = fv
		}
		name := "transfer_funds"
		if shape/12%2 == 1 {
			name = s
		}
		for _, r := range []*mcpauth.Request{nil, {Method: mcpauth.MethodToolsCall, Name: name, Arguments: map[string]any{"v": v}}} {
			newIn := func() *inputs {
				return &inputs{r: r, paramsDone: r == nil,
					params: map[string]any{"name": name, "uri": v, "arguments": map[string]any{"v": v}},
					token:  map[string]any{"sub": v, "roles": v, "a": v}}
			}
			chV, _, _, ok := n.choose(newIn())
			if !ok {
				continue
			}
			chS, chSPresent, chSErr := n.evalString(newIn())
			choice := n.choice
			n.choice = nil
			celV, celPresent, celErr := n.eval(newIn())
			celS, celSPresent, celSErr := n.evalString(newIn())
			n.choice = choice
			if celErr != nil || !celPresent || !cmp.Equal(chV, celV) {
				t.Errorf("%s with %s (request %v): choice %#v, CEL %#v present %v error %v", test, value, r != nil, chV, celV, celPresent, celErr)
			}
			if chS != celS || chSPresent != celSPresent || (chSErr == nil) != (celSErr == nil) {
				t.Errorf("%s with %s (request %v): choice string %q %v %v, CEL %q %v %v", test, value, r != nil, chS, chSPresent, chSErr, celS, celSPresent, celSErr)
			}
		}
	})
}
