// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/pangeavaulttest"
	"github.com/mcpauth/mcpauth/repository/pangeavault"
)

var benchRecord = []byte(`{"token_hash":"sha256-0e3f1c2d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978","client_id":"9f0e4c2a-1b7d-4c8e-9a55-3e2f1d0c6b7a","scopes":["user","read"],"expires_at":1767225600,"resource":"https://mcp.example.com/mcp","subject":"pui_abc"}`)

func benchStore(b *testing.B) (*pangeavault.Store, *pangeavaulttest.Server) {
	b.Helper()
	srv := pangeavaulttest.New(b, nil)
	s, err := pangeavault.New(&pangeavault.Options{Token: srv.Token(), BaseURL: srv.URL, HTTPClient: srv.Client(), Folder: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return s, srv
}

// BenchmarkGet is one get_bulk round trip to the double over loopback,
// with 1000 items in the vault.
func BenchmarkGet(b *testing.B) {
	ctx := b.Context()
	s, _ := benchStore(b)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("sha256-%064d", i)
		if err := s.Set(ctx, keys[i], benchRecord, time.Hour); err != nil {
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

// BenchmarkSet overwrites existing keys: a get_bulk and a secret/rotate.
// The double keeps every version, as Pangea does.
func BenchmarkSet(b *testing.B) {
	ctx := b.Context()
	s, _ := benchStore(b)
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("sha256-%064d", i)
		if err := s.Set(ctx, keys[i], benchRecord, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, keys[i%len(keys)], benchRecord, time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
