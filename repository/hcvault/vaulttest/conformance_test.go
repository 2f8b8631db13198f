// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

import (
	"testing"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/hcvault"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// TestConformance runs the repository conformance suite against hcvault on a
// real Vault KV v2 engine.
func TestConformance(t *testing.T) {
	v := startVault(t)
	clock := newClock()
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			return v.newStore(t, hcvault.Options{Clock: clock.Now})
		},
		Advance: clock.Advance,
	})
}
