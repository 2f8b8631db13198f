// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// A user of github.com/mcpauth/mcpauth/repository/hcvault alone: the store
// on a Vault client whose server (a loopback stand-in) has no secrets, so
// a read finds nothing.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/hashicorp/vault/api"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/hcvault"
)

func main() {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errors":[]}`)
	}))
	defer ts.Close()
	cfg := api.DefaultConfig()
	cfg.Address = ts.URL
	cfg.MaxRetries = 0
	client, err := api.NewClient(cfg)
	if err != nil {
		log.Fatal(err)
	}
	client.SetToken("consumer-token")
	store, err := hcvault.New(&hcvault.Options{Client: client, Mount: "kv"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Get(context.Background(), "client/abc"); !errors.Is(err, repository.ErrNotFound) {
		log.Fatalf("Get: %v, want repository.ErrNotFound", err)
	}
	fmt.Println("hcvault: store opened, read answered not found")
}
