// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command gin serves the demo MCP server (the quickstart's tools, built
// with the official MCP Go SDK) with the gin web framework, authorized by
// the mcpauth middleware as a gin.HandlerFunc:
//
//	r := gin.New()
//	r.Use(gin.Recovery())
//	r.Any("/mcp", mcpauthgin.Middleware(mw), gin.WrapH(mcpHandler))
//
// A denied request is answered MCP-correctly and the gin chain is aborted;
// handlers after the middleware read the decision and the principal with
// mcpauthgin.Decision and mcpauthgin.Principal. Run it with
//
//	cd examples && go run ./gin
//
// It takes the quickstart's settings (-addr/ADDR, MCP_JWT_SECRET,
// PERMIT_PDP_URL and PERMIT_API_KEY) and prints a token for user "client".
// The go-sdk handler keeps sessions, so use an MCP client.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/gin-gonic/gin"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthgin"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	gin.SetMode(gin.ReleaseMode)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "gin:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done; ready, when not nil, receives the MCP URL
// once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(mcpURL string)) error {
	s, err := demo.ParseSetup("gin", args, getenv, stdout)
	if err != nil {
		return err
	}
	mw, err := mcpauth.New(s.Authorizer, s.Options())
	if err != nil {
		return err
	}
	server := demo.NewServer(demo.Options{Secret: s.Secret, Logger: s.Logger})
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.Any("/mcp", mcpauthgin.Middleware(mw), gin.WrapH(demo.WithTokenInfo(mcpHandler)))

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	mcpURL := "http://" + ln.Addr().String() + "/mcp"
	s.Banner(stdout, "mcpauth gin example", mcpURL)
	if ready != nil {
		ready(mcpURL)
	}
	return demo.Serve(ctx, ln, r)
}
