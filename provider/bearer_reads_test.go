// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository/memory"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// countingStore counts the reads (Get and Take) that reach the store, by
// record kind ("access", "family", "revoked", …).
type countingStore struct {
	*memory.Store

	mu    sync.Mutex // guards reads
	reads map[string]int
}

func (s *countingStore) count(key string) {
	kind, _, _ := strings.Cut(strings.TrimPrefix(key, "mcpauth/provider/"), "/")
	s.mu.Lock()
	s.reads[kind]++
	s.mu.Unlock()
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	s.count(key)
	return s.Store.Get(ctx, key)
}

func (s *countingStore) Take(ctx context.Context, key string) ([]byte, error) {
	s.count(key)
	return s.Store.Take(ctx, key)
}

// take returns the counts so far and starts again from zero.
func (s *countingStore) take() (total int, byKind map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byKind, s.reads = s.reads, map[string]int{}
	for _, n := range byKind {
		total += n
	}
	return total, byKind
}

// TestBearerReadsPerTokenPerTTL counts the store reads that checking one
// access token costs within one verified-token cache TTL: the target is at
// most one, however many requests present it, in sequence or all at once
// on a cold cache.
func TestBearerReadsPerTokenPerTTL(t *testing.T) {
	clock := repositorytest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	store := &countingStore{Store: memory.New(&memory.Options{Clock: clock.Now}), reads: map[string]int{}}
	p, err := New(&Options{
		BaseURL:  "https://mcp.example.com",
		Upstream: UpstreamOptions{Issuer: "https://idp.example.com", ClientID: "c"},
		Store:    store,
		Now:      clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	at, _ := grantToken(t, p)
	h := p.RequireBearer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	request := func() {
		req := httptest.NewRequest(http.MethodPost, "https://mcp.example.com/mcp", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Errorf("got %d, want 200", w.Code)
		}
	}
	store.take()
	const requests = 64
	for window := range 3 {
		// A burst on a cold cache, then requests one after another.
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range requests {
			wg.Go(func() {
				<-start
				request()
			})
		}
		close(start)
		wg.Wait()
		for range requests {
			request()
		}
		total, byKind := store.take()
		t.Logf("cache TTL window %d: %d requests, %d store reads %v", window, 2*requests, total, byKind)
		if total > 1 {
			t.Errorf("cache TTL window %d: %d store reads for one token (%v), want at most 1", window, total, byKind)
		}
		clock.Advance(DefaultTokenCacheTTL)
	}
}
