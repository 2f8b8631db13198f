// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/pangeavault"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// TestLive runs the conformance suite against the real Pangea Vault when
// PANGEA_VAULT_TOKEN is set (PANGEA_DOMAIN optional, default
// aws.us.pangea.cloud). Each store gets its own folder under
// "mcpauth-livetest/", emptied afterwards. The store runs with WithTake,
// so the suite's concurrent Takes test delete exclusivity for real. Expiry uses a fake clock: the
// expiry instant lives in the record, so the suite needs no sleeps even
// against the real service.
func TestLive(t *testing.T) {
	token := os.Getenv("PANGEA_VAULT_TOKEN")
	if token == "" {
		t.Skip("PANGEA_VAULT_TOKEN is not set: skipping the live Pangea Vault test (set it, and optionally PANGEA_DOMAIN, to run it)")
	}
	domain := os.Getenv("PANGEA_DOMAIN")
	clock := repositorytest.NewClock(time.Now())
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			s, err := pangeavault.New(&pangeavault.Options{
				Token:  token,
				Domain: domain,
				Folder: "mcpauth-livetest/" + hex.EncodeToString(b),
				Clock:  clock.Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { emptyStore(t, s) })
			// WithTake: the suite's concurrent Takes check, against the
			// real service, the delete exclusivity Take relies on.
			return s.WithTake()
		},
		Advance:     clock.Advance,
		Concurrency: 2,
	})
}

// emptyStore deletes every record the store holds.
func emptyStore(t *testing.T, s *pangeavault.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	keys, err := s.List(ctx, "")
	if err != nil {
		t.Logf("cleanup: List: %v", err)
		return
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			t.Logf("cleanup: Delete: %v", err)
		}
	}
}
