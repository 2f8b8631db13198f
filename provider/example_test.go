// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/provider"
)

// New makes no network calls; the upstream is contacted at the first login.
func ExampleNew() {
	p, err := provider.New(&provider.Options{
		BaseURL: "https://mcp.example.com",
		Upstream: provider.Pangea(provider.PangeaOptions{
			IssuerURL:    "https://pdn-example.login.aws.us.pangea.cloud",
			ClientID:     "psa_example",
			ClientSecret: "pck_example",
			Scopes:       []string{"openid", "user"},
			AuthNToken:   "pts_example", // ID token keys and the token check
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	fmt.Println("issuer:  ", p.Issuer())
	fmt.Println("resource:", p.Resource())
	fmt.Println("callback:", p.CallbackURL())
	fmt.Println("metadata:", p.ResourceMetadataURL())
	// Output:
	// issuer:   https://mcp.example.com
	// resource: https://mcp.example.com/mcp
	// callback: https://mcp.example.com/pangea/callback
	// metadata: https://mcp.example.com/.well-known/oauth-protected-resource/mcp
}

// RequireBearer answers an unauthenticated MCP request with the challenge
// MCP clients start their discovery from.
func ExampleProvider_RequireBearer() {
	p, err := provider.New(&provider.Options{
		BaseURL:  "https://mcp.example.com",
		Scopes:   []string{"mcp:tools"},
		Upstream: provider.UpstreamOptions{Issuer: "https://accounts.example.com", ClientID: "mcp-server", ClientSecret: "secret"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	mcpHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := provider.GrantFromContext(r.Context())
		fmt.Fprintln(w, "hello", g.Subject)
	})
	h := p.RequireBearer(mcpHandler)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "https://mcp.example.com/mcp", nil))
	fmt.Println(rec.Code)
	fmt.Println(rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 401
	// Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"
}

// Mount serves the authorization-server metadata MCP clients discover.
func ExampleProvider_Mount() {
	p, err := provider.New(&provider.Options{
		BaseURL:  "https://mcp.example.com",
		Upstream: provider.UpstreamOptions{Issuer: "https://accounts.example.com", ClientID: "mcp-server"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	mux := http.NewServeMux()
	p.Mount(mux)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	var md struct {
		Token string   `json:"token_endpoint"`
		PKCE  []string `json:"code_challenge_methods_supported"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &md); err != nil {
		log.Fatal(err)
	}
	fmt.Println(md.Token, md.PKCE)
	// Output:
	// https://mcp.example.com/token [S256]
}

// The provider authenticates, the mcpauth middleware authorizes: the
// principal RequireBearer verifies is the user mcpauth's context identity
// mode sends to the policy decision point.
func Example_withMcpauth() {
	p, err := provider.New(&provider.Options{
		BaseURL:  "https://mcp.example.com",
		Upstream: provider.UpstreamOptions{Issuer: "https://accounts.example.com", ClientID: "mcp-server"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	authz, err := mcpauth.NewPermit(&mcpauth.PermitOptions{PDPURL: "http://localhost:7766", APIKey: "permit_key_example"})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := mcpauth.New(authz, &mcpauth.Options{Identity: mcpauth.ContextIdentity()})
	if err != nil {
		log.Fatal(err)
	}
	var mcpHandler http.Handler = http.NotFoundHandler() // an MCP server, e.g. go-sdk's StreamableHTTPHandler

	mux := http.NewServeMux()
	p.Mount(mux)
	mux.Handle("/mcp", p.RequireBearer(mw.Handler(mcpHandler)))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", nil))
	fmt.Println(rec.Code)
	// Output:
	// 401
}

// Tool code behind RequireBearer gets the user's upstream token; when that
// fails, WriteError answers with the OAuth error the failure maps to
// (invalid_token once the grant is revoked, so the client logs in again),
// and errors.As reads it.
func ExampleProvider_WriteError() {
	p, err := provider.New(&provider.Options{
		BaseURL:  "https://mcp.example.com",
		Upstream: provider.UpstreamOptions{Issuer: "https://idp.example.com", ClientID: "id", ClientSecret: "secret"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	tool := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ut, err := provider.UpstreamTokenFromContext(r.Context())
		if err != nil {
			p.WriteError(w, err)
			return
		}
		_ = ut // call the upstream API with ut.AccessToken
	})
	_ = p.RequireBearer(tool)

	// An error a hook or tool code returns, and how it is written.
	err = fmt.Errorf("calendar: %w", &provider.Error{Code: provider.CodeInvalidToken, Description: "the grant has been revoked", Err: context.Canceled})
	var pe *provider.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.Code.Status())
	}
	w := httptest.NewRecorder()
	p.WriteError(w, err)
	fmt.Println(w.Code, w.Body)
	// Output:
	// invalid_token 401
	// 401 {"error":"invalid_token","error_description":"the grant has been revoked"}
}
