// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultAddr is the listen address when neither -addr nor ADDR is set.
const DefaultAddr = "127.0.0.1:8000"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until ctx is done. ready, when not nil,
// is called with the MCP URL once the server accepts connections and the
// banner has been written.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(mcpURL string)) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", or(getenv("ADDR"), DefaultAddr), "listen `address` (env ADDR)")
	authzenURL := fs.String("authzen", "",
		"ask the AuthZEN PDP at `URL` served by `mcpauth policy serve` instead, its endpoints discovered (env PERMIT_MCP_AUTHZEN_URL)")
	telemetryKind := fs.String("telemetry", getenv("MCPAUTH_TELEMETRY"),
		"export OpenTelemetry metrics and spans: `stdout` or prometheus (env MCPAUTH_TELEMETRY)")
	metricsAddr := fs.String("metrics-addr", or(getenv("METRICS_ADDR"), DefaultMetricsAddr),
		"serve Prometheus /metrics on `address` with -telemetry=prometheus (env METRICS_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	logger := slog.New(slog.NewTextHandler(stdout, nil))
	secret, generated := getenv("MCP_JWT_SECRET"), false
	if secret == "" {
		secret, generated = demo.NewSecret(), true
	}
	authz, source, err := decisionPoint(*authzenURL, getenv, logger)
	if err != nil {
		return err
	}

	tel, err := newTelemetry(*telemetryKind, *metricsAddr, stdout)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.shutdown(sctx) // flushes what stdout has not written yet
	}()
	mw, err := mcpauth.New(authz, &mcpauth.Options{
		Telemetry: tel.opts,
		Identity: mcpauth.JWTIdentity(mcpauth.JWTOptions{
			Secret:   []byte(secret),
			Audience: demo.Audience,
		}),
		PublicTools: []string{"login"},
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	server := demo.NewServer(demo.Options{Secret: []byte(secret), Logger: logger})
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})

	mux := http.NewServeMux()
	mux.Handle("/mcp", mw.Handler(demo.WithTokenInfo(mcpHandler)))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mcpURL := "http://" + ln.Addr().String() + "/mcp"
	now := time.Now()
	banner(stdout, mcpURL, source, secret, generated, demo.SignToken([]byte(secret), "client", now, now.Add(demo.TokenLifetime)))
	if tel.note != "" {
		fmt.Fprintf(stdout, "%s\n\n", tel.note)
	}
	if ready != nil {
		ready(mcpURL)
	}
	if tel.serve == nil {
		return demo.Serve(ctx, ln, mux)
	}
	errs := make(chan error, 1)
	go func() { errs <- tel.serve(ctx) }()
	return errors.Join(demo.Serve(ctx, ln, mux), <-errs)
}

// decisionPoint returns the authorizer the environment chooses, read by
// mcpauthenv: an AuthZEN PDP when PERMIT_MCP_AUTHZEN_URL (or -authzen) is
// set, the Permit PDP when PERMIT_API_KEY (and PERMIT_PDP_URL) is, and the
// embedded demo policy when neither is. -authzen names the PDP of
// `mcpauth policy serve`: its endpoints are discovered and its bearer token
// is MCPAUTH_PDP_TOKEN, unless the PERMIT_MCP_AUTHZEN_* variables say
// otherwise. It also returns a description for the start-up banner.
func decisionPoint(authzenURL string, getenv func(string) string, logger *slog.Logger) (mcpauth.Authorizer, string, error) {
	if authzenURL == "" {
		return demo.Authorizer(getenv, logger)
	}
	return demo.Authorizer(func(name string) string {
		v := getenv(name)
		switch name {
		case "PERMIT_MCP_AUTHZEN_URL":
			v = authzenURL
		case "PERMIT_MCP_AUTHZEN_DISCOVER":
			v = cmp.Or(v, "true")
		case "PERMIT_MCP_AUTHZEN_TOKEN":
			v = cmp.Or(v, getenv("MCPAUTH_PDP_TOKEN"))
		}
		return v
	}, logger)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// curl returns a copy-paste command that calls tool with args. With auth,
// it sends the token in $TOKEN.
func curl(mcpURL, tool, args string, auth bool) string {
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":` + strconv.Quote(tool) + `,"arguments":` + args + `}}`
	var b strings.Builder
	b.WriteString("curl -sS " + mcpURL +
		` -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'`)
	if auth {
		b.WriteString(` -H "Authorization: Bearer $TOKEN"`)
	}
	b.WriteString(" -d '" + body + "'")
	return b.String()
}

func banner(w io.Writer, mcpURL, source, secret string, generated bool, token string) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("mcpauth quickstart: MCP server at %s", mcpURL)
	p("Decisions: %s.", source)
	if generated {
		p("JWT secret (random, since MCP_JWT_SECRET is not set): %s", secret)
	}
	p("")
	p("A token for user \"client\" (the login tool mints the same kind):")
	p("  TOKEN=%s", token)
	p("")
	p("1. An allowed call: client may greet.")
	p("  %s", curl(mcpURL, "greet", `{"name":"Ada"}`, true))
	p("")
	p("2. A denied call: client may not call greet-jwt.")
	p("  %s", curl(mcpURL, "greet-jwt", `{}`, true))
	p("")
	p("3. The ABAC rule: client may call conditional-greet only when number > 10, so 5 is denied and 12 allowed.")
	p("  %s", curl(mcpURL, "conditional-greet", `{"name":"Ada","number":5}`, true))
	p("  %s", curl(mcpURL, "conditional-greet", `{"name":"Ada","number":12}`, true))
	p("")
	p("login is public: try it without a token (admin/password gets a token that may call greet-jwt).")
	p("  %s", curl(mcpURL, "login", `{"username":"admin","password":"password"}`, false))
	p("")
}
