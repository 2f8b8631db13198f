// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis

import (
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

func TestEscapeKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"", ""},
		{"plain/key+=", "plain/key+="},
		{"a:b", "a%3Ab"},
		{"%", "%25"},
		{"%3A", "%253A"},
		{"{x}", "%7Bx%7D"},
		{`*?[]\`, "%2A%3F%5B%5D%5C"},
		{"é\x00\xff", "é\x00\xff"},
	}
	for _, tt := range tests {
		if got := escapeKey(tt.key); got != tt.want {
			t.Errorf("escapeKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
		if got, ok := unescapeKey(tt.want); !ok || got != tt.key {
			t.Errorf("unescapeKey(%q) = %q, %v; want %q", tt.want, got, ok, tt.key)
		}
	}
	for _, bad := range []string{"a:b", "%", "%4", "%zz", "%41", "%3a", "{", "x*"} {
		if got, ok := unescapeKey(bad); ok {
			t.Errorf("unescapeKey(%q) = %q, true; want false: escapeKey never writes it", bad, got)
		}
	}
	if got, want := globEscape(`p*?[]\x`), `p\*\?\[\]\\x`; got != want {
		t.Errorf("globEscape = %q, want %q", got, want)
	}
}

// FuzzEscapeKey: the encoding round-trips, keeps prefixes, and never
// writes a separator, hash-tag brace or glob metacharacter.
func FuzzEscapeKey(f *testing.F) {
	for _, k := range repositorytest.AwkwardKeys() {
		f.Add(k, "x")
	}
	f.Add("a:b", "{c}")
	f.Fuzz(func(t *testing.T, a, b string) {
		ea := escapeKey(a)
		if strings.ContainsAny(ea, `:{}*?[]\`) {
			t.Fatalf("escapeKey(%q) = %q holds a reserved character", a, ea)
		}
		if got, ok := unescapeKey(ea); !ok || got != a {
			t.Fatalf("unescapeKey(escapeKey(%q)) = %q, %v", a, got, ok)
		}
		if escapeKey(a+b) != ea+escapeKey(b) {
			t.Fatalf("escapeKey is not prefix-preserving for %q + %q", a, b)
		}
		if a != b && ea == escapeKey(b) {
			t.Fatalf("escapeKey(%q) == escapeKey(%q)", a, b)
		}
	})
}
