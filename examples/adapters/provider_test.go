// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package adapters_test

import (
	"testing"

	"github.com/mcpauth/mcpauth/provider"
)

func newProvider(t *testing.T, baseURL string) *provider.Provider {
	t.Helper()
	p, err := provider.New(&provider.Options{
		BaseURL: baseURL,
		Upstream: provider.UpstreamOptions{
			Issuer:       "http://127.0.0.1:1", // never contacted: no login happens
			ClientID:     "upstream-client",
			ClientSecret: "upstream-secret",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
