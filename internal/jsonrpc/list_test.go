// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// listAll is a ListFunc accepting every id as a tools/list response.
func listAll(id []byte) (string, string, bool) { return "tools", "name", true }

// scanOne scans msg as one message with listAll.
func scanOne(t *testing.T, msg string) Response {
	t.Helper()
	b := []byte(msg)
	spans, _, ok := Messages(b, nil)
	if !ok || len(spans) != 1 {
		t.Fatalf("Messages(%s) = %v, %v", msg, spans, ok)
	}
	return ScanResponse(b, spans[0], listAll, nil)
}

// itemView is a ListItem with its bytes, for comparisons.
type itemView struct {
	Raw, Key string
	OK       bool
}

func viewItems(b []byte, items []ListItem) []itemView {
	var out []itemView
	for _, it := range items {
		out = append(out, itemView{string(b[it.Start:it.End]), string(it.Key), it.OK})
	}
	return out
}

func TestScanListItems(t *testing.T) {
	tt := []struct {
		name   string
		result string
		want   []itemView
	}{
		{"plain", `{"tools":[{"name":"a","x":1},{"name":"b"}]}`,
			[]itemView{{`{"name":"a","x":1}`, "a", true}, {`{"name":"b"}`, "b", true}}},
		{"whitespace", "{ \"tools\" : [ {\"name\" : \"a\"} ,\n\t{ \"name\":\"b\" } ] }",
			[]itemView{{`{"name" : "a"}`, "a", true}, {`{ "name":"b" }`, "b", true}}},
		{"escaped value", `{"tools":[{"name":"a\u002fb\n"}]}`,
			[]itemView{{`{"name":"a\u002fb\n"}`, "a/b\n", true}}},
		{"escaped member name", `{"tools":[{"n\u0061me":"a"}]}`,
			[]itemView{{`{"n\u0061me":"a"}`, "a", true}}},
		{"nested names do not count", `{"tools":[{"x":{"name":"n"},"name":"a","y":["name"]}]}`,
			[]itemView{{`{"x":{"name":"n"},"name":"a","y":["name"]}`, "a", true}}},
		{"repeated name", `{"tools":[{"name":"a","name":"b"}]}`,
			[]itemView{{`{"name":"a","name":"b"}`, "", false}}},
		{"case variant", `{"tools":[{"name":"a","Name":"b"}]}`,
			[]itemView{{`{"name":"a","Name":"b"}`, "", false}}},
		{"only a case variant", `{"tools":[{"NAME":"a"}]}`,
			[]itemView{{`{"NAME":"a"}`, "", false}}},
		{"unicode case variant", `{"tools":[{"name":"a","nameſ":"b","ſ":1}]}`,
			[]itemView{{`{"name":"a","nameſ":"b","ſ":1}`, "a", true}}},
		{"not a string", `{"tools":[{"name":1}]}`, []itemView{{`{"name":1}`, "", false}}},
		{"no name", `{"tools":[{"title":"x"}]}`, []itemView{{`{"title":"x"}`, "", false}}},
		{"not an object", `{"tools":["a",null,[{"name":"x"}]]}`,
			[]itemView{{`"a"`, "", false}, {`null`, "", false}, {`[{"name":"x"}]`, "", false}}},
		{"unpaired surrogate", `{"tools":[{"name":"\ud800"}]}`,
			[]itemView{{`{"name":"\ud800"}`, "", false}}},
		{"invalid utf-8", "{\"tools\":[{\"name\":\"a\xff\"}]}",
			[]itemView{{"{\"name\":\"a\xff\"}", "", false}}},
		{"empty", `{"tools":[]}`, nil},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			msg := `{"jsonrpc":"2.0","id":1,"result":` + tc.result + `}`
			r := scanOne(t, msg)
			if r.Ambiguous || !r.Listed || !r.List.Found || r.List.Ambiguous {
				t.Fatalf("response %+v, want an unambiguous list", r)
			}
			if diff := cmp.Diff(tc.want, viewItems([]byte(msg), r.List.Items)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanListKeyMembers(t *testing.T) {
	b := []byte(`{"jsonrpc":"2.0","id":1,"result":{"resources":[{"name":"n","uri":"file:///a"}],"resourceTemplates":[{"uriTemplate":"x://{y}"}]}}`)
	spans, _, _ := Messages(b, nil)
	r := ScanResponse(b, spans[0], func([]byte) (string, string, bool) { return "resources", "uri", true }, nil)
	if got := viewItems(b, r.List.Items); len(got) != 1 || got[0].Key != "file:///a" || !got[0].OK {
		t.Errorf("resources items = %+v", got)
	}
	l := ScanList(b, r.Result, "resourceTemplates", "uriTemplate", nil)
	if got := viewItems(b, l.Items); len(got) != 1 || got[0].Key != "x://{y}" || !got[0].OK {
		t.Errorf("template items = %+v", got)
	}
}

func TestScanListShape(t *testing.T) {
	tt := []struct {
		name      string
		result    string
		found     bool
		ambiguous bool
		scopes    []string
	}{
		{"go-sdk", `{"ttlMs":0,"cacheScope":"public","tools":[]}`, true, false, []string{`"public"`}},
		{"no scope", `{"tools":[]}`, true, false, nil},
		{"scope variants", `{"CacheScope":"public","tools":[],"cachescope":1}`, true, false, []string{`"public"`, `1`}},
		{"null list", `{"tools":null}`, true, false, nil},
		{"no list", `{"nextCursor":"x"}`, false, false, nil},
		{"empty result", `{}`, false, false, nil},
		{"list not an array", `{"tools":{"name":"a"}}`, true, true, nil},
		{"list case variant", `{"tools":[],"Tools":[{"name":"a"}]}`, true, true, nil},
		{"only a case variant", `{"TOOLS":[{"name":"a"}]}`, false, true, nil},
		{"repeated list", `{"tools":[],"tools":[{"name":"a"}]}`, true, true, nil},
		{"long s variant of the list", `{"tools":[],"toolſ":[{"name":"a"}]}`, true, true, nil},
		{"long s variant of the scope", `{"tools":[],"cacheſcope":"public"}`, true, false, []string{`"public"`}},
		{"repeated other member", `{"tools":[],"x":1,"x":2}`, true, true, nil},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			msg := `{"jsonrpc":"2.0","id":1,"result":` + tc.result + `}`
			r := scanOne(t, msg)
			if !r.Listed {
				t.Fatalf("not listed: %+v", r)
			}
			l := r.List
			var scopes []string
			for _, s := range l.Scopes {
				scopes = append(scopes, msg[s.Start:s.End])
			}
			if l.Found != tc.found || l.Ambiguous != tc.ambiguous {
				t.Errorf("found %v ambiguous %v, want %v %v", l.Found, l.Ambiguous, tc.found, tc.ambiguous)
			}
			if diff := cmp.Diff(tc.scopes, scopes); diff != "" {
				t.Errorf("scopes (-want +got):\n%s", diff)
			}
			if open := len(`{"jsonrpc":"2.0","id":1,"result":{`); l.Open != open {
				t.Errorf("Open = %d, want %d", l.Open, open)
			}
		})
	}
}

func TestScanResponse(t *testing.T) {
	tt := []struct {
		name      string
		msg       string
		id        string
		listed    bool
		ambiguous bool
	}{
		{"id first", `{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}`, "7", true, false},
		{"result first", `{"result":{"tools":[]},"jsonrpc":"2.0","id":"x"}`, `"x"`, true, false},
		{"no id", `{"jsonrpc":"2.0","result":{"tools":[]}}`, "", true, false},
		{"error", `{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}`, "1", false, false},
		{"request", `{"jsonrpc":"2.0","id":1,"method":"roots/list"}`, "1", false, false},
		{"repeated id", `{"jsonrpc":"2.0","id":1,"id":2,"result":{"tools":[]}}`, "2", false, true},
		{"repeated result", `{"jsonrpc":"2.0","id":1,"result":{"tools":[]},"result":{"tools":[]}}`, "1", false, true},
		{"result case variant", `{"jsonrpc":"2.0","id":1,"Result":{"tools":[{"name":"a"}]}}`, "1", false, true},
		{"id case variant", `{"jsonrpc":"2.0","ID":1,"result":{"tools":[]}}`, "", false, true},
		{"escaped result", `{"jsonrpc":"2.0","id":1,"r\u0065sult":{"tools":[]}}`, "1", true, false},
		{"invalid utf-8 member", "{\"jsonrpc\":\"2.0\",\"id\":1,\"\xff\":0,\"result\":{\"tools\":[]}}", "1", false, true},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			r := scanOne(t, tc.msg)
			if string(r.ID) != tc.id || r.Listed != tc.listed || r.Ambiguous != tc.ambiguous {
				t.Errorf("id %q listed %v ambiguous %v, want %q %v %v", r.ID, r.Listed, r.Ambiguous, tc.id, tc.listed, tc.ambiguous)
			}
		})
	}
}

func TestScanResponseAsksOnce(t *testing.T) {
	for _, msg := range []string{
		`{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}`,
		`{"jsonrpc":"2.0","result":{"tools":[]},"id":1}`,
	} {
		b := []byte(msg)
		n := 0
		ScanResponse(b, Span{0, len(b)}, func([]byte) (string, string, bool) { n++; return "", "", false }, nil)
		if n != 1 {
			t.Errorf("%s: list function called %d times, want once", msg, n)
		}
	}
}

func TestMessages(t *testing.T) {
	tt := []struct {
		body  string
		want  []string
		batch bool
		ok    bool
	}{
		{` {"a":1} `, []string{`{"a":1}`}, false, true},
		{`[{"a":1}, {"b":[2]}]`, []string{`{"a":1}`, `{"b":[2]}`}, true, true},
		{`[]`, nil, true, true},
		{`[{"a":1},2]`, []string{`{"a":1}`}, true, false},
		{`"x"`, nil, false, false},
		{`{"a":1}{"b":2}`, nil, false, false},
		{`{"a":`, nil, false, false},
		{"\xef\xbb\xbf{}", nil, false, false},
	}
	for _, tc := range tt {
		b := []byte(tc.body)
		spans, batch, ok := Messages(b, nil)
		var got []string
		for _, s := range spans {
			got = append(got, tc.body[s.Start:s.End])
		}
		if ok != tc.ok || batch != tc.batch || !cmp.Equal(got, tc.want) {
			t.Errorf("Messages(%q) = %q, %v, %v; want %q, %v, %v", tc.body, got, batch, ok, tc.want, tc.batch, tc.ok)
		}
	}
}

// FuzzScanList checks the scanner on any input: it never panics, and on
// valid JSON every span it reports is a valid JSON value where it says,
// the items are the array's elements in order, and each key it reports
// for an OK item is the one encoding/json decodes.
func FuzzScanList(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"result":{"ttlMs":0,"cacheScope":"public","tools":[{"name":"a","inputSchema":{"type":"object"}},{"name":"b_c"}]}}`,
		`[{"jsonrpc":"2.0","method":"notifications/progress"},{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"\u0061"}]}}]`,
		`{"result":{"tools":[1,"x",{"Name":"y"},{"name":"z","name":"w"}]},"id":"s"}`,
		`{"id":1,"result":{"tools":null,"CacheScope":"public"}}`,
		`{"id":1,"result":{"Tools":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		spans, _, ok := Messages(b, nil)
		if ok && !json.Valid(b) {
			t.Fatalf("Messages accepted %q, which json.Valid refuses", b)
		}
		if trimmed := bytes.TrimSpace(b); !ok && json.Valid(b) && len(trimmed) > 0 && trimmed[0] == '{' {
			t.Fatalf("Messages refused the object %q", b)
		}
		if !ok {
			return
		}
		for _, s := range spans {
			if !json.Valid(b[s.Start:s.End]) || b[s.Start] != '{' {
				t.Fatalf("message span %q is not an object", b[s.Start:s.End])
			}
			r := ScanResponse(b, s, listAll, nil)
			if r.ID != nil && !json.Valid(r.ID) {
				t.Fatalf("id %q is not a JSON value", r.ID)
			}
			if r.Result.Start >= 0 && !json.Valid(b[r.Result.Start:r.Result.End]) {
				t.Fatalf("result %q is not a JSON value", b[r.Result.Start:r.Result.End])
			}
			if !r.Listed {
				continue
			}
			l := r.List
			for _, sc := range l.Scopes {
				if !json.Valid(b[sc.Start:sc.End]) {
					t.Fatalf("scope %q is not a JSON value", b[sc.Start:sc.End])
				}
			}
			if !l.Found || l.Array.Start == l.Array.End {
				continue
			}
			var elems []json.RawMessage
			if err := json.Unmarshal(b[l.Array.Start:l.Array.End], &elems); err != nil {
				t.Fatalf("array %q: %v", b[l.Array.Start:l.Array.End], err)
			}
			if len(elems) != len(l.Items) {
				t.Fatalf("%d items, encoding/json reads %d", len(l.Items), len(elems))
			}
			for i, it := range l.Items {
				raw := b[it.Start:it.End]
				var compact1, compact2 bytes.Buffer
				json.Compact(&compact1, raw)
				json.Compact(&compact2, elems[i])
				if compact1.String() != compact2.String() {
					t.Fatalf("item %d = %q, encoding/json reads %q", i, raw, elems[i])
				}
				if !it.OK {
					continue
				}
				var v struct {
					Name *string `json:"name"`
				}
				if err := json.Unmarshal(raw, &v); err != nil || v.Name == nil || *v.Name != string(it.Key) {
					t.Fatalf("item %q: key %q, encoding/json reads %v (%v)", raw, it.Key, v.Name, err)
				}
			}
		}
	})
}
