// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"errors"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

func TestCheckSize(t *testing.T) {
	tests := []struct {
		name            string
		raw             string
		values, depth   int
		wantErrContains string
	}{
		{name: "empty object", raw: `{}`, values: 1, depth: 1},
		{name: "flat", raw: `{"a":1,"b":"x","c":null}`, values: 4, depth: 1},
		{name: "flat over", raw: `{"a":1,"b":"x","c":null}`, values: 3, depth: 1, wantErrContains: "more than 3 values"},
		{name: "names are not values", raw: `{"a:":"b","c" : "d"}`, values: 3, depth: 1},
		{name: "escaped quotes", raw: `{"a\"":"b\\","c":["\"",1]}`, values: 5, depth: 2},
		{name: "escaped quotes over", raw: `{"a\"":"b\\","c":["\"",1]}`, values: 4, depth: 2, wantErrContains: "more than 4 values"},
		{name: "nested at limit", raw: `{"a":{"b":[1,[2]]}}`, values: 6, depth: 4},
		{name: "nested over", raw: `{"a":{"b":[1,[2]]}}`, values: 6, depth: 3, wantErrContains: "deeper than 3 levels"},
		{name: "array elements", raw: `{"a":[1,2,3,4,5,6,7,8,9,10]}`, values: 12, depth: 2},
		{name: "array elements over", raw: `{"a":[1,2,3,4,5,6,7,8,9,10]}`, values: 11, depth: 2, wantErrContains: "more than 11 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSize([]byte(tt.raw), tt.values, tt.depth, `"params.arguments"`)
			if tt.wantErrContains == "" {
				if err != nil {
					t.Fatalf("CheckSize(%s) = %v, want nil", tt.raw, err)
				}
				return
			}
			var je *Error
			if !errors.As(err, &je) || je.Code != CodeInvalidParams || !strings.Contains(je.Message, tt.wantErrContains) {
				t.Fatalf("CheckSize(%s) = %v, want -32602 containing %q", tt.raw, err, tt.wantErrContains)
			}
		})
	}
}

// TestCheckSizeStopsEarly shows the cost is bounded by the limit: a huge
// object is refused after maxValues values, whatever follows.
func TestCheckSizeStopsEarly(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{`)
	for i := 0; i < 200000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k`)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(`":1`)
	}
	b.WriteString(`}`)
	raw := []byte(b.String())
	// Truncating after the limit must give the same verdict: the walk never
	// looks past the value that crosses it.
	if err := CheckSize(raw[:2000], 100, 32, "x"); err == nil {
		t.Fatal("truncated input under the limit check: got nil, want error")
	}
	if err := CheckSize(raw, 100, 32, "x"); err == nil {
		t.Fatal("200,000 values with limit 100: got nil, want error")
	}
}

func FuzzCheckSize(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":"c"}]}`, `{"a\"":"\\"}`, `{"a":{"b":{"c":{}}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !jsonscan.Valid(raw) {
			return
		}
		// Never panics; a huge limit accepts any valid value, and limit 0
		// refuses any.
		if err := CheckSize(raw, 1<<30, 1<<30, "x"); err != nil {
			t.Fatalf("CheckSize(%q) with no limits = %v", raw, err)
		}
		if err := CheckSize(raw, 0, 1<<30, "x"); err == nil {
			t.Fatalf("CheckSize(%q) with 0 values = nil", raw)
		}
	})
}
