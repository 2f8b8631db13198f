// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repository_test

import (
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
)

type tokenRecord struct {
	TokenHash string   `json:"token_hash"`
	ClientID  string   `json:"client_id"`
	Scopes    []string `json:"scopes"`
	ExpiresAt int64    `json:"expires_at"`
	Resource  string   `json:"resource"`
	Subject   string   `json:"subject"`
}

var benchRecord = tokenRecord{
	TokenHash: "sha256-0e3f1c2d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978",
	ClientID:  "9f0e4c2a-1b7d-4c8e-9a55-3e2f1d0c6b7a",
	Scopes:    []string{"user", "read"},
	ExpiresAt: 1767225600,
	Resource:  "https://mcp.example.com/mcp",
	Subject:   "pui_abc",
}

// BenchmarkTypedGet measures the typed layer (JSON decode) over memory.
func BenchmarkTypedGet(b *testing.B) {
	ctx := b.Context()
	r := repository.New[tokenRecord](memory.New(nil))
	if err := r.Set(ctx, "k", benchRecord, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Get(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTypedSet measures the typed layer (JSON encode) over memory.
func BenchmarkTypedSet(b *testing.B) {
	ctx := b.Context()
	r := repository.New[tokenRecord](memory.New(nil))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Set(ctx, "k", benchRecord, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
