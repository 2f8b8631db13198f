// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"maps"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// maxCachedTokenSize is the largest token the verified-token cache holds.
const maxCachedTokenSize = 4 << 10

// tokenCache remembers verified tokens, so that a client sending the same
// bearer token on every request pays for signature verification once. Only
// tokens that verified are stored, so its contents cannot be chosen by
// someone without a valid token. An entry lives until the token expires (the
// leeway included) or for the cache TTL, whichever comes first; the TTL
// bounds how long a key removed from a JWKS keeps its tokens accepted.
//
// The LRU bounds the entries and drops them after the TTL of wall-clock
// time; each entry also carries its own deadline, checked against the
// verifier's clock, which is what caps it at the token's expiry.
type tokenCache struct {
	ttl time.Duration
	lru *expirable.LRU[string, cachedToken]
}

type cachedToken struct {
	tok   *Token
	until time.Time
}

// newTokenCache returns a cache of up to max tokens. Its LRU runs one
// goroutine for the life of the process (golang-lru v2.0.7 cannot stop it),
// so a cache is made once per verifier.
func newTokenCache(max int, ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, lru: expirable.NewLRU[string, cachedToken](max, nil, ttl)}
}

// get returns a copy of the cached token, or nil.
func (c *tokenCache) get(token string, now time.Time) *Token {
	e, ok := c.lru.Get(token)
	if !ok {
		return nil
	}
	if !now.Before(e.until) {
		c.lru.Remove(token)
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
	c.lru.Add(token, cachedToken{tok: &cp, until: until})
}
