// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

import (
	"testing"

	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository/hcvault"
)

// TestProviderReplicasShareVault runs the whole login of
// providertest.ReplicaFlow through two provider instances whose only
// shared state is one hcvault store on a real Vault (and the encryption
// key): every step lands on the other instance than the step before, and
// each instance talks to Vault through a client of its own, as separate
// processes would.
func TestProviderReplicasShareVault(t *testing.T) {
	v := startVault(t)
	a := v.newStore(t, hcvault.Options{Prefix: "replicas", Client: v.newClient(t, v.root)})
	b := v.newStore(t, hcvault.Options{Prefix: "replicas", Client: v.newClient(t, v.root)})
	providertest.ReplicaFlowStores(t, a, b)

	// The flow went through Vault: the provider's records are there, under
	// the prefix.
	if names := listSecrets(t, v, "replicas"); len(names) == 0 {
		t.Errorf("Vault holds no records under the replicas' prefix: the flow did not go through Vault")
	}
}
