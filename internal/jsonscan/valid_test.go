// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// validCases are inputs on which Valid must agree with json.Valid; they
// double as seeds for FuzzValid.
var validCases = []string{
	``, ` `, `{}`, `[]`, ` { } `, `[ ]`, `null`, `true`, `false`, `nul`, `truex`, `"a"`, `"`, `"\"`,
	`0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e-3`, `+1`, `0x1`,
	`{"a":1}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{1:2}`, `{"a":1 "b":2}`, `[1,]`, `[,1]`, `[1 2]`, `[1,[2,{"x":[]}]]`,
	`"\u00e9\ud83d\ude00"`, `"\u12"`, `"\u12G4"`, `"\x"`, `"\/\b\f\n\r\t"`, "\"a\x01\"", "\"a\x7f\xff\"",
	"\xEF\xBB\xBF{}", `{} {}`, `{}x`, "{}\x00", "\t\r\n{}\n",
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"a":[1,2,{"b":null}]}}}`,
}

func TestValidMatchesStdlib(t *testing.T) {
	cases := append([]string{}, validCases...)
	for _, n := range []int{9999, 10000, 10001} {
		cases = append(cases,
			strings.Repeat("[", n)+strings.Repeat("]", n),
			strings.Repeat(`{"a":`, n-1)+"{}"+strings.Repeat("}", n-1),
			strings.Repeat("[", n)+"1"+strings.Repeat("]", n))
	}
	for _, c := range cases {
		if got, want := Valid([]byte(c)), json.Valid([]byte(c)); got != want {
			name := c
			if len(name) > 40 {
				name = name[:40] + "..."
			}
			t.Errorf("Valid(%q) = %v, json.Valid = %v", name, got, want)
		}
	}
}

// FuzzValid checks that Valid accepts exactly what json.Valid accepts.
func FuzzValid(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}
