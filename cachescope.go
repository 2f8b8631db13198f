// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"net/http"
	"net/textproto"
	"strings"
)

// A filtered list differs per caller, so it must never be served from a
// shared cache to someone else. MCP says so in the result: its cacheScope
// member (MCP 2026-07-28, SEP-2549: "public", the default when absent, or
// "private") is set to "private" by the list filter. HTTP says so in the
// headers, set here.

// privateHeaders marks the response to a filtered list request as private
// to the caller: Cache-Control gets "private" (replacing "public",
// "s-maxage" and a field-limited private="..."), and Vary names the
// request headers the caller's identity and tenant come from.
func (m *Middleware) privateHeaders(h http.Header) {
	h.Set("Cache-Control", privateCacheControl(h.Values("Cache-Control")))
	if name := m.opts.Identity.credentialHeader(); name != "" {
		addVary(h, name)
	}
	if m.opts.Tenant.Header != "" {
		addVary(h, m.opts.Tenant.Header)
	}
}

// privateCacheControl returns the Cache-Control value made of the
// directives in values without those that allow shared caching, plus
// "private".
func privateCacheControl(values []string) string {
	var b strings.Builder
	for _, v := range values {
		for _, d := range splitDirectives(v) {
			name, _, _ := strings.Cut(d, "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "public", "private", "s-maxage", "proxy-revalidate":
				continue
			}
			b.WriteString(d)
			b.WriteString(", ")
		}
	}
	b.WriteString("private")
	return b.String()
}

// splitDirectives splits a Cache-Control value at the commas outside
// quoted strings, trimming blanks and dropping empty directives.
func splitDirectives(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i <= len(v); i++ {
		if i < len(v) {
			switch v[i] {
			case '"':
				quoted = !quoted
				continue
			case '\\':
				if quoted {
					i++
				}
				continue
			case ',':
				if quoted {
					continue
				}
			default:
				continue
			}
		}
		if d := strings.TrimSpace(v[start:min(i, len(v))]); d != "" {
			out = append(out, d)
		}
		start = i + 1
	}
	return out
}

// addVary adds name to the Vary header unless it (or "*") is there.
func addVary(h http.Header, name string) {
	name = textproto.CanonicalMIMEHeaderKey(name)
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "*" || strings.EqualFold(f, name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}
