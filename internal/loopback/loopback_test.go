// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package loopback

import "testing"

func TestHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},

		{"", false},
		{"127.", false},
		{"127.evil.example", false},
		{"127.0.0.1.nip.io", false},
		{"127.1", false},
		{"0x7f.1", false},
		{"localhost.", false},
		{"localhost:80", false}, // a host, not host:port
		{"127.0.0.1:80", false},
		{"[::1]", false}, // url.URL.Hostname strips the brackets
		{"::ffff:127.0.0.1", false},
		{"::1%lo", false},
		{"::2", false},
		{"128.0.0.1", false},
	}
	for _, tt := range tests {
		if got := Host(tt.host); got != tt.want {
			t.Errorf("Host(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
