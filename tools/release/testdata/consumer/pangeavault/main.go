// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// A user of github.com/mcpauth/mcpauth/repository/pangeavault alone: the
// store against a loopback stand-in for Pangea Vault that holds no items,
// so a read finds nothing.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/pangeavault"
)

func main() {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/get_bulk" || r.Header.Get("Authorization") != "Bearer pts_consumer" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"request_id":"prq_1","status":"Success","summary":"ok","result":{"items":[]}}`)
	}))
	defer ts.Close()
	store, err := pangeavault.New(&pangeavault.Options{Token: "pts_consumer", BaseURL: ts.URL, HTTPClient: ts.Client()})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Get(context.Background(), "client/abc"); !errors.Is(err, repository.ErrNotFound) {
		log.Fatalf("Get: %v, want repository.ErrNotFound", err)
	}
	fmt.Println("pangeavault: store opened, read answered not found")
}
