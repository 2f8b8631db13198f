// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package providertest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/provider/providertest"
)

// NewOPHandler serves an in-process OpenID Provider as the upstream of a
// provider. The OP's issuer is its own URL, so the listener comes first;
// the provider's callback is the one redirect URI the OP's client accepts.
// (In a test, StartOP does the same in one call.)
func ExampleNewOPHandler() {
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()

	p, err := provider.New(&provider.Options{
		BaseURL: "https://mcp.example.com",
		Upstream: provider.UpstreamOptions{
			Issuer:       issuer,
			ClientID:     providertest.UpstreamClientID,
			ClientSecret: providertest.UpstreamClientSecret,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	op, err := providertest.NewOPHandler(issuer, p.CallbackURL())
	if err != nil {
		log.Fatal(err)
	}
	srv.Config.Handler = op
	srv.Start()
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		log.Fatal(err)
	}
	fmt.Println("issuer is the server:", meta.Issuer == srv.URL)
	fmt.Println("authorization endpoint:", strings.TrimPrefix(meta.AuthorizationEndpoint, srv.URL))
	fmt.Println("PKCE methods:", meta.CodeChallengeMethods)
	fmt.Println("provider callback:", p.CallbackURL())
	// Output:
	// issuer is the server: true
	// authorization endpoint: /auth
	// PKCE methods: [S256]
	// provider callback: https://mcp.example.com/pangea/callback
}

// PKCE returns a fresh verifier with its S256 challenge, and AuthorizeURL
// the authorization request a public MCP client sends with it.
func ExampleAuthorizeURL() {
	verifier, challenge := providertest.PKCE()
	sum := sha256.Sum256([]byte(verifier))
	fmt.Println("challenge is S256 of verifier:", challenge == base64.RawURLEncoding.EncodeToString(sum[:]))

	fmt.Println(providertest.AuthorizeURL("https://mcp.example.com", "client-1", "CHALLENGE", "https://mcp.example.com/mcp"))
	// Output:
	// challenge is S256 of verifier: true
	// https://mcp.example.com/authorize?client_id=client-1&code_challenge=CHALLENGE&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&resource=https%3A%2F%2Fmcp.example.com%2Fmcp&response_type=code&state=xyz
}
