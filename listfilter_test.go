// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzAllow is the policy of the filter's property tests: a tool is
// allowed when its name has an even length and no U+FFFD (what decoders
// make of invalid UTF-8); "pub" is public.
func fuzzAllow(name string) bool {
	return name == "pub" || (len(name)%2 == 0 && !strings.ContainsRune(name, utf8.RuneError))
}

func newFuzzMiddleware(tb testing.TB) *Middleware {
	tb.Helper()
	m, err := New(AuthorizerFunc(func(_ context.Context, c Check) (bool, error) {
		name, _ := c.Resource.Attributes[AttrToolName].(string)
		return fuzzAllow(name), nil
	}), &Options{PublicTools: []string{"pub"}, DisableAudit: true})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// filterThrough runs a tools/list request with id 1 through m in front of
// a handler answering with body (as JSON, or as one SSE event whose data
// lines are body's lines) written in pieces of chunk bytes (0: at once).
// It returns what the client receives: the body, or the events' data.
func filterThrough(tb testing.TB, m *Middleware, body []byte, sse bool, chunk int) (out []byte, events [][]byte) {
	tb.Helper()
	ct := "application/json"
	payload := body
	if sse {
		ct = "text/event-stream"
		var b bytes.Buffer
		b.WriteString("event: message\nid: 7\n")
		for _, line := range bytes.Split(body, []byte("\n")) {
			b.WriteString("data: ")
			b.Write(line)
			b.WriteByte('\n')
		}
		b.WriteString("\n")
		payload = b.Bytes()
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		for p := payload; len(p) > 0; {
			n := len(p)
			if chunk > 0 && chunk < n {
				n = chunk
			}
			w.Write(p[:n])
			p = p[n:]
		}
	})
	rec := httptest.NewRecorder()
	m.Handler(h).ServeHTTP(rec, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if !sse {
		return rec.Body.Bytes(), nil
	}
	return rec.Body.Bytes(), sseData(tb, rec.Body.Bytes())
}

// sseData returns the data of each event of a stream written with LF line
// ends.
func sseData(tb testing.TB, stream []byte) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, ev := range bytes.Split(stream, []byte("\n\n")) {
		var data [][]byte
		n := 0
		for _, line := range bytes.Split(ev, []byte("\n")) {
			if v, ok := fieldValue(line, "data"); ok {
				data = append(data, v)
				n++
			}
		}
		if n > 0 {
			out = append(out, bytes.Join(data, []byte("\n")))
		}
	}
	return out
}

// lenientNames returns the tool names a lenient client reads in msg (one
// message or an array of them): encoding/json matches member names
// case-insensitively and keeps the last of repeated members.
func lenientNames(msg []byte) []string {
	type resp struct {
		Result struct {
			Tools []struct {
				Name string `json:"name"`
			} `json:"tools"`
		} `json:"result"`
	}
	var names []string
	var one resp
	if json.Unmarshal(msg, &one) == nil || bytes.HasPrefix(bytes.TrimSpace(msg), []byte("{")) {
		for _, t := range one.Result.Tools {
			names = append(names, t.Name)
		}
		return names
	}
	var many []json.RawMessage
	if json.Unmarshal(msg, &many) != nil {
		return nil
	}
	for _, m := range many {
		names = append(names, lenientNames(m)...)
	}
	return names
}

// refFilter is the straightforward reference of the filter for one
// message: decode, drop the items the policy hides, set cacheScope. It
// reports ok=false when it cannot say (input it does not model), and
// refuse=true when the filter must refuse the message.
func refFilter(body []byte) (want any, unchanged, refuse, ok bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, true, false, true
	}
	if !json.Valid(body) {
		return nil, false, true, true
	}
	top, clean := decodeOrdered(body)
	obj, isObj := top.(*ordered)
	if !isObj {
		return nil, false, false, false // arrays and scalars: not modelled here
	}
	if !clean {
		return nil, false, false, false // keys the reference cannot read exactly
	}
	if obj.ambiguous([]string{"jsonrpc", "id", "method", "params", "result", "error"}) {
		return nil, false, true, true
	}
	res, has := obj.get("result")
	if !has {
		return nil, true, false, true
	}
	result, isObj := res.(*ordered)
	if !isObj {
		return nil, true, false, true
	}
	if result.ambiguous([]string{"tools"}) {
		return nil, false, true, true
	}
	tools, has := result.get("tools")
	if !has {
		return nil, true, false, true
	}
	var kept []any
	switch tools := tools.(type) {
	case nil:
	case []any:
		kept = []any{}
		for _, it := range tools {
			item, isObj := it.(*ordered)
			if !isObj {
				continue
			}
			name, ok := item.onlyString("name")
			if ok && name != "" && fuzzAllow(name) {
				kept = append(kept, item.plain())
			}
		}
	default:
		return nil, false, true, true
	}
	out := obj.plain().(map[string]any)
	r := out["result"].(map[string]any)
	if tools != nil {
		r["tools"] = kept
	}
	scoped := false
	for k := range r {
		if strings.EqualFold(k, "cacheScope") {
			r[k] = "private"
			scoped = true
		}
	}
	if !scoped {
		r["cacheScope"] = "private"
	}
	return out, false, false, true
}

// ordered is a JSON object with its members in order, repeats included.
type ordered struct {
	keys []string
	vals []any
}

func (o *ordered) get(k string) (any, bool) {
	for i, key := range o.keys {
		if key == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// ambiguous reports a repeated member or a case variant of one of names.
func (o *ordered) ambiguous(names []string) bool {
	seen := map[string]bool{}
	for _, k := range o.keys {
		if seen[k] {
			return true
		}
		seen[k] = true
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				return true
			}
		}
	}
	return false
}

// onlyString returns the member k when it is the only member equal to k
// under case folding and a string.
func (o *ordered) onlyString(k string) (string, bool) {
	var v any
	n := 0
	for i, key := range o.keys {
		if strings.EqualFold(key, k) {
			n++
			if key != k {
				return "", false
			}
			v = o.vals[i]
		}
	}
	s, isString := v.(string)
	return s, n == 1 && isString
}

// plain converts to encoding/json's generic values (the last repeat wins).
func (o *ordered) plain() any {
	m := map[string]any{}
	for i, k := range o.keys {
		m[k] = plainValue(o.vals[i])
	}
	return m
}

func plainValue(v any) any {
	switch v := v.(type) {
	case *ordered:
		return v.plain()
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plainValue(e)
		}
		return out
	}
	return v
}

// decodeOrdered decodes valid JSON keeping member order and repeats. clean
// is false when a member name held invalid UTF-8 (decoded as U+FFFD, so
// its raw bytes are unknown here).
func decodeOrdered(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	clean := true
	var value func() any
	value = func() any {
		tok, err := d.Token()
		if err != nil {
			panic(err)
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '[' {
				arr := []any{}
				for d.More() {
					arr = append(arr, value())
				}
				d.Token()
				return arr
			}
			o := &ordered{}
			for d.More() {
				k, _ := d.Token()
				key := k.(string)
				if strings.ContainsRune(key, utf8.RuneError) {
					clean = false
				}
				o.keys = append(o.keys, key)
				o.vals = append(o.vals, value())
			}
			d.Token()
			return o
		default:
			return tok
		}
	}
	v := value()
	return v, clean
}

// isRefusal reports whether msg is the filter's JSON-RPC error.
func isRefusal(msg []byte) bool {
	var r struct {
		Error *struct{ Code int } `json:"error"`
	}
	return json.Unmarshal(msg, &r) == nil && r.Error != nil && r.Error.Code == -32603
}

// checkFiltered checks what the client received (data) for the server's
// message body against the reference and the safety property.
func checkFiltered(t *testing.T, body, data []byte) {
	t.Helper()
	// Safety, for every input: no lenient reader finds a hidden tool.
	for _, name := range lenientNames(data) {
		if !fuzzAllow(name) {
			t.Fatalf("hidden tool %q is readable in the output\n in: %q\nout: %q", name, body, data)
		}
	}
	if len(bytes.TrimSpace(data)) > 0 && !json.Valid(data) {
		t.Fatalf("output is not JSON\n in: %q\nout: %q", body, data)
	}
	want, unchanged, refuse, ok := refFilter(body)
	switch {
	case !ok:
	case unchanged:
		if !bytes.Equal(data, body) {
			t.Fatalf("message changed\n in: %q\nout: %q", body, data)
		}
	case refuse:
		if !isRefusal(data) {
			t.Fatalf("message not refused\n in: %q\nout: %q", body, data)
		}
	default:
		var got any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&got); err != nil {
			t.Fatalf("output: %v\n in: %q\nout: %q", err, body, data)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("output differs from the reference (-want +got):\n%s\n in: %q\nout: %q", diff, body, data)
		}
	}
}

// wholeBody returns the body the filter answers for body written in
// pieces of chunk bytes: a first piece that is a whole JSON object or array
// is the body (what follows could only make it invalid, and is dropped).
func wholeBody(body []byte, chunk int) []byte {
	if chunk <= 0 || chunk >= len(body) {
		return body
	}
	first := body[:chunk]
	t := bytes.TrimSpace(first)
	if len(t) > 0 && (t[len(t)-1] == '}' || t[len(t)-1] == ']') && (t[0] == '{' || t[0] == '[') && json.Valid(first) {
		return first
	}
	return body
}

var filterSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"result":{"ttlMs":0,"cacheScope":"public","tools":[{"name":"ab","inputSchema":{"type":"object"}},{"name":"abc"},{"name":"pub"}]}}`,
	`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"abc"},{"name":"ab"},{"name":"x"},{"name":"yz"},{"name":"q"}],"nextCursor":"c"}}`,
	` { "id" : "1" , "result" : { "tools" : [ { "name" : "abc" } , { "name" : "de" } ] } } `,
	`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"ab","NAME":"abc"},{"name":"cd","name":"c"},"x",{"name":"\u0061b"}]}}`,
	`{"jsonrpc":"2.0","id":1,"result":{"tools":[],"Tools":[{"name":"abc"}]}}`,
	`{"jsonrpc":"2.0","id":1,"Result":{"tools":[{"name":"abc"}]}}`,
	`{"jsonrpc":"2.0","id":1,"result":{"tools":null,"CacheScope":"public"}}`,
	`[{"jsonrpc":"2.0","method":"notifications/progress","params":{}},{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"abc"},{"name":"ab"}]}}]`,
	`{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"no"}}`,
	`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"abc"}]}} {"x":1}`,
	`{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"abc"}]}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"a\xff\"},{\"name\":\"\\ud800x\"}]}}",
	"{\"id\":1,\n\"result\":{\"tools\":[\n{\"name\":\"abc\"},\n{\"name\":\"ab\"}\n]}}",
	``,
}

// FuzzListFilter checks the filter against the reference on any server
// message, answered as JSON or as SSE and written in pieces of any size:
// it never panics, never lets a lenient client read a hidden tool, and
// agrees with decode+filter on every message the reference models.
func FuzzListFilter(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add([]byte(s), false, 0)
		f.Add([]byte(s), true, 3)
	}
	m := newFuzzMiddleware(f)
	f.Fuzz(func(t *testing.T, body []byte, sse bool, chunk int) {
		if chunk < 0 {
			chunk = -chunk
		}
		if !sse {
			out, _ := filterThrough(t, m, body, false, chunk%64)
			checkFiltered(t, wholeBody(body, chunk%64), out)
			return
		}
		// An event's data lines cannot hold CR; the data is body without
		// them, and an empty body sends no event data.
		body = bytes.ReplaceAll(body, []byte("\r"), nil)
		stream, events := filterThrough(t, m, body, true, chunk%64)
		if len(body) == 0 {
			return
		}
		if len(events) != 1 {
			t.Fatalf("%d events in %q, want 1", len(events), stream)
		}
		checkFiltered(t, body, events[0])
	})
}

func TestListFilterSeeds(t *testing.T) {
	m := newFuzzMiddleware(t)
	for _, s := range filterSeeds {
		for _, sse := range []bool{false, true} {
			for _, chunk := range []int{0, 1, 7} {
				body := []byte(s)
				if !sse {
					out, _ := filterThrough(t, m, body, false, chunk)
					checkFiltered(t, wholeBody(body, chunk), out)
					continue
				}
				if len(body) == 0 {
					continue
				}
				_, events := filterThrough(t, m, body, true, chunk)
				if len(events) != 1 {
					t.Fatalf("%q: %d events", s, len(events))
				}
				checkFiltered(t, body, events[0])
			}
		}
	}
}

func TestListFilterRefusals(t *testing.T) {
	tt := []struct{ name, body string }{
		{"not JSON", `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"abc"}]}`},
		{"trailing value", `{"jsonrpc":"2.0","id":1,"result":{"tools":[]}} {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"abc"}]}}`},
		{"repeated result", `{"jsonrpc":"2.0","id":1,"result":{"tools":[]},"result":{"tools":[{"name":"abc"}]}}`},
		{"result case variant", `{"jsonrpc":"2.0","id":1,"result":{"tools":[]},"RESULT":{"tools":[{"name":"abc"}]}}`},
		{"list case variant", `{"jsonrpc":"2.0","id":1,"result":{"tools":[],"toolſ":[{"name":"abc"}]}}`},
		{"list not an array", `{"jsonrpc":"2.0","id":1,"result":{"tools":{"0":{"name":"abc"}}}}`},
	}
	m := newFuzzMiddleware(t)
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			for _, sse := range []bool{false, true} {
				out, events := filterThrough(t, m, []byte(tc.body), sse, 0)
				if sse {
					out = events[0]
				}
				want := `{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error"}}`
				if string(out) != want {
					t.Errorf("sse %v: got %s, want %s", sse, out, want)
				}
			}
		})
	}
}

// The go-sdk answers a JSON request with an array when other messages
// (progress notifications) go with the response; every response in it is
// filtered.
func TestListFilterMessageArray(t *testing.T) {
	m := newFuzzMiddleware(t)
	body := `[{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}},` +
		`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"abc"},{"name":"ab"}]}}]`
	out, _ := filterThrough(t, m, []byte(body), false, 0)
	want := `[{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}},` +
		`{"jsonrpc":"2.0","id":1,"result":{"cacheScope":"private","tools":[{"name":"ab"}]}}]`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

// An event written a byte at a time, with its data on several lines, ends
// up as the same filtered message.
func TestListFilterSSEPieces(t *testing.T) {
	m := newFuzzMiddleware(t)
	body := "{\"jsonrpc\":\"2.0\",\"id\":1,\n\"result\":{\"tools\":[{\"name\":\"abc\"},\n{\"name\":\"ab\"}]}}"
	want := "{\"jsonrpc\":\"2.0\",\"id\":1,\n\"result\":{\"cacheScope\":\"private\",\"tools\":[{\"name\":\"ab\"}]}}"
	for _, chunk := range []int{0, 1, 2, 5} {
		stream, events := filterThrough(t, m, []byte(body), true, chunk)
		if len(events) != 1 || string(events[0]) != want {
			t.Errorf("chunk %d: stream %q, want the data %q", chunk, stream, want)
		}
	}
}

// A custom mapping decides every item through the bulk path.
func TestListFilterCustomMapping(t *testing.T) {
	rec := &recorder{allow: func(c Check) bool { return c.Action == "call:greet" }}
	m, err := New(rec, &Options{Mapping: func(_ context.Context, r *Request) (*Check, bool, error) {
		return &Check{User: r.Identity.User, Action: "call:" + r.Name, Resource: Resource{Type: "tool"}}, true, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		h := &listHandler{contentType: "application/json", chunks: []string{toolsResult}}
		w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`))
		want := `{"jsonrpc":"2.0","id":4,"result":{"cacheScope":"private","tools":[{"name":"greet","inputSchema":{"type":"object"}}],"nextCursor":"c2"}}`
		if got := w.Body.String(); got != want {
			t.Errorf("round %d:\n got %s\nwant %s", round, got, want)
		}
	}
	if len(rec.checks) != 3 {
		t.Errorf("%d checks decided, want 3 (the second list is cached)", len(rec.checks))
	}
}

// The cold path decides every item the cache misses in one bulk call and
// caches each decision under the key the warm path looks up.
func TestListFilterColdThenWarm(t *testing.T) {
	bulk := 0
	authz := &bulkCounter{calls: &bulk}
	m, err := New(authz, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := string(toolsListResponse(300))
	for round := 0; round < 3; round++ {
		h := &listHandler{contentType: "application/json", chunks: []string{resp}}
		w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		if got := strings.Count(w.Body.String(), `"name"`); got != 150 {
			t.Fatalf("round %d: %d tools listed, want 150", round, got)
		}
	}
	if bulk != 1 {
		t.Errorf("%d bulk calls for three lists, want 1", bulk)
	}
	if s := m.Stats(); s.Hits != 600 || s.Misses != 300 {
		t.Errorf("stats %+v, want 600 hits and 300 misses", s)
	}
}

// bulkCounter allows the tools with an even number and counts bulk calls.
type bulkCounter struct{ calls *int }

func (b *bulkCounter) Allowed(context.Context, Check) (bool, error) {
	return false, errors.New("single check")
}

func (b *bulkCounter) AllowedBulk(_ context.Context, cs []Check) ([]bool, error) {
	*b.calls++
	out := make([]bool, len(cs))
	for i, c := range cs {
		var n int
		fmt.Sscanf(c.Resource.Attributes[AttrToolName].(string), "tool_%d", &n)
		out[i] = n%2 == 0
	}
	return out, nil
}

// TestListFilterMemory measures the memory a 10,000-tool list costs to
// filter: the bytes allocated per request (runtime.MemStats.TotalAlloc
// over 20 requests with a warm cache, the garbage collector off so that
// the filter's pooled scratch memory stays pooled; the handler answers
// from a slice it allocates once). A body written at once (as the go-sdk
// writes it) is filtered from the handler's own bytes: the filter adds no
// copy of it. A body written in pieces is buffered in one copy, grown by
// doubling: with the growth the allocations stay within twice the
// response, while the filter holds one buffer. It runs on one P, so that
// the pool's behaviour does not depend on scheduling.
func TestListFilterMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops what it is given at random")
	}
	resp := toolsListResponse(10_000)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// One P: sync.Pool keeps a put object in the putting P's private slot,
	// which another P cannot take, so on a loaded machine a request that
	// lands on another P would miss the pooled scratch and the measure
	// would depend on scheduling.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, tc := range []struct {
		pieces int
		limit  float64 // of the response size
	}{{1, 0.05}, {2, 1.7}, {64, 2.25}} {
		serve := listServer(t, resp, tc.pieces)
		serve()
		serve()
		const n = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < n; i++ {
			serve()
		}
		runtime.ReadMemStats(&after)
		perOp := float64(after.TotalAlloc-before.TotalAlloc) / n
		t.Logf("%d-byte response in %d pieces: %.0f B/op (%.2fx)", len(resp), tc.pieces, perOp, perOp/float64(len(resp)))
		if perOp > tc.limit*float64(len(resp)) {
			t.Errorf("%d pieces: %.0f bytes allocated per request for a %d-byte response, want at most %.2fx",
				tc.pieces, perOp, len(resp), tc.limit)
		}
	}
}

// piecesMCP answers with resp written in pieces.
type piecesMCP struct {
	resp   []byte
	pieces int
}

func (h piecesMCP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	n := (len(h.resp) + h.pieces - 1) / h.pieces
	for p := h.resp; len(p) > 0; {
		k := min(n, len(p))
		w.Write(p[:k])
		p = p[k:]
	}
}

// listServer returns a function serving tools/list with resp (written in
// pieces) through a middleware (allow-all, every decision cached after the
// first call).
func listServer(tb testing.TB, resp []byte, pieces int) func() {
	m, err := New(allowAllAuthz(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	h := m.Handler(piecesMCP{resp: resp, pieces: pieces})
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	w := &benchWriter{h: make(http.Header)}
	return func() {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", io.NopCloser(bytes.NewReader(body)))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Type", "application/json")
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, r)
		if w.n < len(resp) {
			tb.Fatalf("%d bytes written for a %d-byte response", w.n, len(resp))
		}
	}
}

// benchList benchmarks listServer.
func benchList(b *testing.B, resp []byte, pieces int) {
	serve := listServer(b, resp, pieces)
	serve()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve()
	}
	b.ReportMetric(float64(len(resp)), "resp-bytes")
}

// BenchmarkListFilter10k filters a 10,000-tool list from a warm cache,
// written at once and in two pieces; B/op against resp-bytes is the memory
// the filter costs.
func BenchmarkListFilter10k(b *testing.B) {
	resp := toolsListResponse(10_000)
	b.Run("whole", func(b *testing.B) { benchList(b, resp, 1) })
	b.Run("pieces", func(b *testing.B) { benchList(b, resp, 2) })
}
