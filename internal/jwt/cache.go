// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwt

import (
	"maps"
	"sync"
	"time"
)

// maxCachedTokenSize is the largest token the verified-token cache holds.
const maxCachedTokenSize = 4 << 10

// tokenCache remembers verified tokens, so that a client sending the same
// bearer token on every request pays for signature verification once. Only
// tokens that verified are stored, so its contents cannot be chosen by
// someone without a valid token. An entry lives until the token expires (the
// leeway included) or for the cache TTL, whichever comes first; the TTL
// bounds how long a key removed from a JWKS keeps its tokens accepted.
type tokenCache struct {
	max int
	ttl time.Duration

	mu      sync.Mutex // guards entries
	entries map[string]cachedToken
}

type cachedToken struct {
	tok   *Token
	until time.Time
}

func newTokenCache(max int, ttl time.Duration) *tokenCache {
	return &tokenCache{max: max, ttl: ttl, entries: make(map[string]cachedToken)}
}

// get returns a copy of the cached token, or nil.
func (c *tokenCache) get(token string, now time.Time) *Token {
	c.mu.Lock()
	e, ok := c.entries[token]
	if ok && !now.Before(e.until) {
		delete(c.entries, token)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	// Callers own the returned token; the cached one stays untouched.
	t := *e.tok
	t.Claims = maps.Clone(e.tok.Claims)
	return &t
}

// put stores a copy of a verified token that stays valid until exp (zero
// when it has none).
func (c *tokenCache) put(token string, t *Token, now, exp time.Time) {
	if len(token) > maxCachedTokenSize {
		return
	}
	until := now.Add(c.ttl)
	if !exp.IsZero() && exp.Before(until) {
		until = exp
	}
	cp := *t
	cp.Claims = maps.Clone(t.Claims)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		// Still full: drop arbitrary entries (map order is random).
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[token] = cachedToken{tok: &cp, until: until}
}
