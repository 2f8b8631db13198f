// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"crypto/rand"
	"log"
	"net/http"
	"os"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository/memory"
)

// Example_withMiddleware is the README's provider snippet: the provider in
// front of the mcpauth middleware, which reads the provider's principal.
func Example_withMiddleware() {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	store := memory.New(nil)
	authz := policy.Demo()
	mux := http.NewServeMux()
	var mcpHandler http.Handler = http.NotFoundHandler()

	p, err := provider.New(&provider.Options{
		BaseURL: "https://mcp.example.com",
		Scopes:  []string{"mcp"},
		Upstream: provider.Pangea(provider.PangeaOptions{
			IssuerURL:    os.Getenv("PANGEA_AUTHN_ISSUER_URL"),
			ClientID:     os.Getenv("PANGEA_AUTHN_CLIENT_ID"),
			ClientSecret: os.Getenv("PANGEA_AUTHN_CLIENT_SECRET"),
			Scopes:       []string{"openid", "user"},      // sent to AuthN on every login
			AuthNToken:   os.Getenv("PANGEA_AUTHN_TOKEN"), // the user: ID token keys, token check
		}),
		EncryptionKey: key,   // 32 bytes, shared by every replica
		Store:         store, // any repository.Store with Take; default in-memory
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	mw, err := mcpauth.New(authz, &mcpauth.Options{Identity: mcpauth.ContextIdentity()})
	if err != nil {
		log.Fatal(err)
	}
	p.Mount(mux)
	mux.Handle("/mcp", p.RequireBearer(mw.Handler(mcpHandler)))
}
