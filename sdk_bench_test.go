// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// sdkTools is the number of tools of the go-sdk server in BenchmarkGoSDK.
const sdkTools = 500

type sdkGreetIn struct {
	Name   string `json:"name" jsonschema:"who to greet"`
	Number int    `json:"number,omitempty" jsonschema:"a number"`
}

// newSDKHandler returns a stateless go-sdk v1 Streamable HTTP handler with
// n tools, answering with JSON (or SSE when sse is set).
func newSDKHandler(tb testing.TB, n int, sse bool) http.Handler {
	tb.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "1.0.0"}, nil)
	for i := 0; i < n; i++ {
		mcp.AddTool(s, &mcp.Tool{Name: fmt.Sprintf("tool_%d", i), Description: fmt.Sprintf("tool number %d: greets someone", i)},
			func(ctx context.Context, req *mcp.CallToolRequest, in sdkGreetIn) (*mcp.CallToolResult, any, error) {
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + in.Name + "!"}}}, nil, nil
			})
	}
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: !sse})
}

var (
	sdkCallBody = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tool_7","arguments":{"name":"Ada","number":12}}}`)
	sdkListBody = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
)

// sdkWriter is a reusable ResponseWriter that counts the body bytes and
// keeps the last body when keep is set.
type sdkWriter struct {
	h      http.Header
	status int
	n      int
	keep   bool
	body   bytes.Buffer
}

func (w *sdkWriter) Header() http.Header { return w.h }
func (w *sdkWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *sdkWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	if w.keep {
		w.body.Write(p)
	}
	return len(p), nil
}
func (w *sdkWriter) Flush() {}

// serveInProcess serves body once through h with a fresh request and
// returns the writer.
func serveInProcess(h http.Handler, w *sdkWriter, body []byte) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	clear(w.h)
	w.status, w.n = 0, 0
	w.body.Reset()
	h.ServeHTTP(w, r)
}

// checkSDKResponse fails unless the response is a 200 holding want.
func checkSDKResponse(b *testing.B, status int, body []byte, want string) {
	b.Helper()
	if status != http.StatusOK || !bytes.Contains(body, []byte(want)) {
		b.Fatalf("status %d, body %.300s; want 200 holding %s", status, body, want)
	}
}

// BenchmarkGoSDK measures the middleware in front of a real go-sdk server
// (stateless, JSON responses) with 500 tools: a tools/call and a tools/list
// of all 500 tools, in process (ServeHTTP) and over loopback HTTP, "bare"
// (the server alone) and "wrapped" (behind the middleware with an allow-all
// authorizer, the fixed identity and every decision cached). Run bare and
// wrapped in one invocation and compare them with
//
//	benchstat -col /impl out.txt
func BenchmarkGoSDK(b *testing.B) {
	sdk := newSDKHandler(b, sdkTools, false)
	impls := []struct {
		name string
		h    func(b *testing.B) http.Handler
	}{
		{"bare", func(*testing.B) http.Handler { return sdk }},
		{"wrapped", func(b *testing.B) http.Handler {
			m, err := New(allowAllAuthz(), nil)
			if err != nil {
				b.Fatal(err)
			}
			return m.Handler(sdk)
		}},
	}
	reqs := []struct {
		name string
		body []byte
		want string
	}{
		{"call", sdkCallBody, "Hello, Ada!"},
		{fmt.Sprintf("list%d", sdkTools), sdkListBody, fmt.Sprintf(`"tool_%d"`, sdkTools-1)},
	}
	for _, rq := range reqs {
		b.Run(rq.name+"/in-process", func(b *testing.B) {
			for _, im := range impls {
				b.Run("impl="+im.name, func(b *testing.B) {
					h := im.h(b)
					w := &sdkWriter{h: make(http.Header), keep: true}
					// Warm up: fill the decision cache, check the answer.
					for i := 0; i < 2; i++ {
						serveInProcess(h, w, rq.body)
					}
					checkSDKResponse(b, w.status, w.body.Bytes(), rq.want)
					w.keep = false
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						serveInProcess(h, w, rq.body)
					}
					b.StopTimer()
					if w.status != http.StatusOK {
						b.Fatalf("status %d", w.status)
					}
				})
			}
		})
		b.Run(rq.name+"/loopback", func(b *testing.B) {
			for _, im := range impls {
				b.Run("impl="+im.name, func(b *testing.B) {
					srv := httptest.NewServer(im.h(b))
					defer srv.Close()
					client := srv.Client()
					post := func() (int, []byte) {
						r, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(rq.body))
						r.Header.Set("Content-Type", "application/json")
						r.Header.Set("Accept", "application/json, text/event-stream")
						resp, err := client.Do(r)
						if err != nil {
							b.Fatal(err)
						}
						defer resp.Body.Close()
						body, err := io.ReadAll(resp.Body)
						if err != nil {
							b.Fatal(err)
						}
						return resp.StatusCode, body
					}
					for i := 0; i < 2; i++ {
						status, body := post()
						checkSDKResponse(b, status, body, rq.want)
					}
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if status, _ := post(); status != http.StatusOK {
							b.Fatalf("status %d", status)
						}
					}
				})
			}
		})
	}
}

// BenchmarkGoSDKPaired measures the same requests as BenchmarkGoSDK, but
// serves them bare and wrapped in alternation within each iteration (the
// order swapping every iteration), so that both see the same machine load.
// It reports the mean wall time of each (bare-ns/op, wrapped-ns/op) and
// their ratio, wrapped/bare throughput (bare time / wrapped time: 1 means
// no overhead), and the same for the CPU time the process used (cpu-
// metrics, Unix only): on a machine shared with other work the CPU time
// is the steadier measure of what a request costs. ns/op is the time of
// the pair.
func BenchmarkGoSDKPaired(b *testing.B) {
	sdk := newSDKHandler(b, sdkTools, false)
	m, err := New(allowAllAuthz(), nil)
	if err != nil {
		b.Fatal(err)
	}
	wrapped := m.Handler(sdk)
	reqs := []struct {
		name string
		body []byte
		want string
	}{
		{"call", sdkCallBody, "Hello, Ada!"},
		{fmt.Sprintf("list%d", sdkTools), sdkListBody, fmt.Sprintf(`"tool_%d"`, sdkTools-1)},
	}
	for _, rq := range reqs {
		b.Run(rq.name+"/in-process", func(b *testing.B) {
			w := &sdkWriter{h: make(http.Header), keep: true}
			serve := func(h http.Handler) func() {
				return func() { serveInProcess(h, w, rq.body) }
			}
			for _, h := range []http.Handler{sdk, wrapped, sdk, wrapped} {
				serveInProcess(h, w, rq.body)
				checkSDKResponse(b, w.status, w.body.Bytes(), rq.want)
			}
			w.keep = false
			runPaired(b, serve(sdk), serve(wrapped))
		})
		b.Run(rq.name+"/loopback", func(b *testing.B) {
			bare, wrap := httptest.NewServer(sdk), httptest.NewServer(wrapped)
			defer bare.Close()
			defer wrap.Close()
			client := bare.Client()
			post := func(url string) (int, []byte) {
				r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(rq.body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Accept", "application/json, text/event-stream")
				resp, err := client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					b.Fatal(err)
				}
				return resp.StatusCode, body
			}
			for _, url := range []string{bare.URL, wrap.URL, bare.URL, wrap.URL} {
				status, body := post(url)
				checkSDKResponse(b, status, body, rq.want)
			}
			serve := func(url string) func() {
				return func() {
					if status, _ := post(url); status != http.StatusOK {
						b.Fatalf("status %d", status)
					}
				}
			}
			runPaired(b, serve(bare.URL), serve(wrap.URL))
		})
	}
	// The list answered as an SSE stream (one event), in process.
	b.Run(fmt.Sprintf("list%d-sse/in-process", sdkTools), func(b *testing.B) {
		sse := newSDKHandler(b, sdkTools, true)
		m, err := New(allowAllAuthz(), nil)
		if err != nil {
			b.Fatal(err)
		}
		wrappedSSE := m.Handler(sse)
		w := &sdkWriter{h: make(http.Header), keep: true}
		for _, h := range []http.Handler{sse, wrappedSSE} {
			serveInProcess(h, w, sdkListBody)
			checkSDKResponse(b, w.status, w.body.Bytes(), fmt.Sprintf(`"tool_%d"`, sdkTools-1))
		}
		w.keep = false
		runPaired(b, func() { serveInProcess(sse, w, sdkListBody) }, func() { serveInProcess(wrappedSSE, w, sdkListBody) })
	})
}

// runPaired runs bare and wrapped once per iteration, alternating which
// goes first, and reports their mean wall and CPU times and ratios.
func runPaired(b *testing.B, bare, wrapped func()) {
	b.ReportAllocs()
	b.ResetTimer()
	var tBare, tWrapped, cBare, cWrapped time.Duration
	for i := 0; i < b.N; i++ {
		first, second := bare, wrapped
		tFirst, tSecond, cFirst, cSecond := &tBare, &tWrapped, &cBare, &cWrapped
		if i%2 == 1 {
			first, second = wrapped, bare
			tFirst, tSecond, cFirst, cSecond = &tWrapped, &tBare, &cWrapped, &cBare
		}
		c0, t0 := processCPU(), time.Now()
		first()
		c1, t1 := processCPU(), time.Now()
		second()
		c2, t2 := processCPU(), time.Now()
		*tFirst += t1.Sub(t0)
		*tSecond += t2.Sub(t1)
		*cFirst += c1 - c0
		*cSecond += c2 - c1
	}
	n := float64(b.N)
	b.ReportMetric(float64(tBare.Nanoseconds())/n, "bare-ns/op")
	b.ReportMetric(float64(tWrapped.Nanoseconds())/n, "wrapped-ns/op")
	b.ReportMetric(float64(tBare)/float64(tWrapped), "wrapped/bare")
	if cBare > 0 && cWrapped > 0 {
		b.ReportMetric(float64(cBare.Nanoseconds())/n, "bare-cpu-ns/op")
		b.ReportMetric(float64(cWrapped.Nanoseconds())/n, "wrapped-cpu-ns/op")
		b.ReportMetric(float64(cBare)/float64(cWrapped), "wrapped/bare-cpu")
	}
}
