// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/provider"
)

// TestRegistrationLimitOptions: every limit can be set, and those that can
// be turned off are off when negative.
func TestRegistrationLimitOptions(t *testing.T) {
	t.Run("configured", func(t *testing.T) {
		e := newEnv(t, 1, func(o *provider.Options) {
			o.Registration.PerAddressPerMinute = 3
			o.Registration.MaxRedirectURIs = 2
			o.Registration.MaxRedirectURILength = 40
			o.Registration.MaxMetadataBytes = 300
			o.Registration.UnusedClientTTL = time.Minute
		})
		base := e.url(0)
		got := []int{
			register(t, base, map[string]any{"redirect_uris": []string{clientRedirect, clientRedirect + "2", clientRedirect + "3"}, "token_endpoint_auth_method": "none"}).status,
			register(t, base, map[string]any{"redirect_uris": []string{clientRedirect + "/" + strings.Repeat("x", 20)}, "token_endpoint_auth_method": "none"}).status,
			register(t, base, map[string]any{"redirect_uris": []string{clientRedirect}, "client_name": strings.Repeat("n", 280), "token_endpoint_auth_method": "none"}).status,
			register(t, base, nil).status, // the fourth request from this address
		}
		if diff := cmp.Diff([]int{400, 400, 413, 429}, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		e.clock.Advance(time.Minute)
		id := register(t, base, nil).str("client_id")
		e.clock.Advance(time.Minute)
		if p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), nil)); p.status != http.StatusBadRequest {
			t.Errorf("after UnusedClientTTL: got %d, want 400", p.status)
		}
	})
	t.Run("off", func(t *testing.T) {
		e := newEnv(t, 1, func(o *provider.Options) {
			o.Registration.PerMinute = -1
			o.Registration.PerAddressPerMinute = -1
			o.Registration.MaxRedirectURIs = -1
			o.Registration.MaxRedirectURILength = -1
			o.Registration.UnusedClientTTL = -1
		})
		base := e.url(0)
		var ids []string
		for i := range 3 * provider.DefaultRegistrationsPerMinute {
			uris := []string{clientRedirect}
			if i == 0 {
				uris = []string{clientRedirect + "/" + strings.Repeat("x", 3000)}
				for j := range 20 {
					uris = append(uris, fmt.Sprintf("%s/%d", clientRedirect, j))
				}
			}
			res := register(t, base, map[string]any{"redirect_uris": uris, "token_endpoint_auth_method": "none"})
			if res.status != http.StatusCreated {
				t.Fatalf("registration %d: got %d %v", i, res.status, res.body)
			}
			ids = append(ids, res.str("client_id"))
		}
		e.clock.Advance(30 * 24 * time.Hour)
		if p := newBrowser(t).get(authorizeURL(base, ids[1], newPKCE(), nil)); p.status != http.StatusOK {
			t.Errorf("unused client after 30 days: got %d, want the consent page", p.status)
		}
	})
	t.Run("ClientTTL bounds a used client", func(t *testing.T) {
		e := newEnv(t, 1, func(o *provider.Options) { o.Registration.ClientTTL = 3 * time.Hour })
		base := e.url(0)
		id, pk, code := codeFor(t, e, base)
		if tok := exchange(t, base, id, code, pk.verifier); tok.status != http.StatusOK {
			t.Fatalf("exchange: got %d", tok.status)
		}
		e.clock.Advance(2 * time.Hour)
		if p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), nil)); p.status != http.StatusOK {
			t.Errorf("used client within ClientTTL: got %d, want the consent page", p.status)
		}
		e.clock.Advance(time.Hour)
		if p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), nil)); p.status != http.StatusBadRequest {
			t.Errorf("used client after ClientTTL: got %d, want 400", p.status)
		}
	})
}
