// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// A user of github.com/mcpauth/mcpauth/provider alone: the authorization
// server on memory storage, served on loopback, answering its metadata
// document. The upstream issuer is never contacted (no login happens).
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository/memory"
)

func main() {
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer ts.Close()
	store := memory.New(nil)
	defer store.Close()
	p, err := provider.New(&provider.Options{
		BaseURL: ts.URL,
		Store:   store,
		Upstream: provider.UpstreamOptions{
			Issuer:       "http://127.0.0.1:1",
			ClientID:     "upstream-client",
			ClientSecret: "upstream-secret",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	handler = p.Handler()

	res, err := ts.Client().Get(ts.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	var meta struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(res.Body).Decode(&meta); err != nil || res.StatusCode != http.StatusOK {
		log.Fatalf("metadata: %d, %v", res.StatusCode, err)
	}
	if meta.Issuer != ts.URL || meta.TokenEndpoint == "" {
		log.Fatalf("metadata: %+v, want issuer %s and a token endpoint", meta, ts.URL)
	}
	fmt.Println("provider: metadata served on memory storage")
}
