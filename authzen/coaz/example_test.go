// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"fmt"
	"log"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen/coaz"
)

// The middleware as a COAZ enforcement point: JWT identity, the COAZ-MCP
// mapping (default mappings plus the tools' declared ones), decisions from
// an AuthZEN PDP.
func ExampleMapping_Configure() {
	pdp, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{
		PDPURL:   "https://pdp.example.com",
		Discover: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	mapping, err := coaz.New(&coaz.Options{ServerID: "https://mcp.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	opts := &mcpauth.Options{Identity: mcpauth.JWTIdentity(mcpauth.JWTOptions{
		JWKSURL:  "https://auth.example.com/jwks.json",
		Audience: "https://mcp.example.com",
	})}
	mapping.Configure(opts)
	mw, err := mcpauth.New(pdp, opts)
	if err != nil {
		log.Fatal(err)
	}
	_ = mw // mux.Handle("/mcp", mw.Handler(mcpHandler))
	fmt.Println(opts.BypassMethods, opts.Deny.Code)
	// Output: [ping notifications/*] -32001
}
