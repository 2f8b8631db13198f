// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthenv

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/loopback"
)

// ErrNoDecisionPoint is returned by [AuthorizerFromEnv] and
// [AuthorizerFromLookup] when the variables name no decision point: neither
// PERMIT_MCP_AUTHZEN_URL nor a Permit URL or API key is set. A program with
// a fallback (such as an embedded policy) tests for it with errors.Is.
var ErrNoDecisionPoint = errors.New("mcpauthenv: no decision point configured: set PERMIT_MCP_AUTHZEN_URL for an AuthZEN PDP, or PERMIT_API_KEY (and PERMIT_PDP_URL) for Permit")

// AuthorizerFromEnv returns the authorizer the process environment
// chooses, names matched case-insensitively as [FromEnv] matches them; see
// [AuthorizerFromLookup].
func AuthorizerFromEnv(logger *slog.Logger) (mcpauth.Authorizer, error) {
	env, err := envFold(os.Environ())
	if err != nil {
		return nil, err
	}
	return AuthorizerFromLookup(env.lookup, logger)
}

// AuthorizerFromLookup returns the authorizer the variables choose: an
// [*mcpauth.AuthZEN] when PERMIT_MCP_AUTHZEN_URL is set, an
// [*mcpauth.Permit] when a Permit URL or API key is set (NewPermit requires
// the key), and [ErrNoDecisionPoint] when neither is. Setting both is an
// error. logger is given to the authorizer (nil discards its records).
// Errors name variables, never the values of secrets.
//
// For options the environment cannot carry (an HTTPClient, an AuthZEN
// TokenSource), build the authorizer from [FromLookup]'s PermitOptions or
// [AuthZENFromLookup]'s AuthZENOptions instead.
func AuthorizerFromLookup(lookup func(string) (string, bool), logger *slog.Logger) (mcpauth.Authorizer, error) {
	s, err := load(lookup)
	if err != nil {
		return nil, err
	}
	switch {
	case s.az.PDPURL != "":
		s.az.Logger = logger
		a, err := mcpauth.NewAuthZEN(s.az)
		if err != nil {
			return nil, fmt.Errorf("mcpauthenv: PERMIT_MCP_AUTHZEN_*: %w", err)
		}
		return a, nil
	case s.permitSet():
		s.po.Logger = logger
		p, err := mcpauth.NewPermit(s.po)
		if err != nil {
			return nil, fmt.Errorf("mcpauthenv: Permit variables: %w", err)
		}
		return p, nil
	}
	return nil, ErrNoDecisionPoint
}

// AuthZENFromLookup returns the AuthZEN options the PERMIT_MCP_AUTHZEN_*
// variables and PERMIT_MCP_PDP_TIMEOUT set, or nil when
// PERMIT_MCP_AUTHZEN_URL is unset. It checks every variable, as
// [FromLookup] does.
func AuthZENFromLookup(lookup func(string) (string, bool)) (*mcpauth.AuthZENOptions, error) {
	s, err := load(lookup)
	if err != nil || s.az.PDPURL == "" {
		return nil, err
	}
	return s.az, nil
}

// permitSet reports whether a Permit variable naming the decision point
// is set.
func (s *envState) permitSet() bool { return s.po.PDPURL != "" || s.po.APIKey != "" }

// finishAuthZEN checks what the AuthZEN variables say together.
func (s *envState) finishAuthZEN() error {
	az := s.az
	if az.PDPURL == "" {
		// Settings for a PDP that is not chosen are refused rather than
		// ignored.
		if len(s.authzenSet) > 0 {
			return fmt.Errorf("mcpauthenv: %s is set but PERMIT_MCP_AUTHZEN_URL is not", s.authzenSet[0])
		}
		return nil
	}
	if s.permitSet() {
		return errors.New("mcpauthenv: PERMIT_MCP_AUTHZEN_URL and a Permit URL or API key (PERMIT_PDP_URL, PERMIT_API_KEY, " +
			"PERMIT_MCP_PERMIT_PDP_URL, PERMIT_MCP_PERMIT_API_KEY) are both set: choose one decision point")
	}
	if u, _ := url.Parse(az.PDPURL); u.Scheme == "http" && !az.AllowInsecureHTTP && !loopback.Host(u.Hostname()) {
		return errors.New("mcpauthenv: PERMIT_MCP_AUTHZEN_URL uses http to a host that is not loopback: " +
			"use https, or set PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP=true on a network you trust")
	}
	if az.BearerToken != "" && az.APIKey != "" {
		return errors.New("mcpauthenv: set at most one of PERMIT_MCP_AUTHZEN_TOKEN and PERMIT_MCP_AUTHZEN_API_KEY")
	}
	if az.APIKeyHeader != "" && az.APIKey == "" {
		return errors.New("mcpauthenv: PERMIT_MCP_AUTHZEN_API_KEY_HEADER is set but PERMIT_MCP_AUTHZEN_API_KEY is not")
	}
	return nil
}

// validHeaderName reports whether name is an HTTP field name (an RFC 9110
// token).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
