// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// A choice gives what the CEL program gives, for every input it answers,
// and leaves to CEL (and its errors) every input it does not: hostile
// inputs included (wrong types, missing keys, nulls, nested values,
// numbers CEL reads as strings, lists at and over the size hint).
func TestChoiceMatchesCEL(t *testing.T) {
	env, err := newEnv(DefaultMaxExpressionBytes)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{env: env, cost: DefaultCostLimit, maxExprs: 1000}
	exprs := []string{
		"$token.roles.exists(r, r == 'treasury') ? 'treasury_user' : 'standard_user'",
		"$token.roles.exists(r, 'treasury' == r)",
		"$token.roles.exists(r, r == 2)",
		"$token.roles.exists(r, r == null) ? 1.0 : 2.5",
		"$params.arguments.v == 'USD' ? 'domestic' : 'international'",
		"$params.arguments.v != 'USD'",
		"$params.arguments.v > 10000 ? 'high' : 'standard'",
		"$10000 <= params.arguments.v ? 'high' : 'standard'",
		"$params.arguments.v < 1.5",
		"$params.arguments.v >= 'm'",
		"$params.arguments.v == true ? true : false",
		"$params.arguments.v == null ? 'null' : 'x'",
		"$params.arguments.v == 2u",
		"$params.arguments.v.w == 'x' ? 'a' : 'b'",
		"$params.name == 'transfer_funds' ? 'a' : 'b'",
		"$token.sub == 'alice' ? 'a' : 'b'",
	}
	many := make([]any, 1500)
	for i := range many {
		many[i] = "staff"
	}
	many[len(many)-1] = "treasury"
	values := []any{
		"USD", "EUR", "", "m", "treasury", json.Number("15000"), json.Number("10000"), json.Number("1.5"),
		json.Number("-0"), json.Number("2"), json.Number("1e400"), json.Number("x"), json.Number("NaN"),
		15000.0, math.Inf(1), math.NaN(), true, false, nil, 3, int64(2), uint(2), []string{"treasury"},
		map[string]any{"w": "x"}, map[string]any{}, []any{}, []any{"treasury"}, []any{"staff", "treasury"},
		[]any{map[string]any{}, "treasury"}, []any{"treasury", map[string]any{}}, []any{json.Number("2"), nil},
		[]any{2.0, true}, []any{[]any{"treasury"}}, many, many[:1024],
	}
	handled := map[string]int{}
	for _, expr := range exprs {
		n, err := c.expr(expr, "x")
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if n.choice == nil {
			t.Errorf("%s: not taken for a choice", expr)
			continue
		}
		for _, v := range values {
			for _, r := range []*mcpauth.Request{nil, {Method: mcpauth.MethodToolsCall, Name: "transfer_funds", Arguments: map[string]any{"v": v}}} {
				args := map[string]any{"v": v}
				in := &inputs{r: r, paramsDone: r == nil, params: map[string]any{"name": "transfer_funds", "arguments": args},
					token: map[string]any{"sub": v, "roles": v}}
				chV, _, _, ok := n.choose(in)
				chS, _, chSErr := n.evalString(in)
				if ok {
					handled[expr]++
				}
				choice := n.choice
				n.choice = nil
				in = &inputs{r: r, paramsDone: r == nil, params: map[string]any{"name": "transfer_funds", "arguments": args},
					token: map[string]any{"sub": v, "roles": v}}
				celV, celPresent, celErr := n.eval(in)
				celS, _, celSErr := n.evalString(in)
				n.choice = choice
				if !ok {
					continue
				}
				if celErr != nil || !celPresent || !reflect.DeepEqual(chV, celV) {
					t.Errorf("%s with %#v: choice %#v, CEL %#v %v %v", expr, v, chV, celV, celPresent, celErr)
				}
				if chS != celS || (chSErr == nil) != (celSErr == nil) {
					t.Errorf("%s with %#v: choice string %q %v, CEL %q %v", expr, v, chS, chSErr, celS, celSErr)
				}
			}
		}
	}
	// The common inputs are answered without CEL: a test that could pass
	// with every input left to CEL would prove nothing.
	for _, expr := range exprs {
		if handled[expr] < 2 {
			t.Errorf("%s: only %d inputs answered by the choice", expr, handled[expr])
		}
	}
	// Other shapes are not choices.
	for _, expr := range []string{
		"$token.roles.exists(r, r != 'treasury')", "$token.roles.all(r, r == 'treasury')",
		"$token.roles.exists_one(r, r == 'treasury')", "$token.roles.exists(r, token.sub == 'x')",
		"$token.?sub == optional.of('x')", "$params.arguments.a == params.arguments.b",
		"$params.arguments.a == 'x' ? params.arguments.b : 'y'", "$params.arguments['a'] == 'x'",
		"$params.arguments.a == ['x']", "$has(params.arguments.a) ? 'a' : 'b'", "$params.arguments.a.size() > 2",
		"$token.roles.exists(r, r == 'a' || r == 'b')", "$[1, 2].exists(r, r == 1)", "$'x' == 'x' ? 'a' : 'b'",
	} {
		n, err := c.expr(expr, "x")
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if n.choice != nil {
			t.Errorf("%s: taken for a choice", expr)
		}
	}
	// Over the size hint the cost-tracked program runs, and its limit
	// holds: the choice does not answer.
	small := &compiler{env: env, cost: 200, maxExprs: 1000}
	n, err := small.expr("$token.roles.exists(r, r == 'treasury') ? 'a' : 'b'", "x")
	if err != nil {
		t.Fatal(err)
	}
	if n.choice == nil {
		t.Fatal("not taken for a choice")
	}
	in := testInputs(nil, map[string]any{"roles": many})
	if _, _, _, ok := n.choose(in); ok {
		t.Error("the choice answered over the size hint")
	}
	if _, _, err := n.eval(in); err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Errorf("over the hint: got %v; want the cost limit exceeded", err)
	}
}
