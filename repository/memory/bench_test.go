// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository/memory"
)

// record is the size and shape of an access-token record.
var record = []byte(`{"token_hash":"sha256-0e3f1c2d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978","client_id":"9f0e4c2a-1b7d-4c8e-9a55-3e2f1d0c6b7a","scopes":["user","read"],"expires_at":1767225600,"resource":"https://mcp.example.com/mcp","subject":"pui_abc"}`)

func BenchmarkGet(b *testing.B) {
	ctx := b.Context()
	s := memory.New(nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("sha256-%064d", i)
		if err := s.Set(ctx, keys[i], record, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Get(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGetParallel(b *testing.B) {
	ctx := b.Context()
	s := memory.New(nil)
	if err := s.Set(ctx, "k", record, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get(ctx, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSet(b *testing.B) {
	ctx := b.Context()
	s := memory.New(nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("sha256-%064d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, keys[i%len(keys)], record, time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkTake: one Take; the Set that refills the key runs with the
// timer stopped.
func BenchmarkTake(b *testing.B) {
	ctx := b.Context()
	s := memory.New(nil)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := s.Set(ctx, "k", record, time.Minute); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Take(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}
