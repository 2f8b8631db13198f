// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package adapters_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/mcpauth/mcpauth/adapters/mcpauthchi"
	"github.com/mcpauth/mcpauth/internal/mounttest"
)

// TestChiMountProvider checks that every provider route answers through chi
// exactly as through the provider's own handler, next to other routes.
func TestChiMountProvider(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "http://127.0.0.1:8080/auth"} {
		t.Run(base, func(t *testing.T) {
			p := newProvider(t, base)
			r := chi.NewRouter()
			mcpauthchi.MountProvider(r, p)
			r.Get("/other", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "other") })

			mounttest.SameAnswers(t, p.Handler(), r, p.Paths())
			if got := mounttest.Serve(r, http.MethodGet, "/other"); got.Body != "other" {
				t.Errorf("GET /other: got %+v", got)
			}
			meta := mounttest.Serve(r, http.MethodGet, p.Paths()[0])
			if meta.Status != http.StatusOK || meta.ContentType != "application/json" {
				t.Errorf("authorization server metadata: got %d %s", meta.Status, meta.ContentType)
			}
		})
	}
}
