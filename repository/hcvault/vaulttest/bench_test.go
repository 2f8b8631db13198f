// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository/hcvault"
)

// benchValue is about the size of a token record of the provider.
var benchValue = []byte(`{"client_id":"mcp_0123456789abcdef","subject":"user-42","scopes":["read","write"],"resource":"https://mcp.example.com/mcp","expires_at":"2026-01-02T03:04:05Z","upstream":"sha256-0123456789abcdef0123456789abcdef0123456789ab"}`)

// BenchmarkGet measures Get of an existing record over loopback.
func BenchmarkGet(b *testing.B) {
	v := startVault(b)
	s := v.newStore(b, hcvault.Options{})
	ctx := b.Context()
	if err := s.Set(ctx, "token", benchValue, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, "token"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetAbsent measures Get of a key that does not exist.
func BenchmarkGetAbsent(b *testing.B) {
	v := startVault(b)
	s := v.newStore(b, hcvault.Options{})
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, "absent"); err == nil {
			b.Fatal("Get(absent) succeeded")
		}
	}
}

// BenchmarkSet measures Set (a new version of one secret each time).
func BenchmarkSet(b *testing.B) {
	v := startVault(b)
	s := v.newStore(b, hcvault.Options{})
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Set(ctx, "token", benchValue, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTake measures Take of a record (read, tombstone, delete); the
// Set that creates each record is outside the timer.
func BenchmarkTake(b *testing.B) {
	v := startVault(b)
	s := v.newStore(b, hcvault.Options{})
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		key := fmt.Sprintf("code/%d", i)
		i++
		if err := s.Set(ctx, key, benchValue, time.Minute); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Take(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}
