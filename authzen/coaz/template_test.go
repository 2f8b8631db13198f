// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The selection fast path gives what the CEL interpreter gives: the same
// value, the same absence, an error in the same cases.
func TestSelectPathMatchesCEL(t *testing.T) {
	env, err := newEnv(DefaultMaxExpressionBytes)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{env: env, cost: DefaultCostLimit, maxExprs: 1000}
	in := &inputs{act: &vars{
		params: map[string]any{
			"name": "get_customer",
			"arguments": map[string]any{
				"id": "cust-1", "n": json.Number("12"), "f": json.Number("1.5e3"), "nul": nil,
				"list": []any{json.Number("1"), "a"}, "obj": map[string]any{"k": json.Number("2")}, "s": "str",
			},
		},
		token: map[string]any{"sub": "alice", "aud": []any{"x"}, "exp": json.Number("1750000000")},
	}}
	for _, expr := range []string{
		"$params.name", "$params.arguments.id", "$params.arguments.n", "$params.arguments.f",
		"$params.arguments.nul", "$params.arguments.list", "$params.arguments.obj", "$params.arguments.obj.k",
		"$params.arguments.missing", "$params.arguments.?missing", "$params.arguments.?id",
		"$params.missing.id", "$params.arguments.s.x", "$params.arguments.nul.x", "$params.arguments.list.x",
		"$token.sub", "$token.?client_id", "$token.aud", "$token.exp", "$token.sub.x",
	} {
		n, err := c.expr(expr, "x")
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if n.path == nil {
			t.Fatalf("%s: no fast path", expr)
		}
		fastV, fastOK, fastErr := n.eval(in)
		n.path = nil
		celV, celOK, celErr := n.eval(in)
		if (fastErr == nil) != (celErr == nil) || fastOK != celOK || !reflect.DeepEqual(fastV, celV) {
			t.Errorf("%s: fast path %v %v %v, CEL %v %v %v", expr, fastV, fastOK, fastErr, celV, celOK, celErr)
		}
	}
	for _, expr := range []string{"params.?a.b", "params['a']", "token.sub + 'x'", "params", "request.a", "params.a.?b.?c", "params.1a"} {
		if parsePath(expr) != nil {
			t.Errorf("%s: taken for a plain path", expr)
		}
	}
}
