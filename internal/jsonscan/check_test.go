// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		in   string
		off  int
		msg  string
		deep int
	}{
		{"", 0, "empty document", 0},
		{" \n", 2, "empty document", 0},
		{`{"a":}`, 5, "unexpected character '}', want a value", 0},
		{`{,}`, 1, "unexpected character ',', want a string object key", 0},
		{`{"a":1,}`, 7, "unexpected character '}', want a string object key", 0},
		{`{"a" 1}`, 5, "unexpected character '1', want ':' after object key", 0},
		{`{"a":1`, 6, "unexpected end of input, want ',' or '}'", 0},
		{`[1 2]`, 3, "unexpected character '2', want ',' or ']'", 0},
		{`[1,]`, 3, "unexpected character ']', want a value", 0},
		{`{} {}`, 3, "unexpected character '{' after the top-level value", 0},
		{`"é" x`, 5, "unexpected character 'x' after the top-level value", 0},
		{`[nul]`, 1, "invalid literal, want null", 0},
		{`tru`, 0, "invalid literal, want true", 0},
		{`[fals]`, 1, "invalid literal, want false", 0},
		{`["abc`, 1, "unterminated string", 0},
		{"[\"a\tb\"]", 3, `control character '\t' in string`, 0},
		{`["\x"]`, 1, "invalid string literal", 0},
		{"[\"\\\x01\"]", 1, "invalid string literal", 0}, // an escaped control character
		{`[-]`, 2, "invalid number, want a digit", 0},
		{`[-01]`, 2, "invalid number, leading zero", 0},
		{`[1.]`, 3, "invalid number, want a digit after '.'", 0},
		{`[1e+]`, 4, "invalid number, want a digit in the exponent", 0},
		{`[[[]]]`, 2, "document nested deeper than 2 levels", 2},
		{`[[]]`, 0, "", 2},
	}
	for _, tt := range tests {
		deep := tt.deep
		if deep == 0 {
			deep = StdlibMaxDepth
		}
		err := Check([]byte(tt.in), deep)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("Check(%q): %v, want nil", tt.in, err)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != tt.off || se.Msg != tt.msg {
			t.Errorf("Check(%q): got %v, want %q at %d", tt.in, err, tt.msg, tt.off)
			continue
		}
		if se.Offset > len(tt.in) {
			t.Errorf("Check(%q): offset %d past the input", tt.in, se.Offset)
		}
	}
}

// FuzzValue checks Check against json.Valid and Value against
// encoding/json with UseNumber.
func FuzzValue(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"a":1,"a":2,"b":[{"c":"\ud800\u00e9"},-0.5e3,null,true]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b, StdlibMaxDepth)
		if (err == nil) != json.Valid(b) {
			t.Fatalf("Check(%q) = %v, json.Valid = %v", b, err, json.Valid(b))
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(b) || strings.TrimSpace(se.Msg) == "" {
				t.Fatalf("Check(%q): bad error %#v", b, err)
			}
			return
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var want any
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		got, end := Value(b, SkipSpace(b, 0))
		// reflect.DeepEqual first: cmp.Diff takes minutes on values
		// nested thousands deep.
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("Value(%q) (-encoding/json +Value):\n%s", b, cmp.Diff(want, got))
		}
		if SkipSpace(b, end) != len(b) {
			t.Fatalf("Value(%q) ended at %d", b, end)
		}
	})
}
