// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPolicyServe(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(file, policy.DemoJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == TokenEnv {
			return "serve-token"
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, []string{"-addr", "127.0.0.1:0", "-policy", file}, getenv, &stdout, &stderr,
			func(u string) { urls <- u })
	}()
	var base string
	select {
	case base = <-urls:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}

	az, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: base, Discover: true, BearerToken: "serve-token"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(user, tool string) mcpauth.Check {
		return mcpauth.Check{User: mcpauth.User{Key: user}, Action: tool, Resource: mcpauth.Resource{Type: "mcp_server"}}
	}
	for _, tc := range []struct {
		user, tool string
		want       bool
	}{{"admin", "greet-jwt", true}, {"client", "greet", true}, {"client", "greet-jwt", false}} {
		got, err := az.Allowed(context.Background(), check(tc.user, tc.tool))
		if err != nil || got != tc.want {
			t.Errorf("%s %s: got %v, %v; want %v", tc.user, tc.tool, got, err, tc.want)
		}
	}
	wrong, _ := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: base, BearerToken: "other"})
	if _, err := wrong.Allowed(context.Background(), check("admin", "greet")); !errors.Is(err, mcpauth.ErrDecisionFailed) {
		t.Errorf("wrong token: got %v", err)
	}
	if out := stdout.String(); !strings.Contains(out, "AuthZEN PDP at "+base) || strings.Contains(out, "serve-token") {
		t.Errorf("banner: %q", out)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("got exit %d after shutdown, want 0", code)
	}
}

func TestPolicyServeUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"resources":{"x":{"actions":[1]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"extra"}, exitUsage},
		{[]string{"-nope"}, exitUsage},
		{[]string{"-policy", bad, "-addr", "127.0.0.1:0"}, exitFailed},
		{[]string{"-policy", filepath.Join(t.TempDir(), "missing.json"), "-addr", "127.0.0.1:0"}, exitUsage},
		{[]string{"-addr", "256.0.0.1:0"}, exitUsage},
		{[]string{"-h"}, exitOK},
	} {
		var stdout, stderr syncBuffer
		if got := serve(context.Background(), tc.args, func(string) string { return "" }, &stdout, &stderr, nil); got != tc.want {
			t.Errorf("%v: got exit %d, want %d (%s)", tc.args, got, tc.want, stderr.String())
		}
	}
}
