// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
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
	"syscall"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// DefaultServeAddr is the listen address of "policy serve".
const DefaultServeAddr = "127.0.0.1:8181"

// TokenEnv names the variable holding the bearer token "policy serve"
// requires; the token is never a flag, so that it stays out of process
// listings.
const TokenEnv = "MCPAUTH_PDP_TOKEN"

const serveUsage = `usage: mcpauth policy serve [flags]

Serves a policy file as an OpenID AuthZEN Authorization API 1.0 decision
point: POST /access/v1/evaluation, POST /access/v1/evaluations and
GET /.well-known/authzen-configuration. Point mcpauth.NewAuthZEN (or any
AuthZEN enforcement point) at it.

When ` + TokenEnv + ` is set, every evaluation request must carry
"Authorization: Bearer $` + TokenEnv + `". The policy file is reloaded when it
changes (an invalid change is logged and the previous policy kept).

flags:
`

// runServe implements "mcpauth policy serve" until SIGINT or SIGTERM.
func runServe(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, getenv, stdout, stderr, nil)
}

// serve is runServe with the context and a ready callback (given the base
// URL once the server accepts connections) injected for tests.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(url string)) int {
	fs := newFlagSet("policy serve", stderr)
	addr := fs.String("addr", DefaultServeAddr, "listen `address`")
	policyPath := fs.String("policy", "", "policy `FILE` (default: the built-in demo policy)")
	pdpURL := fs.String("pdp-url", "", "the PDP identifier `URL` the metadata advertises (default http://ADDR)")
	interval := fs.Duration("watch", policy.DefaultWatchInterval, "how often the policy file is checked for changes; negative: never")
	fs.Usage = func() {
		fmt.Fprint(stderr, serveUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: policy serve takes no arguments\n", programName)
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))

	var authz mcpauth.Authorizer = policy.Demo()
	source := "the built-in demo policy"
	if *policyPath != "" {
		w, err := policy.NewWatcher(*policyPath, &policy.WatchOptions{Interval: *interval, Logger: logger})
		if err != nil {
			fmt.Fprintln(stderr, err)
			var pe *policy.Error
			if errors.As(err, &pe) {
				return exitFailed
			}
			return exitUsage
		}
		defer w.Close()
		authz, source = w, *policyPath
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", programName, err)
		return exitUsage
	}
	base := *pdpURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	token := getenv(TokenEnv)
	h, err := policy.NewHandler(authz, &policy.HandlerOptions{PDPURL: base, Token: token, Logger: logger})
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "%s: %v\n", programName, err)
		return exitUsage
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	auth := "no authentication (set " + TokenEnv + " to require a bearer token)"
	if token != "" {
		auth = "bearer token from " + TokenEnv
	}
	fmt.Fprintf(stdout, "mcpauth policy serve: AuthZEN PDP at %s deciding with %s; %s\n", base, source, auth)
	if ready != nil {
		ready(base)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "%s: %v\n", programName, err)
		return exitFailed
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return exitOK
}
