// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package hcvault

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// testClient returns a client for an address nothing listens on; New makes
// no requests, so these tests need no server.
func testClient(t *testing.T) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = "http://127.0.0.1:1"
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewPaths(t *testing.T) {
	tests := []struct {
		name          string
		mount, prefix string
		wantPath      string // SecretPath("abc")
		wantData      string // dataPath(encodeKey("abc"))
		wantErr       string
	}{
		{name: "defaults", wantPath: "mcpauth/kYWJj", wantData: "secret/data/mcpauth/kYWJj"},
		{name: "custom", mount: "kv", prefix: "apps/auth", wantPath: "apps/auth/kYWJj", wantData: "kv/data/apps/auth/kYWJj"},
		{name: "slashes trimmed", mount: "/team/kv/", prefix: "/p/", wantPath: "p/kYWJj", wantData: "team/kv/data/p/kYWJj"},
		{name: "dot dot prefix", prefix: "a/../b", wantErr: `hcvault: invalid prefix "a/../b"`},
		{name: "empty segment", prefix: "a//b", wantErr: `hcvault: invalid prefix "a//b"`},
		{name: "dot mount", mount: ".", wantErr: `hcvault: invalid mount "."`},
		{name: "only slashes", mount: "//", wantErr: `hcvault: invalid mount ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(&Options{Client: testClient(t), Mount: tt.mount, Prefix: tt.prefix})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("New: got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer s.Close()
			if got := s.SecretPath("abc"); got != tt.wantPath {
				t.Errorf("SecretPath: got %q, want %q", got, tt.wantPath)
			}
			if got := s.dataPath(encodeKey("abc")); got != tt.wantData {
				t.Errorf("dataPath: got %q, want %q", got, tt.wantData)
			}
		})
	}
}

func TestNewFromEnvironment(t *testing.T) {
	tests := []struct {
		name        string
		addr, token string
		timeout     string
		wantErr     string
		wantTimeout time.Duration
	}{
		{name: "no address", token: "s.tok", wantErr: "hcvault: no client given and VAULT_ADDR is not set"},
		{name: "no token", addr: "http://127.0.0.1:1", wantErr: "hcvault: no client given and VAULT_TOKEN is not set"},
		{name: "default timeout", addr: "http://127.0.0.1:1", token: "s.tok", wantTimeout: DefaultClientTimeout},
		{name: "timeout from environment", addr: "http://127.0.0.1:1", token: "s.tok", timeout: "3s", wantTimeout: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(api.EnvVaultAddress, tt.addr)
			t.Setenv(api.EnvVaultToken, tt.token)
			t.Setenv(api.EnvVaultClientTimeout, tt.timeout)
			s, err := New(nil)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("New: got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer s.Close()
			if got := s.client.Address(); got != tt.addr {
				t.Errorf("address: got %q, want %q", got, tt.addr)
			}
			if got := s.client.Token(); got != tt.token {
				t.Errorf("token: got %q, want %q", got, tt.token)
			}
			if got := s.client.ClientTimeout(); got != tt.wantTimeout {
				t.Errorf("timeout: got %v, want %v", got, tt.wantTimeout)
			}
		})
	}
}

func TestNewErrorsNeverContainTheToken(t *testing.T) {
	const token = "hvs.very-secret-token"
	t.Setenv(api.EnvVaultAddress, "http://127.0.0.1:1")
	t.Setenv(api.EnvVaultToken, token)
	t.Setenv(api.EnvVaultMaxRetries, "not a number")
	_, err := New(nil)
	if err == nil {
		t.Fatal("New with a bad VAULT_MAX_RETRIES: got success, want an error")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestNewRejectsNegativeSweepInterval(t *testing.T) {
	if _, err := New(&Options{Client: testClient(t), SweepInterval: -time.Second}); err == nil {
		t.Error("New with a negative sweep interval: got success, want an error")
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	for _, every := range []time.Duration{0, time.Hour} {
		s, err := New(&Options{Client: testClient(t), SweepInterval: every})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.Close(); err != nil {
				t.Errorf("Close (sweep interval %v): %v", every, err)
			}
		}
	}
}
