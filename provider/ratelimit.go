// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTrackedAddresses bounds the per-address buckets a registrationLimiter
// keeps.
const maxTrackedAddresses = 10000

// registrationLimiter is the token-bucket rate limit of dynamic client
// registration: one bucket for the instance and one per remote address. It
// takes the time from its caller, so the provider's clock drives it.
type registrationLimiter struct {
	global *rate.Limiter // nil: no global cap

	perAddr  rate.Limit
	perBurst int // 0: no per-address cap

	mu    sync.Mutex // guards addrs
	addrs map[string]*rate.Limiter
}

// newRegistrationLimiter returns a limiter allowing global registrations a
// minute in all and perAddress a minute from each address; zero or
// negative turns either off.
func newRegistrationLimiter(global, perAddress int) *registrationLimiter {
	l := &registrationLimiter{}
	if global > 0 {
		l.global = rate.NewLimiter(perMinute(global), global)
	}
	if perAddress > 0 {
		l.perAddr, l.perBurst = perMinute(perAddress), perAddress
		l.addrs = make(map[string]*rate.Limiter)
	}
	return l
}

func perMinute(n int) rate.Limit { return rate.Limit(float64(n) / time.Minute.Seconds()) }

// allow takes one registration for the request from remoteAddr from both
// buckets. If either is empty it takes nothing and returns how long until
// both have one again.
func (l *registrationLimiter) allow(remoteAddr string, now time.Time) (bool, time.Duration) {
	var global *rate.Reservation
	if l.global != nil {
		global = l.global.ReserveN(now, 1)
		if d := global.DelayFrom(now); d > 0 {
			global.CancelAt(now)
			return false, d
		}
	}
	if l.perBurst > 0 {
		r := l.addressLimiter(addressKey(remoteAddr), now).ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			if global != nil {
				global.CancelAt(now)
			}
			return false, d
		}
	}
	return true, 0
}

// addressLimiter returns the bucket of one address key.
func (l *registrationLimiter) addressLimiter(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim, ok := l.addrs[key]; ok {
		return lim
	}
	if len(l.addrs) >= maxTrackedAddresses {
		// A full bucket is the same as a new one: forget those first.
		for k, lim := range l.addrs {
			if lim.TokensAt(now) >= float64(l.perBurst) {
				delete(l.addrs, k)
			}
		}
		// Still too many addresses (more than maxTrackedAddresses active at
		// once): forget some. They start again with a full bucket; the
		// global cap still holds.
		for k := range l.addrs {
			if len(l.addrs) < maxTrackedAddresses*3/4 {
				break
			}
			delete(l.addrs, k)
		}
	}
	lim := rate.NewLimiter(l.perAddr, l.perBurst)
	l.addrs[key] = lim
	return lim
}

// addressKey is the per-address bucket a remote address (host:port, as in
// http.Request.RemoteAddr) belongs to: the IPv4 address, or the /64 of an
// IPv6 address, since one host commonly holds a whole /64. The port and
// any zone are ignored; an unparseable address is its own key.
func addressKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
