// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package adapters_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/mcpauth/mcpauth/adapters/mcpauthgin"
	"github.com/mcpauth/mcpauth/internal/mounttest"
)

func init() { gin.SetMode(gin.TestMode) }

// TestGinMountProvider checks that every provider route answers through gin
// exactly as through the provider's own handler.
func TestGinMountProvider(t *testing.T) {
	tests := []struct {
		name  string
		base  string
		group func(r *gin.Engine) *gin.RouterGroup
	}{
		{"root group", "http://127.0.0.1:8080", func(r *gin.Engine) *gin.RouterGroup { return &r.RouterGroup }},
		{"base path", "http://127.0.0.1:8080/auth", func(r *gin.Engine) *gin.RouterGroup { return &r.RouterGroup }},
		{"group with middleware", "http://127.0.0.1:8080", func(r *gin.Engine) *gin.RouterGroup {
			return r.Group("/", func(c *gin.Context) { c.Header("X-Group", "yes") })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.base)
			r := gin.New()
			if err := mcpauthgin.MountProvider(tt.group(r), p); err != nil {
				t.Fatal(err)
			}
			r.GET("/other", func(c *gin.Context) { c.String(http.StatusOK, "other") })
			mounttest.SameAnswers(t, p.Handler(), r, p.Paths())
			if got := mounttest.Serve(r, http.MethodGet, "/other"); got.Body != "other" {
				t.Errorf("GET /other: got %+v", got)
			}
		})
	}

	t.Run("group outside the paths", func(t *testing.T) {
		r := gin.New()
		err := mcpauthgin.MountProvider(r.Group("/api"), newProvider(t, "http://127.0.0.1:8080/api"))
		if err == nil || !strings.Contains(err.Error(), "outside the group's base path") {
			t.Errorf("got %v, want the base-path error", err)
		}
		if routes := r.Routes(); len(routes) != 0 {
			t.Errorf("registered %d routes, want none", len(routes))
		}
	})
}
