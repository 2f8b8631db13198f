// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/examples/internal/exampletest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const secret = "nethttp-quick-start-secret-32-by"

// token signs {sub, aud, exp} with HS256.
func token(t *testing.T, key, sub, aud string) string {
	t.Helper()
	claims, err := json.Marshal(map[string]any{"sub": sub, "aud": aud, "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(s))
	return s + "." + enc.EncodeToString(mac.Sum(nil))
}

func TestQuickStart(t *testing.T) {
	h, err := newHandler([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	tests := []struct {
		name      string
		token     string
		wantTools []string
		call      exampletest.Case
	}{
		{"client may greet", token(t, secret, "client", "hello"), []string{"greet"},
			exampletest.Case{Tool: "greet", Args: map[string]any{"name": "Ada"}, Text: "Hello, Ada!"}},
		{"a user without roles may not", token(t, secret, "mallory", "hello"), nil,
			exampletest.Case{Tool: "greet", Args: map[string]any{"name": "Ada"}, Text: exampletest.Denied("greet"), IsError: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := exampletest.Connect(t, srv.URL+"/mcp", tt.token)
			if diff := cmp.Diff(tt.wantTools, exampletest.ToolNames(t, cs)); diff != "" {
				t.Errorf("tools/list (-want +got):\n%s", diff)
			}
			exampletest.Check(t, cs, []exampletest.Case{tt.call})
		})
	}
}

// TestRejectedTokens checks that tokens with the wrong key or audience
// never reach the server: a presented token is verified even on initialize,
// so the client cannot connect; without a token it connects (initialize
// needs no identity) but cannot even list tools.
func TestRejectedTokens(t *testing.T) {
	h, err := newHandler([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, tt := range []struct{ name, token string }{
		{"wrong key", token(t, "another-secret-another-secret-32", "admin", "hello")},
		{"wrong audience", token(t, secret, "admin", "other")},
		{"none", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token != "" {
				c := mcp.NewClient(&mcp.Implementation{Name: "rejected", Version: "1.0.0"}, nil)
				_, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{
					Endpoint:   srv.URL + "/mcp",
					HTTPClient: &http.Client{Transport: exampletest.Bearer{Token: tt.token}},
				}, nil)
				if err == nil || !strings.Contains(err.Error(), "Unauthorized") {
					t.Errorf("connect with a rejected token: got %v, want 401 on initialize", err)
				}
				return
			}
			cs := exampletest.Connect(t, srv.URL+"/mcp", tt.token)
			_, err := cs.ListTools(t.Context(), nil)
			if err == nil || !strings.Contains(err.Error(), "rejected by transport: Unauthorized") {
				t.Errorf("got %v, want the transport's 401 error", err)
			}
		})
	}
}

func TestEmptySecretRefused(t *testing.T) {
	if _, err := newHandler(nil); err == nil {
		t.Error("newHandler accepted an empty secret")
	}
}
