// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"encoding/json"
	"testing"
)

func TestItemNewestVersion(t *testing.T) {
	tests := []struct {
		name       string
		versions   string
		wantSecret string
		wantOK     bool
		wantAt     string
	}{
		{"latest only", `[{"version":3,"created_at":"c3","secret":"s3"}]`, "s3", true, "c3"},
		{"ascending", `[{"version":1,"created_at":"c1","secret":"s1"},{"version":2,"created_at":"c2","secret":"s2"}]`, "s2", true, "c2"},
		{"descending", `[{"version":2,"created_at":"c2","secret":"s2"},{"version":1,"created_at":"c1","secret":"s1"}]`, "s2", true, "c2"},
		{"none", `[]`, "", false, "item"},
		{"no secret", `[{"version":1,"created_at":"c1"}]`, "", false, "c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var it item
			if err := json.Unmarshal([]byte(`{"id":"pvi_x","created_at":"item","item_versions":`+tt.versions+`}`), &it); err != nil {
				t.Fatal(err)
			}
			secret, ok := it.secret()
			if secret != tt.wantSecret || ok != tt.wantOK {
				t.Errorf("secret() = %q, %v; want %q, %v", secret, ok, tt.wantSecret, tt.wantOK)
			}
			if got := it.writtenAt(); got != tt.wantAt {
				t.Errorf("writtenAt() = %q, want %q", got, tt.wantAt)
			}
		})
	}
}

func TestSameFolder(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a/b", "a/b", true},
		{"/a/b", "a/b", true},
		{"a/b/", "/a/b", true},
		{"a/b", "a/c", false},
		{"a", "a/b", false},
	}
	for _, tt := range tests {
		if got := sameFolder(tt.a, tt.b); got != tt.want {
			t.Errorf("sameFolder(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
