// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "mcpgo:", err)
		os.Exit(1)
	}
}

// newServer returns the demo tools on an mcp-go server.
func newServer(secret []byte, logger *slog.Logger) *server.MCPServer {
	s := server.NewMCPServer("mcpauth-demo-mcpgo", "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("greet",
		mcp.WithDescription("Greet someone by name."),
		mcp.WithString("name", mcp.Required(), mcp.Description("who to greet")),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("Hello, " + req.GetString("name", "") + "!"), nil
	})
	s.AddTool(mcp.NewTool("login",
		mcp.WithDescription("Log in; returns a JWT to send as \"Authorization: Bearer <token>\"."),
		mcp.WithString("username", mcp.Required()),
		mcp.WithString("password", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		tok, err := demo.Login(secret, req.GetString("username", ""), req.GetString("password", ""), time.Now())
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText(tok), nil
	})
	s.AddTool(mcp.NewTool("greet-jwt",
		mcp.WithDescription("Greet the verified caller."),
	), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		d, ok := mcpauth.DecisionFromContext(ctx)
		if !ok || d.Identity == nil {
			return nil, errors.New("mcpgo: greet-jwt needs a verified caller")
		}
		return mcp.NewToolResultText("Hello, " + d.Identity.User.Key + "! (secure)"), nil
	})
	s.AddTool(mcp.NewTool("conditional-greet",
		mcp.WithDescription("Greet in a tone chosen by number (the ABAC demo)."),
		mcp.WithString("name", mcp.Required()),
		mcp.WithNumber("number", mcp.Required()),
		mcp.WithString("log_message"),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		n, err := req.RequireInt("number")
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		if msg := req.GetString("log_message", ""); msg != "" {
			logger.LogAttrs(ctx, slog.LevelInfo, "conditional-greet", slog.String("log_message", msg))
		}
		return mcp.NewToolResultText(demo.ConditionalGreeting(req.GetString("name", ""), n)), nil
	})
	return s
}

// run serves until ctx is done; ready, when not nil, receives the MCP URL
// once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(mcpURL string)) error {
	s, err := demo.ParseSetup("mcpgo", args, getenv, stdout)
	if err != nil {
		return err
	}
	mw, err := mcpauth.New(s.Authorizer, s.Options())
	if err != nil {
		return err
	}
	mcpHandler := server.NewStreamableHTTPServer(newServer(s.Secret, s.Logger))

	mux := http.NewServeMux()
	mux.Handle("/mcp", mw.Handler(mcpHandler))

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	mcpURL := "http://" + ln.Addr().String() + "/mcp"
	s.Banner(stdout, "mcpauth mcp-go example", mcpURL)
	if ready != nil {
		ready(mcpURL)
	}
	err = demo.Serve(ctx, ln, mux)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	mcpHandler.CloseSessions(sctx)
	return err
}
