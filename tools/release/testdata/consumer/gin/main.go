// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// A user of github.com/mcpauth/mcpauth/adapters/mcpauthgin alone: the
// middleware on a gin route in front of a go-sdk server, called by the
// go-sdk client on loopback.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthgin"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	server := mcp.NewServer(&mcp.Implementation{Name: "consumer", Version: "0.0.1"}, nil)
	for _, name := range []string{"greet", "greet-jwt"} {
		mcp.AddTool(server, &mcp.Tool{Name: name}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "hello"}}}, nil, nil
		})
	}
	mw, err := mcpauth.New(policy.Demo(), nil)
	if err != nil {
		log.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Any("/mcp", mcpauthgin.Middleware(mw), gin.WrapH(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	ts := httptest.NewServer(r)
	defer ts.Close()

	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "consumer-client", Version: "0.0.1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "greet"})
	if err != nil || res.IsError {
		log.Fatalf("greet: want allowed, got %+v, %v", res, err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "greet-jwt"})
	if err == nil && !res.IsError {
		log.Fatalf("greet-jwt: want denied, got %+v", res)
	}
	fmt.Println("mcpauthgin: greet allowed, greet-jwt denied")
}
