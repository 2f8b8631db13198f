// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	h, err := newHandler([]byte(os.Getenv("MCP_JWT_SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Addr:              "127.0.0.1:8000",
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // lifted by mcpauth once a body is read, so SSE streams last
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	log.Fatal(srv.ListenAndServe())
}

type greetIn struct {
	Name string `json:"name"`
}

func greet(_ context.Context, _ *mcp.CallToolRequest, in greetIn) (*mcp.CallToolResult, any, error) {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + in.Name + "!"}}}, nil, nil
}

// newHandler is the quick start: an MCP server, a decision point, the
// middleware, and a mux.
func newHandler(secret []byte) (http.Handler, error) {
	server := mcp.NewServer(&mcp.Implementation{Name: "hello", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "greet", Description: "Say hello."}, greet)
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	// The embedded policy; for Permit.io use mcpauth.NewPermit(&mcpauth.PermitOptions{
	// PDPURL: "http://localhost:7766", APIKey: os.Getenv("PERMIT_API_KEY")}).
	authz := policy.Demo()
	mw, err := mcpauth.New(authz, &mcpauth.Options{
		// The "sub" claim is the user key.
		Identity: mcpauth.JWTIdentity(mcpauth.JWTOptions{Secret: secret, Audience: "hello"}),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", mw.Handler(mcpHandler))
	return mux, nil
}
