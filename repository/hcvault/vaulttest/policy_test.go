// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/hcvault"
)

// documentedPolicy returns the policy in hcvault's package documentation.
func documentedPolicy(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.SplitSeq(string(doc), "\n") {
		if p, ok := strings.CutPrefix(l, "//\tpath "); ok {
			lines = append(lines, "path "+p)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("found %d policy lines in ../doc.go, want 2: %q", len(lines), lines)
	}
	return strings.Join(lines, "\n")
}

// TestDocumentedPolicy gives a store on the default mount and prefix a token
// with exactly the documented policy: every operation works.
func TestDocumentedPolicy(t *testing.T) {
	v := startVault(t)
	ctx := t.Context()
	// The test core mounts "secret/" as KV version 1; make it version 2.
	if err := v.client.Sys().UnmountWithContext(ctx, "secret"); err != nil {
		t.Fatal(err)
	}
	if err := v.client.Sys().MountWithContext(ctx, "secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		t.Fatal(err)
	}
	policy := documentedPolicy(t)
	if err := v.client.Sys().PutPolicyWithContext(ctx, "mcpauth", policy); err != nil {
		t.Fatalf("PutPolicy(%q): %v", policy, err)
	}
	tok, err := v.client.Auth().Token().CreateWithContext(ctx, &api.TokenCreateRequest{Policies: []string{"mcpauth"}, NoDefaultPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := newClock()
	s, err := hcvault.New(&hcvault.Options{Client: v.newClient(t, tok.Auth.ClientToken), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := s.SecretPath("k"), "mcpauth/kaw"; got != want {
		t.Fatalf("SecretPath: got %q, want %q (default prefix)", got, want)
	}

	mustSet(t, s, "client", "c", 0)
	wantValue(t, s, "client", "c")
	mustSet(t, s, "code", "x", time.Minute)
	if got, err := s.Take(ctx, "code"); err != nil || string(got) != "x" {
		t.Errorf("Take: got %q, %v", got, err)
	}
	if secretExists(t, v, s, "code") {
		t.Errorf("Take left the secret behind")
	}
	if err := s.Create(ctx, "new", []byte("n"), time.Second); err != nil {
		t.Errorf("Create: %v", err)
	}
	if err := s.Delete(ctx, "client"); err != nil {
		t.Errorf("Delete: %v", err)
	}
	wantAbsent(t, s, "client")
	if keys, err := s.List(ctx, ""); err != nil || len(keys) != 1 || keys[0] != "new" {
		t.Errorf("List: got %q, %v; want [new]", keys, err)
	}
	clock.Advance(time.Minute)
	if n, err := s.Sweep(ctx); n != 1 || err != nil {
		t.Errorf("Sweep: removed %d, %v; want 1, nil", n, err)
	}
	if _, err := s.Get(ctx, "new"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get after the sweep: %v, want ErrNotFound", err)
	}
}
