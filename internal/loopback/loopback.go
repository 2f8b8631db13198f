// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package loopback is the one test of "this host is this computer" that
// every module uses where plain http is allowed only on loopback: the
// provider's redirect URIs, BaseURL and consent page, the AuthZEN PDP URL
// (in the root and in mcpauthenv) and the Pangea Vault base URL.
package loopback

import (
	"net/netip"
	"strings"
)

// Host reports whether host, as returned by [net/url.URL.Hostname] (no
// port, no brackets), names this computer: "localhost" in any case, an
// IPv4 address in 127.0.0.0/8 or the IPv6 address ::1. Anything else is
// refused, even where some resolver would map it to loopback: names that
// merely start with "127." or "localhost" (127.0.0.1.nip.io), a trailing dot
// ("localhost." goes to DNS), the short, hexadecimal, octal and integer IPv4
// forms net/netip does not accept (127.1, 0x7f.1), IPv4-mapped and
// IPv4-compatible IPv6 (::ffff:127.0.0.1) and zoned addresses.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" || a.Is4In6() {
		return false
	}
	return a.IsLoopback()
}
