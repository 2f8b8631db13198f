// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// view is the part of a Message the tests compare, as strings.
type view struct {
	ID, Method, Params     string
	HasMethod, IsResponse  bool
	Name, URI              string
	HasName, HasURI        bool
	Arguments, Ref         string
	NilID, NilArgs, NilRef bool
}

func viewOf(m Message) view {
	return view{
		ID: string(m.ID), Method: m.Method, Params: string(m.Params),
		HasMethod: m.HasMethod, IsResponse: m.IsResponse,
		Name: m.Name, URI: m.URI, HasName: m.HasName, HasURI: m.HasURI,
		Arguments: string(m.Arguments), Ref: string(m.Ref),
		NilID: m.ID == nil, NilArgs: m.Arguments == nil, NilRef: m.Ref == nil,
	}
}

// req builds the view of a request without arguments or ref.
func req(id, method, params string) view {
	return view{ID: id, NilID: id == "", Method: method, HasMethod: true, Params: params, NilArgs: true, NilRef: true}
}

func (v view) withName(n string) view { v.Name, v.HasName = n, true; return v }
func (v view) withURI(u string) view  { v.URI, v.HasURI = u, true; return v }
func (v view) withArgs(a string) view { v.Arguments, v.NilArgs = a, false; return v }
func (v view) withRef(r string) view  { v.Ref, v.NilRef = r, false; return v }

// nest returns a params member whose value nests n arrays deep.
func nest(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

// decodeCase is one named Decode regression case. Cases with want set must
// decode to exactly those messages; the others must fail with code.
type decodeCase struct {
	name      string
	body      string
	code      int
	want      []view
	wantBatch bool
}

var decodeCases = []decodeCase{
	// Accepted messages.
	{
		name: "tools/call",
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`,
		want: []view{req("1", "tools/call", `{"name":"echo","arguments":{"text":"hi"}}`).withName("echo").withArgs(`{"text":"hi"}`)},
	},
	{
		name: "whitespace around the value",
		body: " \r\n\t{ \"jsonrpc\" : \"2.0\" , \"id\" : \"a\" , \"method\" : \"tools/list\" } \n",
		want: []view{req(`"a"`, "tools/list", "")},
	},
	{
		name: "escaped method key",
		body: `{"jsonrpc":"2.0","id":1,"\u006dethod":"tools/call","params":{"name":"echo"}}`,
		want: []view{req("1", "tools/call", `{"name":"echo"}`).withName("echo")},
	},
	{
		name: "escaped values",
		body: `{"jsonrpc":"2\u002e0","id":1,"method":"tools\/call","params":{"n\u0061me":"ec\u0068o","uri":"\ud83d\ude00"}}`,
		want: []view{req("1", "tools/call", `{"n\u0061me":"ec\u0068o","uri":"\ud83d\ude00"}`).withName("echo").withURI("\U0001F600")},
	},
	{
		name: "resources/read",
		body: `{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"file:///etc/hosts"}}`,
		want: []view{req("7", "resources/read", `{"uri":"file:///etc/hosts"}`).withURI("file:///etc/hosts")},
	},
	{
		name: "prompts/get with null arguments",
		body: `{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"greet","arguments":null}}`,
		want: []view{req("7", "prompts/get", `{"name":"greet","arguments":null}`).withName("greet").withArgs("null")},
	},
	{
		name: "completion/complete",
		body: `{"jsonrpc":"2.0","id":2,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"x","value":"y"}}}`,
		want: []view{req("2", "completion/complete", `{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"x","value":"y"}}`).withRef(`{"type":"ref/prompt","name":"greet"}`)},
	},
	{
		name: "notification without id",
		body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		want: []view{req("", "notifications/initialized", "")},
	},
	{
		name: "null id is a notification",
		body: `{"jsonrpc":"2.0","id":null,"method":"notifications/cancelled","params":{"requestId":1}}`,
		want: []view{req("", "notifications/cancelled", `{"requestId":1}`)},
	},
	{
		name: "response with result",
		body: `{"jsonrpc":"2.0","id":"s-1","result":{"roots":[]}}`,
		want: []view{{ID: `"s-1"`, IsResponse: true, NilArgs: true, NilRef: true}},
	},
	{
		name: "response with error",
		body: `{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no","data":{"x":1}}}`,
		want: []view{{ID: "3", IsResponse: true, NilArgs: true, NilRef: true}},
	},
	{
		name:      "batch",
		body:      `[{"jsonrpc":"2.0","id":1,"method":"tools/list"}, {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}]`,
		want:      []view{req("1", "tools/list", ""), req("2", "tools/call", `{"name":"echo"}`).withName("echo")},
		wantBatch: true,
	},
	{
		name: "params array for another method",
		body: `{"jsonrpc":"2.0","id":1,"method":"custom/thing","params":[1,2]}`,
		want: []view{req("1", "custom/thing", `[1,2]`)},
	},
	{
		name: "nesting at the limit",
		body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":` + nest(maxDepth-2) + `}}`,
		want: []view{req("1", "ping", `{"x":`+nest(maxDepth-2)+`}`)},
	},

	// Smuggling: member names.
	{name: "METHOD vs method", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call","params":{"name":"rm"}}`},
	{name: "Method alone", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"Method":"tools/call","params":{"name":"rm"}}`},
	{name: "case-variant jsonrpc with long s", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","j\u017fonrpc":"2.0","id":1,"method":"ping"}`},
	{name: "escaped key duplicates method", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","\u006dethod":"tools/call"}`},
	{name: "duplicate method", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"rm"}}`},
	{name: "duplicate id", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}`},
	{name: "duplicate params", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"params":{"name":"rm"}}`},
	{name: "duplicate name in params", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"rm"}}`},
	{name: "case-variant Name in params", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","Name":"rm"}}`},
	{name: "Name alone in params", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"NAME":"rm"}}`},
	{name: "duplicate uri", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a","uri":"b"}}`},
	{name: "case-variant URI", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a","URI":"b"}}`},
	{name: "duplicate arguments keys", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cat","arguments":{"path":"/tmp/x","path":"/etc/shadow"}}}`},
	{name: "case-variant arguments keys", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cat","arguments":{"path":"/tmp/x","Path":"/etc/shadow"}}}`},
	{name: "escaped duplicate arguments key", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cat","arguments":{"path":"/tmp/x","p\u0061th":"/etc/shadow"}}}`},
	{name: "duplicate arguments member", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cat","arguments":{},"arguments":{"path":"/etc"}}}`},
	{name: "duplicate key deep inside arguments", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cat","arguments":{"opts":[{"mode":"r","mode":"w"}]}}}`},
	{name: "duplicate key in _meta", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"a":1,"a":2}}}`},
	{name: "case-variant ref member", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"a","NAME":"b"}}}`},
	{name: "member name with invalid UTF-8", code: CodeInvalidRequest,
		body: "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"arguments\":{\"a\xff\":1,\"a\xfe\":2}}}"},
	{name: "member name with unpaired surrogate", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a\ud800":1,"a\udbff":2}}}`},

	// Batches.
	{name: "empty batch", code: CodeInvalidRequest, body: `[]`},
	{name: "nested batch", code: CodeInvalidRequest,
		body: `[[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rm"}}]]`},
	{name: "batch with a non-object", code: CodeInvalidRequest,
		body: `[{"jsonrpc":"2.0","id":1,"method":"ping"},1]`},
	{name: "batch with a bad element", code: CodeInvalidRequest,
		body: `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping","METHOD":"tools/call"}]`},

	// Bytes around the value.
	{name: "BOM", code: CodeParseError,
		body: "\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"},
	{name: "BOM after whitespace", code: CodeParseError,
		body: " \xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"},
	{name: "trailing garbage", code: CodeParseError,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"} x`},
	{name: "two concatenated objects", code: CodeParseError,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"rm"}}`},
	{name: "trailing NUL", code: CodeParseError,
		body: "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\x00"},
	{name: "empty body", code: CodeParseError, body: ``},
	{name: "not JSON", code: CodeParseError, body: `method=tools/call`},
	{name: "truncated", code: CodeParseError, body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"`},

	// Envelope types.
	{name: "top-level string", code: CodeInvalidRequest, body: `"tools/call"`},
	{name: "top-level null", code: CodeInvalidRequest, body: `null`},
	{name: "wrong jsonrpc version", code: CodeInvalidRequest, body: `{"jsonrpc":"1.0","id":1,"method":"ping"}`},
	{name: "numeric jsonrpc version", code: CodeInvalidRequest, body: `{"jsonrpc":2.0,"id":1,"method":"ping"}`},
	{name: "missing jsonrpc", code: CodeInvalidRequest, body: `{"id":1,"method":"ping"}`},
	// Found by FuzzDecode: the go-sdk reads "2.0\uFFFD" and refuses it.
	{name: "jsonrpc version with unpaired surrogate", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0\ud800","method":""}`},
	{name: "empty method", want: []view{req("", "", "")}, body: `{"jsonrpc":"2.0","method":""}`},
	{name: "numeric method", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1,"method":1}`},
	{name: "null method", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1,"method":null}`},
	{name: "method with invalid UTF-8", code: CodeInvalidRequest,
		body: "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\xff\"}"},
	{name: "method with unpaired surrogate", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call\udc00"}`},
	{name: "object id", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":{},"method":"ping"}`},
	{name: "boolean id", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":true,"method":"ping"}`},
	{name: "id out of float64 range", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1e400,"method":"ping"}`},
	{name: "string params", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}`},
	{name: "null params", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":null}`},
	{name: "request with result", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","result":{},"params":{"name":"echo"}}`},
	{name: "response without id", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","result":{}}`},
	{name: "response with null id", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":null,"result":{}}`},
	{name: "neither method nor result", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1}`},
	{name: "string error", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1,"error":"boom"}`},
	{name: "fractional error code", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"x"}}`},
	{name: "numeric error message", code: CodeInvalidRequest, body: `{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":2}}`},
	{name: "nesting over the limit", code: CodeInvalidRequest,
		body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":` + nest(maxDepth-1) + `}}`},

	// Params of the methods the middleware authorizes by params.
	{name: "non-object params for tools/call", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["rm"]}`},
	{name: "missing params for tools/call", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call"}`},
	{name: "missing params for resources/read", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"resources/read"}`},
	{name: "numeric name", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1}}`},
	{name: "null name", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null}}`},
	{name: "name with invalid UTF-8", code: CodeInvalidParams,
		body: "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ec\xffho\"}}"},
	{name: "array uri", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":["a"]}}`},
	{name: "array arguments", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":["a"]}}`},
	{name: "string ref", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":"ref/prompt"}}`},
	{name: "unknown ref type", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/tool","name":"rm"}}}`},
	{name: "prompt ref with uri", code: CodeInvalidParams,
		body: `{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"a","uri":"b"}}}`},
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			msgs, batch, err := Decode(body)
			if tc.want == nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Decode(%q) = %d messages, error %v; want *Error with code %d", tc.body, len(msgs), err, tc.code)
				}
				if e.Code != tc.code {
					t.Fatalf("Decode(%q) error code = %d (%s), want %d", tc.body, e.Code, e.Message, tc.code)
				}
				if msgs != nil {
					t.Errorf("Decode(%q) returned %d messages with an error, want none", tc.body, len(msgs))
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q) error = %v, want success", tc.body, err)
			}
			if batch != tc.wantBatch {
				t.Errorf("Decode(%q) batch = %v, want %v", tc.body, batch, tc.wantBatch)
			}
			var got []view
			for _, m := range msgs {
				got = append(got, viewOf(m))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tc.body, diff)
			}
			checkRaw(t, body, msgs, batch)
		})
	}
}

// checkRaw checks that every Raw is the message's own bytes within body.
func checkRaw(t *testing.T, body []byte, msgs []Message, batch bool) {
	t.Helper()
	if !batch {
		if len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, body) {
			t.Errorf("Raw of a single message is not the whole body")
		}
		return
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		t.Fatalf("json.Unmarshal(batch) error = %v", err)
	}
	if len(elems) != len(msgs) {
		t.Fatalf("got %d messages, want %d", len(msgs), len(elems))
	}
	for i := range elems {
		if !bytes.Equal(elems[i], msgs[i].Raw) {
			t.Errorf("message %d Raw = %q, want %q", i, msgs[i].Raw, elems[i])
		}
	}
}

func TestErrorIs(t *testing.T) {
	_, _, err := Decode([]byte(`{`))
	if !errors.Is(err, &Error{Code: CodeParseError}) {
		t.Errorf("errors.Is(%v, parse error) = false, want true", err)
	}
	if errors.Is(err, &Error{Code: CodeInvalidRequest}) {
		t.Errorf("errors.Is(%v, invalid request) = true, want false", err)
	}
	if got, want := err.Error(), "mcpauth: parse error: body is not a single JSON value"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecodeObject(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want map[string]any
		fail bool
	}{
		{name: "absent", raw: ``, want: nil},
		{name: "null", raw: ` null `, want: nil},
		{name: "empty", raw: `{}`, want: map[string]any{}},
		{
			name: "values",
			raw:  `{"s":"x","n":-1.5e3,"i":12345678901234567890,"t":true,"f":false,"z":null,"a":[1,"b",[]],"o":{"k":{}}}`,
			want: map[string]any{
				"s": "x", "n": json.Number("-1.5e3"), "i": json.Number("12345678901234567890"), "t": true, "f": false, "z": nil,
				"a": []any{json.Number("1"), "b", []any{}}, "o": map[string]any{"k": map[string]any{}},
			},
		},
		{
			name: "escapes and UTF-8",
			raw:  "{\"p\\u0061th\":\"\\/tmp\\n\\u00e9\\ud83d\\ude00\",\"caf\u00e9\":\"\\ud800x\",\"bad\":\"a\xffb\"}",
			want: map[string]any{"path": "/tmp\n\u00e9\U0001F600", "caf\u00e9": "\uFFFDx", "bad": "a\uFFFDb"},
		},
		{name: "same name in different objects", raw: `{"a":{"x":1},"b":{"x":2},"X":3}`,
			want: map[string]any{"a": map[string]any{"x": json.Number("1")}, "b": map[string]any{"x": json.Number("2")}, "X": json.Number("3")}},
		{name: "nested case variants are kept", raw: `{"a":{"x":1,"X":2}}`,
			want: map[string]any{"a": map[string]any{"x": json.Number("1"), "X": json.Number("2")}}},
		{name: "duplicate", raw: `{"a":1,"a":2}`, fail: true},
		{name: "case variant", raw: `{"path":1,"PATH":2}`, fail: true},
		{name: "Kelvin sign variant", raw: `{"k":1,"\u212a":2}`, fail: true},
		{name: "nested duplicate", raw: `{"a":[{"b":1,"b":2}]}`, fail: true},
		{name: "array", raw: `[1]`, fail: true},
		{name: "string", raw: `"a"`, fail: true},
		{name: "invalid JSON", raw: `{"a":}`, fail: true},
		{name: "trailing bytes", raw: `{} {}`, fail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeObject(json.RawMessage(tc.raw))
			if tc.fail {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeInvalidParams {
					t.Fatalf("DecodeObject(%q) = %v, %v; want *Error with code %d", tc.raw, got, err, CodeInvalidParams)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeObject(%q) error = %v", tc.raw, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeObject(%q) mismatch (-want +got):\n%s", tc.raw, diff)
			}
		})
	}
}

func TestDecodeObjectManyKeys(t *testing.T) {
	// More names than keySet compares pairwise, so the map path runs.
	var b strings.Builder
	b.WriteString("{")
	for i := range 40 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", i) + `":1`)
	}
	ok := b.String() + "}"
	if _, err := DecodeObject(json.RawMessage(ok)); err != nil {
		t.Fatalf("DecodeObject(40 distinct names) error = %v", err)
	}
	for _, extra := range []string{`"kxxx":2`, `"KXXX":2`, `"k\u0078xx":2`, `"\u212axxx":2`} {
		raw := b.String() + "," + extra + "}"
		if _, err := DecodeObject(json.RawMessage(raw)); err == nil {
			t.Errorf("DecodeObject(40 names + %s) succeeded, want a repeated-name error", extra)
		}
	}

	// Nested objects only refuse exact repeats, also past the pairwise size.
	nested := `{"n":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"A":10,"B":11}}`
	got, err := DecodeObject(json.RawMessage(nested))
	if err != nil {
		t.Fatalf("DecodeObject(nested case variants) error = %v", err)
	}
	if n := len(got["n"].(map[string]any)); n != 11 {
		t.Errorf("DecodeObject(nested case variants) kept %d names, want 11", n)
	}
	dup := `{"n":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"\u0062":11}}`
	if _, err := DecodeObject(json.RawMessage(dup)); err == nil {
		t.Errorf("DecodeObject(nested repeat past 8 names) succeeded, want a repeated-name error")
	}
}

func TestDecodeRef(t *testing.T) {
	tests := []struct {
		name                 string
		raw                  string
		typ, refName, refURI string
		fail                 bool
	}{
		{name: "prompt", raw: `{"type":"ref/prompt","name":"greet"}`, typ: "ref/prompt", refName: "greet"},
		{name: "resource", raw: `{"type":"ref/resource","uri":"file:///{p}"}`, typ: "ref/resource", refURI: "file:///{p}"},
		{name: "escaped", raw: `{"typ\u0065":"ref\/prompt","name":"gr\u0065et","extra":[1]}`, typ: "ref/prompt", refName: "greet"},
		{name: "unknown type", raw: `{"type":"ref/tool","name":"x"}`, fail: true},
		{name: "missing type", raw: `{"name":"x"}`, fail: true},
		{name: "prompt with uri", raw: `{"type":"ref/prompt","name":"x","uri":"y"}`, fail: true},
		{name: "resource with name", raw: `{"type":"ref/resource","name":"x","uri":"y"}`, fail: true},
		{name: "duplicate name", raw: `{"type":"ref/prompt","name":"x","name":"y"}`, fail: true},
		{name: "case-variant type", raw: `{"type":"ref/prompt","Type":"ref/resource","name":"x"}`, fail: true},
		{name: "numeric name", raw: `{"type":"ref/prompt","name":1}`, fail: true},
		{name: "not an object", raw: `["ref/prompt"]`, fail: true},
		{name: "invalid JSON", raw: `{"type":`, fail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ, name, uri, err := DecodeRef(json.RawMessage(tc.raw))
			if tc.fail {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeInvalidParams {
					t.Fatalf("DecodeRef(%q) = %q, %q, %q, %v; want *Error with code %d", tc.raw, typ, name, uri, err, CodeInvalidParams)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeRef(%q) error = %v", tc.raw, err)
			}
			if typ != tc.typ || name != tc.refName || uri != tc.refURI {
				t.Errorf("DecodeRef(%q) = %q, %q, %q; want %q, %q, %q", tc.raw, typ, name, uri, tc.typ, tc.refName, tc.refURI)
			}
		})
	}
}
