// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// The selection fast path gives what the CEL interpreter gives: the same
// value, the same absence, an error in the same cases.
func TestSelectPathMatchesCEL(t *testing.T) {
	env, err := newEnv(DefaultMaxExpressionBytes)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{env: env, cost: DefaultCostLimit, maxExprs: 1000}
	in := &inputs{paramsDone: true,
		params: map[string]any{
			"name": "get_customer",
			"arguments": map[string]any{
				"id": "cust-1", "n": json.Number("12"), "f": json.Number("1.5e3"), "nul": nil,
				"list": []any{json.Number("1"), "a"}, "obj": map[string]any{"k": json.Number("2")}, "s": "str",
			},
		},
		token: map[string]any{"sub": "alice", "aud": []any{"x"}, "exp": json.Number("1750000000")},
	}
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

// testInputs returns inputs over a params map and a token, as Map builds
// them.
func testInputs(params, token map[string]any) *inputs {
	return &inputs{paramsDone: true, params: params, token: token}
}

// An expression whose cost CEL's estimate bounds runs without runtime cost
// tracking only while the inputs it sized are within the size hint; the
// result is the tracked program's, and over the hint the tracked program
// enforces the cost limit as before.
func TestUntrackedMatchesTracked(t *testing.T) {
	env, err := newEnv(DefaultMaxExpressionBytes)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{env: env, cost: DefaultCostLimit, maxExprs: 1000}
	roles := func(n int, last string) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = "role"
		}
		if n > 0 {
			l[n-1] = last
		}
		return l
	}
	params := map[string]any{"arguments": map[string]any{
		"currency": "USD", "amount": json.Number("15000"), "s": "héllo", "nested": map[string]any{"k": "v"},
		"list": []any{json.Number("1"), json.Number("2")}, "nul": nil,
	}, "ref": map[string]any{"type": "ref/prompt", "name": "p"}}
	tokens := []map[string]any{
		{"sub": "alice", "roles": roles(3, "treasury")},
		{"sub": "alice", "roles": roles(3, "staff")},
		{"sub": "alice", "roles": roles(1024, "treasury")}, // at the hint
		{"sub": "alice", "roles": "treasury"},              // wrong type
		{"sub": "alice"},                                   // missing
		{"sub": "alice", "roles": []any{json.Number("1"), nil, map[string]any{}}},
	}
	exprs := []string{
		"$token.roles.exists(r, r == 'treasury') ? 'treasury_user' : 'standard_user'",
		"$params.arguments.currency == 'USD' ? 'domestic' : 'international'",
		"$params.arguments.amount > 10000 ? 'high' : 'standard'",
		"$params.ref.type == 'ref/prompt' ? params.ref.name : params.ref.uri",
		"$params.arguments.s.size()",
		"$params.arguments.nested.k + token.sub",
		"$params.arguments.list.map(x, x * 2.0)",
		"$params.arguments.nul == null",
		"$params.arguments['missing']",
		"$params.arguments.s.x == 1",
		"$token.?roles.orValue([]).size()",
		"$params.arguments.size() + token.size()",
	}
	for _, expr := range exprs {
		n, err := c.expr(expr, "x")
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if n.fast == nil {
			t.Errorf("%s: no untracked program", expr)
			continue
		}
		for i, tok := range tokens {
			in := testInputs(params, tok)
			if !in.within(n.sized, n.maxSize) {
				t.Errorf("%s, token %d: inputs within the hint refused", expr, i)
			}
			fastV, fastOK, fastErr := n.eval(in)
			fast := n.fast
			n.fast = nil
			celV, celOK, celErr := n.eval(testInputs(params, tok))
			n.fast = fast
			if (fastErr == nil) != (celErr == nil) || fastOK != celOK || !reflect.DeepEqual(fastV, celV) {
				t.Errorf("%s, token %d: untracked %v %v %v, tracked %v %v %v", expr, i, fastV, fastOK, fastErr, celV, celOK, celErr)
			}
		}
	}
	// A comprehension whose cost depends on each element's size cannot be
	// bounded: it is always tracked.
	n, err := c.expr("$token.roles.exists(r, r.contains('x'))", "x")
	if err != nil {
		t.Fatal(err)
	}
	if n.fast != nil {
		t.Errorf("unbounded expression got an untracked program (sized %v)", n.sized)
	}
	// Over the hint, the tracked program runs and the cost limit holds.
	small := &compiler{env: env, cost: 200, maxExprs: 1000}
	n, err = small.expr("$token.roles.exists(r, r == 'treasury')", "x")
	if err != nil {
		t.Fatal(err)
	}
	if n.fast == nil || n.maxSize >= 1000 {
		t.Fatalf("got untracked %v with hint %d; want one with a small hint", n.fast != nil, n.maxSize)
	}
	if _, _, err := n.eval(testInputs(nil, map[string]any{"roles": roles(n.maxSize, "treasury")})); err != nil {
		t.Errorf("at the hint: %v", err)
	}
	in := testInputs(nil, map[string]any{"roles": roles(1000, "treasury")})
	if in.within(n.sized, n.maxSize) {
		t.Fatal("1000 roles taken as within the hint")
	}
	if _, _, err := n.eval(in); err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Errorf("over the hint: got %v; want the cost limit exceeded", err)
	}
}

// within measures what CEL's size measures, or more: list elements, map
// entries, string bytes (never fewer than code points); paths that lead
// nowhere have no size.
func TestWithin(t *testing.T) {
	token := map[string]any{
		"s":    "ééé", // 3 code points, 6 bytes
		"list": []any{1, 2, 3},
		"map":  map[string]any{"a": map[string]any{"b": "xyz"}},
		"num":  json.Number("123456789"),
		"nul":  nil,
	}
	tt := []struct {
		path []string
		max  int
		want bool
	}{
		{[]string{"token", "s"}, 6, true},
		{[]string{"token", "s"}, 5, false},
		{[]string{"token", "list"}, 3, true},
		{[]string{"token", "list"}, 2, false},
		{[]string{"token", "map"}, 1, true},
		{[]string{"token", "map", "a", "b"}, 2, false},
		{[]string{"token", "map", "a", "b"}, 3, true},
		{[]string{"token"}, 4, false},
		{[]string{"token"}, 5, true},
		{[]string{"token", "missing", "deeper"}, 0, true},
		{[]string{"token", "s", "through_a_string"}, 0, true},
		{[]string{"token", "list", "through_a_list"}, 0, true},
		{[]string{"token", "num"}, 0, true},
		{[]string{"token", "nul"}, 0, true},
		{[]string{"params", "arguments"}, 0, true},
	}
	for _, tc := range tt {
		if got := testInputs(nil, token).within([][]string{tc.path}, tc.max); got != tc.want {
			t.Errorf("%v within %d: got %v, want %v", tc.path, tc.max, got, tc.want)
		}
	}
	// A tools/call with decoded arguments is measured without decoding
	// params.
	call := &mcpauth.Request{Method: "tools/call", Name: strings.Repeat("n", 20),
		Arguments: map[string]any{"a": "x", "b": []any{1, 2, 3}, "c": nil}, Params: json.RawMessage(`[broken`)}
	for _, tc := range []struct {
		path []string
		max  int
		want bool
	}{
		{[]string{"params", "name"}, 19, false},
		{[]string{"params", "name"}, 20, true},
		{[]string{"params", "name", "x"}, 0, true},
		{[]string{"params", "arguments"}, 2, false},
		{[]string{"params", "arguments"}, 3, true},
		{[]string{"params", "arguments", "b"}, 2, false},
		{[]string{"params", "arguments", "b"}, 3, true},
		{[]string{"params"}, 1, false},
		{[]string{"params"}, 2, true},
	} {
		in := &inputs{r: call, token: token}
		if got := in.within([][]string{tc.path}, tc.max); got != tc.want || in.paramsDone {
			t.Errorf("tools/call %v within %d: got %v (params decoded %v), want %v", tc.path, tc.max, got, in.paramsDone, tc.want)
		}
	}
	// params that cannot be decoded are never within.
	in := &inputs{r: &mcpauth.Request{Method: "resources/read", Params: json.RawMessage(`[1]`)}, token: token}
	if in.within([][]string{{"params", "uri"}}, 10) {
		t.Error("undecodable params taken as within")
	}
}

// CEL reads a tools/call's params through toolParams, without a map, and
// gets exactly what it gets from the map paramsOf builds: values, absence,
// errors.
func TestToolParamsMatchesMap(t *testing.T) {
	env, err := newEnv(DefaultMaxExpressionBytes)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{env: env, cost: DefaultCostLimit, maxExprs: 1000}
	args := map[string]any{"id": "cust-1", "n": json.Number("12"), "list": []any{"a", json.Number("2")},
		"o": map[string]any{"k": map[string]any{"deep": "v"}}, "nul": nil, "customer-id": "c-9"}
	r := &mcpauth.Request{Method: "tools/call", Name: "get_customer", Arguments: args,
		Params: json.RawMessage(`{"name":"get_customer","arguments":{}}`)}
	token := map[string]any{"sub": "alice"}
	for _, expr := range []string{
		"$params.name", "$params.arguments", "$params.arguments.id", "$params.arguments['customer-id']",
		"$params.arguments.o.k.deep", "$params.arguments.n + 1.0", "$params.arguments.list[1]",
		"$params", "$params.size()", "$'name' in params", "$'x' in params", "$has(params.name)", "$has(params.x)",
		"$params.?x", "$params.?name", "$params.?arguments.?id", "$params.x", "$params['name']",
		"$params.map(k, k).size()", "$params.all(k, k in ['name', 'arguments'])", "$params.exists(k, k == 'arguments')", "$params == {'name': 'get_customer', 'arguments': params.arguments}",
		"$params != {}", "$string(params.name)", "$params.arguments.nul", "$params.arguments.missing", "$dyn(params).name",
		"$type(params) == map",
	} {
		n, err := c.expr(expr, "x")
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		n.path = nil // always the interpreter
		lazy := &inputs{r: r, token: token}
		if lazy.toolParams() == nil {
			t.Fatal("no toolParams for a tools/call with decoded arguments")
		}
		gotV, gotOK, gotErr := n.eval(lazy)
		params, err := paramsOf(r)
		if err != nil {
			t.Fatal(err)
		}
		wantV, wantOK, wantErr := n.eval(testInputs(params, token))
		if (gotErr == nil) != (wantErr == nil) || gotOK != wantOK || !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s: toolParams %v %v %v, map %v %v %v", expr, gotV, gotOK, gotErr, wantV, wantOK, wantErr)
		}
		if lazy.paramsDone {
			t.Errorf("%s: params decoded", expr)
		}
	}
}
