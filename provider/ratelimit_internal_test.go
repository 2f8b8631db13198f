// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"fmt"
	"testing"
	"time"
)

func TestAddressKey(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"192.0.2.1:9", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:1234", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::ffff]:443", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:443", "fe80::/64"},
		{"192.0.2.1", "192.0.2.1"}, // no port
		{"@", "@"},                 // a Unix socket
		{"", ""},
	}
	for _, tt := range tests {
		if got := addressKey(tt.remote); got != tt.want {
			t.Errorf("addressKey(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}

// TestRegistrationLimiterBoundsAddresses: however many addresses register,
// the limiter keeps at most maxTrackedAddresses buckets.
func TestRegistrationLimiterBoundsAddresses(t *testing.T) {
	l := newRegistrationLimiter(-1, 1)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 * maxTrackedAddresses {
		if ok, _ := l.allow(fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255), now); !ok {
			t.Fatalf("address %d: refused its first registration", i)
		}
		if n := len(l.addrs); n > maxTrackedAddresses {
			t.Fatalf("after %d addresses: %d buckets, want at most %d", i+1, n, maxTrackedAddresses)
		}
	}
	// A refused request takes nothing from the global bucket.
	l = newRegistrationLimiter(2, 1)
	for i, tt := range []struct {
		addr string
		want bool
	}{
		{"192.0.2.1:1", true},
		{"192.0.2.1:2", false}, // per-address bucket empty
		{"192.0.2.1:3", false},
		{"192.0.2.2:1", true}, // the global bucket still has one
		{"192.0.2.3:1", false},
	} {
		if ok, _ := l.allow(tt.addr, now); ok != tt.want {
			t.Errorf("request %d from %s: got %v, want %v", i, tt.addr, ok, tt.want)
		}
	}
	if ok, wait := l.allow("192.0.2.9:1", now); ok || wait != 30*time.Second {
		t.Errorf("global bucket empty: got %v %v, want false and 30s", ok, wait)
	}
}
