// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/examples/internal/exampletest"
)

// TestMCPGo drives the mcp-go server behind the middleware with the
// official go-sdk client.
func TestMCPGo(t *testing.T) {
	const secret = "mcpgo-example-test-secret-32-byt"
	mcpURL, out := exampletest.Start(t, run, map[string]string{"MCP_JWT_SECRET": secret})
	if !strings.Contains(out.String(), "mcpauth mcp-go example: MCP server at "+mcpURL) {
		t.Errorf("banner lacks the URL:\n%s", out)
	}
	now := time.Now()
	client := exampletest.Connect(t, mcpURL, demo.SignToken([]byte(secret), "client", now, now.Add(time.Hour)))
	if diff := cmp.Diff([]string{"conditional-greet", "greet", "login"}, exampletest.ToolNames(t, client)); diff != "" {
		t.Errorf("tools/list for client (-want +got):\n%s", diff)
	}
	exampletest.Check(t, client, exampletest.ClientCases)

	admin := exampletest.Connect(t, mcpURL, demo.SignToken([]byte(secret), "admin", now, now.Add(time.Hour)))
	if diff := cmp.Diff([]string{"conditional-greet", "greet", "greet-jwt", "login"}, exampletest.ToolNames(t, admin)); diff != "" {
		t.Errorf("tools/list for admin (-want +got):\n%s", diff)
	}
	exampletest.Check(t, admin, []exampletest.Case{
		{Tool: "greet-jwt", Text: "Hello, admin! (secure)"},
		{Tool: "conditional-greet", Args: map[string]any{"name": "Bo", "number": 5}, Text: "Hey Bo, number 5. Nice to see you."},
	})

	// login is public: a session without a token may call it, and only it.
	anon := exampletest.Connect(t, mcpURL, "")
	tok, isErr := exampletest.Call(t, anon, "login", map[string]any{"username": "client", "password": "client"})
	if isErr || strings.Count(tok, ".") != 2 {
		t.Errorf("login: got %q (isError %v), want a JWT", tok, isErr)
	}
	exampletest.Check(t, anon, []exampletest.Case{
		{Tool: "login", Args: map[string]any{"username": "client", "password": "nope"}, Text: "demo: invalid username or password", IsError: true},
	})
	fresh := exampletest.Connect(t, mcpURL, tok)
	exampletest.Check(t, fresh, exampletest.ClientCases[:1])
}
