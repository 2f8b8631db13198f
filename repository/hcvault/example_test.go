// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package hcvault_test

import (
	"fmt"
	"log"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/mcpauth/mcpauth/repository/hcvault"
)

// New with an existing client. The client fails fast (no retries) and the
// store sweeps expired records every ten minutes.
func ExampleNew() {
	cfg := api.DefaultConfig()
	cfg.Address = "https://vault.example.com:8200"
	cfg.MaxRetries = 0
	client, err := api.NewClient(cfg)
	if err != nil {
		log.Fatal(err)
	}
	client.SetToken("token from your auth method")

	store, err := hcvault.New(&hcvault.Options{
		Client:        client,
		Mount:         "kv",
		Prefix:        "mcpauth/prod",
		SweepInterval: 10 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Println(store.SecretPath("client/abc"))
	// Output: mcpauth/prod/kY2xpZW50L2FiYw
}
