// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package demo

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mcpauth/mcpauth"
)

// DefaultAddr is the listen address when neither -addr nor ADDR is set.
const DefaultAddr = "127.0.0.1:8000"

// Setup is the configuration the framework examples share: the listen
// address, the JWT secret, the decision point and a logger.
type Setup struct {
	// Addr is the listen address: -addr, else ADDR, else DefaultAddr.
	Addr string
	// Secret is MCP_JWT_SECRET, or a random secret when it is unset.
	Secret []byte
	// Generated reports that Secret was generated.
	Generated bool
	// Authorizer decides; Source describes it (see [Authorizer]).
	Authorizer mcpauth.Authorizer
	Source     string
	// Logger writes text records (audit included) to the output.
	Logger *slog.Logger
}

// ParseSetup reads the -addr flag from args and the variables ADDR,
// MCP_JWT_SECRET, PERMIT_PDP_URL and PERMIT_API_KEY through getenv.
// Usage and log output go to out.
func ParseSetup(name string, args []string, getenv func(string) string, out io.Writer) (*Setup, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	def := getenv("ADDR")
	if def == "" {
		def = DefaultAddr
	}
	addr := fs.String("addr", def, "listen `address` (env ADDR)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	s := &Setup{Addr: *addr, Logger: slog.New(slog.NewTextHandler(out, nil))}
	if v := getenv("MCP_JWT_SECRET"); v != "" {
		s.Secret = []byte(v)
	} else {
		s.Secret, s.Generated = []byte(NewSecret()), true
	}
	var err error
	if s.Authorizer, s.Source, err = Authorizer(getenv, s.Logger); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the middleware options of the JWT examples: HS256 tokens
// signed with Secret for [Audience], with an expiry, and login public.
func (s *Setup) Options() *mcpauth.Options {
	return &mcpauth.Options{
		Identity: mcpauth.JWTIdentity(mcpauth.JWTOptions{
			Secret:   s.Secret,
			Audience: Audience,
		}),
		PublicTools: []string{"login"},
		Logger:      s.Logger,
	}
}

// Banner writes the MCP URL, the decision point, the secret when it was
// generated, and a token for user "client".
func (s *Setup) Banner(w io.Writer, title, mcpURL string) {
	now := time.Now()
	fmt.Fprintf(w, "%s: MCP server at %s\n", title, mcpURL)
	fmt.Fprintf(w, "Decisions: %s.\n", s.Source)
	if s.Generated {
		fmt.Fprintf(w, "JWT secret (random, since MCP_JWT_SECRET is not set): %s\n", s.Secret)
	}
	fmt.Fprintf(w, "A token for user \"client\" (or call the public login tool):\n  TOKEN=%s\n\n",
		SignToken(s.Secret, "client", now, now.Add(TokenLifetime)))
}
