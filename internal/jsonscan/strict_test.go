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

func TestStrict(t *testing.T) {
	tests := []struct {
		in   string
		want any
		err  error  // kind of *SyntaxError, or nil
		rep  string // repeated name, for a *RepeatedNameError
		off  int    // its offset
		bad  bool   // any other *SyntaxError
	}{
		{in: ` {"a":[1,"x",null,true,{}]} `, want: map[string]any{"a": []any{json.Number("1"), "x", nil, true, map[string]any{}}}},
		{in: `{"a":1,"A":2}`, want: map[string]any{"a": json.Number("1"), "A": json.Number("2")}},
		{in: `[{"a":1},{"a":2}]`, want: []any{map[string]any{"a": json.Number("1")}, map[string]any{"a": json.Number("2")}}},
		{in: `{"a":1,"a":1}`, rep: "a", off: 7},
		{in: `{"a":1, "\u0061":2}`, rep: "a", off: 8},
		{in: `[0,{"b\/c":[],"b/c":[]}]`, rep: "b/c", off: 14},
		{in: "{\"\xff\":1,\"\xc0\":2}", rep: "\uFFFD", off: 7},
		{in: `[[[1]]]`, want: []any{[]any{[]any{json.Number("1")}}}},
		{in: `[[[[]]]]`, err: ErrTooDeep},
		{in: `{"a":{"a":{"a":{}}}}`, err: ErrTooDeep},
		{in: `{} {}`, err: ErrTrailing},
		{in: `{"a":1,"a":2} x`, err: ErrTrailing}, // syntax is checked first
		{in: `{"a":1,}`, bad: true},
		{in: "\xef\xbb\xbf1", bad: true},
		{in: `NaN`, bad: true},
		{in: ``, bad: true},
	}
	for _, tt := range tests {
		got, err := Strict([]byte(tt.in), 3)
		var rep *RepeatedNameError
		var se *SyntaxError
		switch {
		case tt.rep != "":
			if !errors.As(err, &rep) || rep.Name != tt.rep || rep.Offset != tt.off {
				t.Errorf("Strict(%q) = %v, want %q repeated at %d", tt.in, err, tt.rep, tt.off)
			}
		case tt.err != nil:
			if !errors.As(err, &se) || !errors.Is(err, tt.err) {
				t.Errorf("Strict(%q) = %v, want %v", tt.in, err, tt.err)
			}
		case tt.bad:
			if !errors.As(err, &se) || errors.Is(err, ErrTooDeep) || errors.Is(err, ErrTrailing) {
				t.Errorf("Strict(%q) = %v, want a plain syntax error", tt.in, err)
			}
		default:
			if err != nil || !cmp.Equal(got, tt.want) {
				t.Errorf("Strict(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
			}
		}
		if err != nil && got != nil {
			t.Errorf("Strict(%q) returned a value with its error", tt.in)
		}
	}
	long := `{"` + strings.Repeat("n", 1000) + `":1,"` + strings.Repeat("n", 1000) + `":2}`
	if _, err := Strict([]byte(long), 3); err == nil || len(err.Error()) > 120 {
		t.Errorf("Strict with a long repeated name: %v", err)
	}
}

// FuzzStrict checks Strict against encoding/json with UseNumber and an
// independent search for repeated names: it accepts exactly the valid
// documents within the depth limit that repeat no name, with the value
// encoding/json builds.
func FuzzStrict(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"a":1,"\u0061":2}`))
	f.Add([]byte(`[{"a":{"b":1,"b":2}}]`))
	f.Add([]byte(`[[[[[[[[1]]]]]]]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		const depth = 6
		got, err := Strict(b, depth)
		if cerr := Check(b, depth); cerr != nil {
			if err == nil || err.Error() != cerr.Error() {
				t.Fatalf("Strict(%q) = %v, Check = %v", b, err, cerr)
			}
			return
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		repeats, ok := tokenRepeats(d)
		if !ok {
			t.Fatalf("encoding/json refused %q, which Check accepted", b)
		}
		var rep *RepeatedNameError
		if repeats != errors.As(err, &rep) || (err != nil && rep == nil) {
			t.Fatalf("Strict(%q) = %v; a name repeats: %v", b, err, repeats)
		}
		if repeats {
			return
		}
		var want any
		d = json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Strict(%q) (-encoding/json +Strict):\n%s", b, cmp.Diff(want, got))
		}
	})
}

// tokenRepeats reads one value from d's token stream and reports whether
// an object in it names a member twice (names as encoding/json decodes
// them).
func tokenRepeats(d *json.Decoder) (repeats, ok bool) {
	tok, err := d.Token()
	if err != nil {
		return false, false
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		return false, true
	}
	seen := map[string]bool{}
	for d.More() {
		if delim == '{' {
			k, err := d.Token()
			if err != nil {
				return false, false
			}
			name := k.(string)
			if seen[name] {
				repeats = true
			}
			seen[name] = true
		}
		r, ok := tokenRepeats(d)
		if !ok {
			return false, false
		}
		repeats = repeats || r
	}
	if _, err := d.Token(); err != nil {
		return false, false
	}
	return repeats, true
}
