// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.216.34", true},
		{"2606:2800:220:1:248:1893:25c8:1946", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fc00::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of 169.254.169.254
		{"0.1.2.3", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := publicAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("got publicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestGuardAddress(t *testing.T) {
	if err := guardAddress("tcp", "127.0.0.1:443", nil); !errors.Is(err, errBlockedAddress) {
		t.Errorf("got %v, want errBlockedAddress", err)
	}
	if err := guardAddress("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("got %v, want nil", err)
	}
	if err := guardAddress("tcp", "not-an-address", nil); !errors.Is(err, errBlockedAddress) {
		t.Errorf("got %v, want errBlockedAddress", err)
	}
}

func TestCacheTTL(t *testing.T) {
	tests := []struct {
		header []string
		want   time.Duration
	}{
		{nil, time.Hour},
		{[]string{"max-age=60"}, time.Minute},
		{[]string{"public, max-age=7200"}, time.Hour},
		{[]string{"no-store"}, 0},
		{[]string{"max-age=60", "no-cache"}, 0},
		{[]string{"max-age=-1"}, 0},
		{[]string{"max-age=x"}, 0},
	}
	for _, tt := range tests {
		h := http.Header{"Cache-Control": tt.header}
		if got := cacheTTL(h, time.Hour); got != tt.want {
			t.Errorf("cacheTTL(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// TestCIMDCacheLifetime: a document is reused for its max-age (capped by
// CacheTTL), on the provider's clock, and fetched again after it.
func TestCIMDCacheLifetime(t *testing.T) {
	var hits atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": srv.URL + r.URL.Path, "redirect_uris": []string{"https://client.example/cb"}})
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newCIMDFetcher(CIMDOptions{AllowPrivate: true, TLSConfig: &tls.Config{RootCAs: pool}, CacheTTL: time.Hour}, nil, func() time.Time { return now })
	id := srv.URL + "/client.json"
	get := func(step string, wantHits int32) {
		t.Helper()
		if _, err := f.get(context.Background(), id); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got := hits.Load(); got != wantHits {
			t.Fatalf("%s: got %d fetches, want %d", step, got, wantHits)
		}
	}
	get("first", 1)
	get("cached", 1)
	now = now.Add(59 * time.Second)
	get("within max-age", 1)
	now = now.Add(time.Second)
	get("max-age over", 2)
}
