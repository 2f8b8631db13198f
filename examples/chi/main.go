// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthchi"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "chi:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done; ready, when not nil, receives the MCP URL
// once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(mcpURL string)) error {
	s, err := demo.ParseSetup("chi", args, getenv, stdout)
	if err != nil {
		return err
	}
	mw, err := mcpauth.New(s.Authorizer, s.Options())
	if err != nil {
		return err
	}
	server := demo.NewServer(demo.Options{Secret: s.Secret, Logger: s.Logger})
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	r.With(mcpauthchi.Middleware(mw)).Handle("/mcp", demo.WithTokenInfo(mcpHandler))

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	mcpURL := "http://" + ln.Addr().String() + "/mcp"
	s.Banner(stdout, "mcpauth chi example", mcpURL)
	if ready != nil {
		ready(mcpURL)
	}
	return demo.Serve(ctx, ln, r)
}
