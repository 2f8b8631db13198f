// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/examples/internal/exampletest"
)

func init() { gin.SetMode(gin.TestMode) }

func TestGin(t *testing.T) {
	const secret = "gin-example-test-secret-32-bytes"
	mcpURL, out := exampletest.Start(t, run, map[string]string{"MCP_JWT_SECRET": secret})
	if !strings.Contains(out.String(), "mcpauth gin example: MCP server at "+mcpURL) {
		t.Errorf("banner lacks the URL:\n%s", out)
	}
	now := time.Now()
	client := exampletest.Connect(t, mcpURL, demo.SignToken([]byte(secret), "client", now, now.Add(time.Hour)))
	if diff := cmp.Diff([]string{"conditional-greet", "greet", "login"}, exampletest.ToolNames(t, client)); diff != "" {
		t.Errorf("tools/list for client (-want +got):\n%s", diff)
	}
	exampletest.Check(t, client, exampletest.ClientCases)

	admin := exampletest.Connect(t, mcpURL, demo.SignToken([]byte(secret), "admin", now, now.Add(time.Hour)))
	exampletest.Check(t, admin, []exampletest.Case{{Tool: "greet-jwt", Text: "Hello, admin! (secure)"}})

	resp, err := http.Get(strings.TrimSuffix(mcpURL, "/mcp") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("/healthz: got %d %q", resp.StatusCode, body)
	}
}
