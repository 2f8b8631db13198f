// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchWriter is a reusable, allocation-free ResponseWriter.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }
func (w *benchWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *benchWriter) Flush()                      {}

// trivialMCP reads the body and answers with a fixed response, standing for
// an MCP server that does no work.
type trivialMCP struct{ resp []byte }

func (h trivialMCP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Write(h.resp)
}

func allowAllAuthz() Authorizer {
	return AuthorizerFunc(func(context.Context, Check) (bool, error) { return true, nil })
}

func toolCallBody(argBytes int) []byte {
	pad := strings.Repeat("x", max(0, argBytes-40))
	return []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"Ada","number":12,"note":%q}}}`, pad))
}

func toolsListResponse(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"jsonrpc":"2.0","id":1,"result":{"tools":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"tool_%d","description":"tool number %d","inputSchema":{"type":"object","properties":{"q":{"type":"string"}}}}`, i, i)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

func benchServe(b *testing.B, h http.Handler, body []byte) {
	b.Helper()
	w := &benchWriter{h: make(http.Header)}
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	rd := bytes.NewReader(body)
	// Warm up: fill the decision cache.
	for i := 0; i < 2; i++ {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	}
	if w.status != 0 && w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		r.ContentLength = int64(len(body))
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

// BenchmarkServeHTTP measures the middleware's in-process overhead on the
// warm path: "bare" is the trivial handler alone, "wrapped" the same handler
// behind the middleware with every decision cached.
func BenchmarkServeHTTP(b *testing.B) {
	cases := []struct {
		name string
		body []byte
		resp []byte
	}{
		{"tools_call_100B", toolCallBody(100), []byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Hello, Ada!"}]}}`)},
		{"tools_call_16KiB", toolCallBody(16 << 10), []byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Hello, Ada!"}]}}`)},
		{"tools_list_500", []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`), toolsListResponse(500)},
	}
	for _, tc := range cases {
		h := trivialMCP{resp: tc.resp}
		b.Run(tc.name+"/bare", func(b *testing.B) { benchServe(b, h, tc.body) })
		b.Run(tc.name+"/wrapped", func(b *testing.B) {
			m, err := New(allowAllAuthz(), nil)
			if err != nil {
				b.Fatal(err)
			}
			benchServe(b, m.Handler(h), tc.body)
		})
	}
}

// BenchmarkCacheKey measures the decision cache key of a small tools/call.
func BenchmarkCacheKey(b *testing.B) {
	c := newDecisionCache(CacheOptions{Size: 10, AllowTTL: 1, DenyTTL: 1, PDPTimeout: 1})
	chk := baseCheck()
	var k cacheKey
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.key(&k, &chk, nil)
	}
}

// BenchmarkCacheMemory reports the heap bytes held per cached decision with
// 100,000 entries (metric B/entry); b.N is ignored beyond the first fill.
func BenchmarkCacheMemory(b *testing.B) {
	const entries = 100_000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c := newDecisionCache(CacheOptions{Size: entries, AllowTTL: time.Hour, DenyTTL: time.Hour, PDPTimeout: time.Second})
		chk := baseCheck()
		for j := 0; j < entries; j++ {
			chk.Resource.Attributes["arg_number"] = j
			var k cacheKey
			c.key(&k, &chk, nil)
			c.store(&k, j%2 == 0, &chk, nil)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if c.lru.Len() != entries {
			b.Fatalf("cache holds %d entries, want %d", c.lru.Len(), entries)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/entries, "B/entry")
		runtime.KeepAlive(c)
	}
}
