// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// legacyDecodeStrict is the decoder coaz had before it used jsonscan
// (encoding/json's token stream), kept as the oracle of
// TestDecodeStrictMatchesLegacy and FuzzDecodeStrictMatchesLegacy.
func legacyDecodeStrict(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := legacyDecodeValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func legacyDecodeValue(d *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, errors.New("malformed JSON")
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		m := map[string]any{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, errors.New("malformed JSON")
			}
			key, _ := k.(string)
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("member %q repeated", key)
			}
			if m[key], err = legacyDecodeValue(d, depth+1); err != nil {
				return nil, err
			}
		}
		if _, err := d.Token(); err != nil {
			return nil, errors.New("malformed JSON")
		}
		return m, nil
	case '[':
		a := []any{}
		for d.More() {
			v, err := legacyDecodeValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, errors.New("malformed JSON")
		}
		return a, nil
	}
	return nil, errors.New("malformed JSON")
}

// compareWithLegacy checks that decodeStrict accepts exactly what the legacy
// decoder accepted, with the same value, with one deliberate exception: the
// legacy decoder let an empty object or array sit one level past
// maxJSONDepth (it counted the depth of the values inside containers, not
// of the containers), and decodeStrict refuses any container past it.
func compareWithLegacy(t *testing.T, b []byte) {
	t.Helper()
	got, err := decodeStrict(b)
	want, wantErr := legacyDecodeStrict(b)
	switch {
	case err == nil && wantErr == nil:
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeStrict(%q) (-legacy +new):\n%s", b, cmp.Diff(want, got))
		}
	case err == nil:
		t.Fatalf("decodeStrict(%q) accepted what the legacy decoder refused (%v)", b, wantErr)
	case wantErr == nil:
		if !errors.Is(jsonscan.Check(b, maxJSONDepth), jsonscan.ErrTooDeep) || jsonscan.Check(b, maxJSONDepth+1) != nil {
			t.Fatalf("decodeStrict(%q) refused (%v) what the legacy decoder accepted", b, err)
		}
		if err.Error() != "JSON nested too deeply" {
			t.Fatalf("decodeStrict(%q) = %v, want the depth error", b, err)
		}
	}
}

func nest(n int, inner string) string {
	return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
}

func nestObjects(n int, inner string) string {
	return strings.Repeat(`{"a":`, n) + inner + strings.Repeat("}", n)
}

// hostileJSON holds inputs that try each boundary of decodeStrict, with the
// error each must give ("" accepts).
var hostileJSON = []struct{ in, err string }{
	{`{"a":1}`, ""},
	{`{"a":1,"a":2}`, `member "a" repeated`},
	{`{"a":1,"\u0061":2}`, `member "a" repeated`},
	{`{"\u00e9":1,"é":2}`, `member "é" repeated`},
	{`{"\ud83d\ude00":1,"😀":2}`, `member "😀" repeated`},
	{`{"a\/b":1,"a/b":2}`, `member "a/b" repeated`},
	{"{\"\xff\":1,\"\xfe\":2}", "member \"\uFFFD\" repeated"}, // both decode to U+FFFD
	{`{"\ud800":1,"\udc00":2}`, "member \"\uFFFD\" repeated"}, // lone surrogates likewise
	{`{"A":1,"a":2}`, ""},                                     // case is not folded
	{`{"x":[{"b":1},{"b":2}],"y":{"z":{"b":1,"b":1}}}`, `member "b" repeated`},
	{`[{"a":1},{"a":1}]`, ""},
	{nest(64, "1"), ""},
	{nest(64, "[]"), "JSON nested too deeply"},
	{nest(65, "1"), "JSON nested too deeply"},
	{nestObjects(63, "{}"), ""},
	{nestObjects(64, "1"), ""},
	{nestObjects(64, "{}"), "JSON nested too deeply"},
	{nestObjects(65, "1"), "JSON nested too deeply"},
	{nest(100000, ""), "JSON nested too deeply"},
	{`{} `, ""},
	{`{} {}`, "trailing data after the JSON value"},
	{`{}]`, "trailing data after the JSON value"},
	{`1 2`, "trailing data after the JSON value"},
	{`"a"x`, "trailing data after the JSON value"},
	{"\xef\xbb\xbf{}", "malformed JSON"}, // byte order mark
	{``, "malformed JSON"},
	{` `, "malformed JSON"},
	{`{"a":1,}`, "malformed JSON"},
	{`[1,]`, "malformed JSON"},
	{`NaN`, "malformed JSON"},
	{`-Infinity`, "malformed JSON"},
	{`[+1]`, "malformed JSON"},
	{`[01]`, "malformed JSON"},
	{`[.5]`, "malformed JSON"},
	{`[0x10]`, "malformed JSON"},
	{`{'a':1}`, "malformed JSON"},
	{`{"a":1}/*c*/`, "trailing data after the JSON value"},
	{`["\x"]`, "malformed JSON"},
	{"[\"a\x00\"]", "malformed JSON"},
	{`[1e999999999999, -0, 123456789012345678901234567890.5e-400]`, ""},
	{`[` + strings.Repeat("9", 10000) + `]`, ""},
}

func TestDecodeStrict(t *testing.T) {
	for _, tt := range hostileJSON {
		_, err := decodeStrict([]byte(tt.in))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("decodeStrict(%.80q) = %q, want %q", tt.in, got, tt.err)
		}
	}
	v, err := decodeStrict([]byte(`{"n":[12345678901234567890123,1.5e400,"\u00e9"]}`))
	want := map[string]any{"n": []any{json.Number("12345678901234567890123"), json.Number("1.5e400"), "é"}}
	if err != nil || !cmp.Equal(v, want) {
		t.Errorf("decodeStrict: %#v, %v; want %#v", v, err, want)
	}
}

// TestDecodeStrictMatchesLegacy runs the legacy decoder and decodeStrict
// over the hostile inputs, coaz's fuzz seeds and the JSON-RPC decoder's
// fuzz corpus.
func TestDecodeStrictMatchesLegacy(t *testing.T) {
	for _, in := range legacySeeds(t) {
		compareWithLegacy(t, in)
	}
}

func FuzzDecodeStrictMatchesLegacy(f *testing.F) {
	for _, in := range legacySeeds(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		compareWithLegacy(t, b)
	})
}

// legacySeeds returns the inputs of hostileJSON, the JSON of the default
// mappings and of the coaz fuzz seeds. FuzzDecodeStrictMatchesLegacy also
// runs its corpus in testdata/fuzz, which starts as a copy of the root
// module's JSON-RPC decoder and scanner corpora (the module's own files, so
// its tests run from a downloaded module too).
func legacySeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, tt := range hostileJSON {
		seeds = append(seeds, []byte(tt.in))
	}
	for _, src := range defaultMappings {
		seeds = append(seeds, []byte(src))
	}
	for _, s := range []string{
		`{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.id"}}}`,
		`{"evaluations":{"subject":{"id":"$token.sub"},"evaluations":[{"action":{"name":"$params.arguments.a"},"resource":{"type":"t","id":"x"}}]}}`,
		`{"id":"1","z":[1,{"a":null}]}`, `{"s":"é"}`, `9007199254740993`, `-0.0`, `1e-400`, `"\u0000"`,
		`[{"w":"a"},"a"]`, `{"w":["a"]}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}
