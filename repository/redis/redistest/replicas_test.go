// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redistest

import (
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
)

// newStore returns a store with a client of its own, as a separate
// process would have.
func newStore(t *testing.T, url, prefix string) *redis.Store {
	t.Helper()
	s, err := redis.New(&redis.Options{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestProviderReplicasShareRedis runs the whole login of
// providertest.ReplicaFlow through two provider instances whose only
// shared state is one Redis server (and the encryption key): every step
// lands on the other instance than the step before, each instance talks
// to Redis through its own client.
func TestProviderReplicasShareRedis(t *testing.T) {
	srv := redisserver.Start(t, nil)
	a, b := newStore(t, srv.URL(), "replicas"), newStore(t, srv.URL(), "replicas")
	providertest.ReplicaFlowStores(t, a, b)

	// The flow went through Redis: the provider's records are there, under
	// the prefix.
	keys, err := a.List(t.Context(), "mcpauth/provider/")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, k := range keys {
		kind, _, _ := strings.Cut(strings.TrimPrefix(k, "mcpauth/provider/"), "/")
		kinds[kind] = true
	}
	for _, want := range []string{"client", "refresh", "rtused", "codeused", "revoked"} {
		if !kinds[want] {
			t.Errorf("Redis holds no %q record under the replicas' prefix (kinds: %v)", want, kinds)
		}
	}
	// The flow ends with a refresh-token reuse, which revoked the grant and
	// so deleted its access tokens and their list.
	for _, gone := range []string{"access", "grantat", "family"} {
		if kinds[gone] {
			t.Errorf("Redis still holds a %q record of the revoked grant", gone)
		}
	}
}
