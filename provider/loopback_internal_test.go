// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import "testing"

// loopbackURLs are http URLs and whether they are on a loopback host. The
// hostile ones look like loopback to a prefix or suffix check but reach
// another machine, or are spellings a browser and this server might read
// differently.
var loopbackURLs = []struct {
	name string
	url  string
	want bool
}{
	{"IPv4 loopback", "http://127.0.0.1/cb", true},
	{"IPv4 loopback with port", "http://127.0.0.1:8080/cb", true},
	{"other 127/8 address", "http://127.8.9.10:1/cb", true},
	{"IPv6 loopback", "http://[::1]/cb", true},
	{"IPv6 loopback with port", "http://[::1]:8080/cb", true},
	{"IPv6 loopback long form", "http://[0:0:0:0:0:0:0:1]/cb", true},
	{"localhost", "http://localhost:9999/cb", true},
	{"LOCALHOST", "http://LOCALHOST:9999/cb", true},

	{"name starting with 127.", "http://127.evil.example/cb", false},
	{"loopback address as a DNS label", "http://127.0.0.1.nip.io/cb", false},
	{"loopback-looking subdomain", "http://127.0.0.1.evil.example:8080/cb", false},
	{"localhost subdomain", "http://localhost.evil.example/cb", false},
	{"name ending in localhost", "http://evil-localhost/cb", false},
	{"localhost with trailing dot", "http://localhost./cb", false},
	{"IPv4 loopback with trailing dot", "http://127.0.0.1./cb", false},
	{"short form 127.1", "http://127.1/cb", false},
	{"hex short form", "http://0x7f.1/cb", false},
	{"hex dotted", "http://0x7f.0.0.1/cb", false},
	{"octal", "http://0177.0.0.1/cb", false},
	{"leading zero", "http://127.0.0.01/cb", false},
	{"decimal integer", "http://2130706433/cb", false},
	{"IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]/cb", false},
	{"IPv4-mapped IPv6 hex", "http://[::ffff:7f00:1]/cb", false},
	{"IPv4-compatible IPv6", "http://[::127.0.0.1]/cb", false},
	{"IPv6 loopback with zone", "http://[::1%25lo]/cb", false},
	{"link-local with zone", "http://[fe80::1%25eth0]/cb", false},
	{"userinfo before a remote host", "http://127.0.0.1@evil.example/cb", false},
	{"userinfo with port before a remote host", "http://127.0.0.1:80@evil.example/cb", false},
	{"unspecified IPv4", "http://0.0.0.0/cb", false},
	{"unspecified IPv6", "http://[::]/cb", false},
	{"private address", "http://10.0.0.1/cb", false},
	{"empty host", "http:///cb", false},
}

func TestIsLoopbackURL(t *testing.T) {
	for _, tt := range loopbackURLs {
		t.Run(tt.name, func(t *testing.T) {
			if got := isLoopbackURL(tt.url); got != tt.want {
				t.Errorf("isLoopbackURL(%q) = %v, want %v", tt.url, got, tt.want)
			}
		})
	}
}

// TestCheckRedirectURILoopback: plain http is allowed only on a real
// loopback host; the same hosts are fine over https, except with user info.
func TestCheckRedirectURILoopback(t *testing.T) {
	for _, tt := range loopbackURLs {
		t.Run(tt.name, func(t *testing.T) {
			err := checkRedirectURI(tt.url)
			if (err == nil) != tt.want {
				t.Errorf("checkRedirectURI(%q) = %v, want ok=%v", tt.url, err, tt.want)
			}
		})
	}
	for _, raw := range []string{"http://127.0.0.1:99999/cb", "http://127.0.0.1:0/cb", "http://127.0.0.1:8o/cb", "https://app.example:65536/cb"} {
		if err := checkRedirectURI(raw); err == nil {
			t.Errorf("checkRedirectURI(%q): got no error, want a bad port refused", raw)
		}
	}
}
