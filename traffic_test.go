// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/permittest"
)

// These tests count decision point traffic. They assert counts, never times:
// the PDP double's 2 ms delay only makes overlapping requests realistic.

func trafficMiddleware(t *testing.T, pdp *permittest.Server) *mcpauth.Middleware {
	t.Helper()
	authz, err := mcpauth.NewPermit(&mcpauth.PermitOptions{PDPURL: pdp.URL, APIKey: pdp.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := mcpauth.New(authz, &mcpauth.Options{
		Identity: mcpauth.HeaderIdentity("X-User", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`)
})

func callRequest(user, tool string, n int) *http.Request {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":{"number":%d}}}`, tool, n)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-User", user)
	return r
}

func TestTrafficDistinctCombinations(t *testing.T) {
	pdp := permittest.New(t)
	pdp.AllowAll()
	pdp.Delay(2 * time.Millisecond)
	mw := trafficMiddleware(t, pdp)
	h := mw.Handler(okHandler)
	// 10,000 requests over 100 distinct (user, tool, arguments)
	// combinations, from 8 concurrent clients.
	const requests, combos, workers = 10000, 100, 8
	var wg sync.WaitGroup
	var failed sync.Map
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < requests; i += workers {
				c := i % combos
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, callRequest(fmt.Sprintf("user%d", c%10), fmt.Sprintf("tool%d", c/10%5), c/50))
				if rec.Code != 200 || strings.Contains(rec.Body.String(), "isError") {
					failed.Store(i, rec.Body.String())
				}
			}
		}(w)
	}
	wg.Wait()
	failed.Range(func(k, v any) bool {
		t.Errorf("request %v failed: %v", k, v)
		return false
	})
	if n := pdp.Calls(permittest.PathAllowed); n > combos {
		t.Errorf("PDP calls = %d for %d requests over %d combinations, want at most %d", n, requests, combos, combos)
	}
	t.Logf("PDP calls: %d, cache stats: %+v", pdp.Calls(permittest.PathAllowed), mw.Stats())
}

func TestTrafficConcurrentIdenticalColdRequests(t *testing.T) {
	pdp := permittest.New(t)
	pdp.AllowAll()
	mw := trafficMiddleware(t, pdp)
	h := mw.Handler(okHandler)
	pdp.Hold() // the first PDP call blocks until every request is waiting
	const n = 1000
	var wg sync.WaitGroup
	codes := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, callRequest("alice", "greet", 7))
			codes <- rec.Body.String()
		}()
	}
	pdp.WaitHeld(1)
	pdp.Release()
	wg.Wait()
	close(codes)
	for body := range codes {
		if strings.Contains(body, "isError") {
			t.Fatalf("a request was denied: %s", body)
		}
	}
	if got := pdp.Calls(permittest.PathAllowed); got != 1 {
		t.Errorf("PDP calls = %d for %d concurrent identical cold requests, want exactly 1", got, n)
	}
}

func TestTrafficToolsListOneBulkCall(t *testing.T) {
	pdp := permittest.New(t)
	pdp.Decide(func(c permittest.Check) bool { return strings.HasSuffix(c.Action, "7") })
	mw := trafficMiddleware(t, pdp)
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":1,"result":{"tools":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"tool_%d","inputSchema":{"type":"object"}}`, i)
	}
	b.WriteString(`]}}`)
	resp := b.String()
	list := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, resp)
	})
	for round := 0; round < 2; round++ {
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-User", "alice")
		rec := httptest.NewRecorder()
		mw.Handler(list).ServeHTTP(rec, r)
		if got := strings.Count(rec.Body.String(), `"name"`); got != 50 {
			t.Fatalf("round %d: %d tools listed, want the 50 ending in 7", round, got)
		}
	}
	if got, single := pdp.Calls(permittest.PathAllowedBulk), pdp.Calls(permittest.PathAllowed); got != 1 || single != 0 {
		t.Errorf("bulk calls = %d, single calls = %d for two 500-tool lists; want 1 and 0 (the second list is cached)", got, single)
	}
	if got := len(pdp.Requests()[0].Checks); got != 500 {
		t.Errorf("the bulk call carried %d checks, want 500", got)
	}
}
