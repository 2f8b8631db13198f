// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
)

// record is the size and shape of an access-token record, as in the
// memory store's benchmarks.
var record = []byte(`{"token_hash":"sha256-0e3f1c2d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978","client_id":"9f0e4c2a-1b7d-4c8e-9a55-3e2f1d0c6b7a","scopes":["user","read"],"expires_at":1767225600,"resource":"https://mcp.example.com/mcp","subject":"pui_abc"}`)

// benchStore returns a store on a fresh local server with 1024 records.
func benchStore(b *testing.B) (*redis.Store, []string) {
	b.Helper()
	srv := redisserver.Start(b, nil)
	s := newStore(b, redis.Options{URL: srv.URL(), Prefix: "bench"})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("sha256-%064d", i)
		if err := s.Set(b.Context(), keys[i], record, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	return s, keys
}

// BenchmarkGet: one GET round trip over loopback.
func BenchmarkGet(b *testing.B) {
	s, keys := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Get(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSet: one SET … PX round trip over loopback.
func BenchmarkSet(b *testing.B) {
	s, keys := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, keys[i%len(keys)], record, time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkTake: one GETDEL round trip; the SET that refills the key runs
// with the timer stopped.
func BenchmarkTake(b *testing.B) {
	s, keys := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[i%len(keys)]
		b.StopTimer()
		if err := s.Set(ctx, k, record, time.Minute); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Take(ctx, k); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGetParallel: Gets from every core through the client's pool.
func BenchmarkGetParallel(b *testing.B) {
	s, keys := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Get(ctx, keys[i%len(keys)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
