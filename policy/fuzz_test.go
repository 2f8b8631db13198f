// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// FuzzParseJSON checks the positional parser against encoding/json: it
// accepts exactly the documents encoding/json accepts and decodes them to
// the same values (for documents without duplicate keys, which
// encoding/json collapses).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `"a\u00e9\n"`, `-0.5e+3`, `{"a":[1,true,null,{"b":"c"}]}`,
		`{"a":1,"a":2}`, `[1,]`, `01`, `"\x01"`, `{"a" 1}`, `"\ud800"`, "\"\xff\"", ` 1 `, `1 2`,
	} {
		f.Add([]byte(s))
	}
	f.Add(demoJSON)
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
			return // a BOM is accepted here, refused by encoding/json
		}
		n, err := parseJSON(data)
		if valid := json.Valid(data); valid != (err == nil) {
			t.Fatalf("parseJSON error %v, json.Valid %v", err, valid)
		}
		if err != nil || hasDuplicateKeys(n) {
			return
		}
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var want any
		if err := d.Decode(&want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if diff := cmp.Diff(want, nodeValue(n)); diff != "" {
			t.Fatalf("value (-encoding/json +parseJSON):\n%s", diff)
		}
		if got, _ := jsonscan.Value(data, n.off); !cmp.Equal(want, got) {
			t.Fatalf("jsonscan.Value differs from encoding/json: %v", got)
		}
	})
}

// nodeValue converts a parsed node to the value encoding/json would produce
// with UseNumber.
func nodeValue(n *node) any {
	switch n.kind {
	case jsonBool:
		return n.boolean
	case jsonNumber:
		return json.Number(n.str)
	case jsonString:
		return n.str
	case jsonArray:
		out := make([]any, len(n.elems))
		for i, e := range n.elems {
			out[i] = nodeValue(e)
		}
		return out
	case jsonObject:
		out := make(map[string]any, len(n.members))
		for _, m := range n.members {
			out[m.key] = nodeValue(m.val)
		}
		return out
	default:
		return nil
	}
}

func hasDuplicateKeys(n *node) bool {
	seen := map[string]bool{}
	for _, m := range n.members {
		if seen[m.key] || hasDuplicateKeys(m.val) {
			return true
		}
		seen[m.key] = true
	}
	for _, e := range n.elems {
		if hasDuplicateKeys(e) {
			return true
		}
	}
	return false
}

// FuzzParse checks that Parse never panics, that a failure is always a
// positioned *Error, and that a policy it accepts decides checks without
// panicking.
func FuzzParse(f *testing.F) {
	f.Add(demoJSON)
	f.Add([]byte(`{"resources": {"r": {"actions": ["a"]}}, "condition_sets": {"s": {"type": "resourceset", "resource": "r", "conditions": {"not": {"resource.x.y": {"array_superset": [1, "a", true]}}}}}, "roles": {"R": {"extends": ["R"]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.json", data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				if _, ok := err.(interface{ Unwrap() []error }); !ok {
					t.Fatalf("error of type %T: %v", err, err)
				}
			}
			return
		}
		for typ := range p.resources {
			for act := range p.resources[typ].actions {
				for _, m := range []string{"tools/call", "tools/list"} {
					c := mcpauth.Check{User: mcpauth.User{Key: "u"}, Action: act, Resource: mcpauth.Resource{Type: typ, Attributes: map[string]any{"mcp_method": m, "x": map[string]any{"y": []any{json.Number("1")}}}}}
					ok, _ := p.Allowed(context.Background(), c)
					if ex := p.Explain(c); ex.Allowed != ok {
						t.Fatalf("Explain %v, Allowed %v", ex.Allowed, ok)
					}
				}
			}
		}
	})
}
