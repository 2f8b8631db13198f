// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingKeys counts key lookups, which happen once per signature
// verification.
type countingKeys struct {
	KeySource
	n atomic.Int32
}

func (c *countingKeys) key(ctx context.Context, kid string, a *algorithm) (*Key, any, error) {
	c.n.Add(1)
	return c.KeySource.key(ctx, kid, a)
}

func TestVerifiedTokenCache(t *testing.T) {
	k := keys(t)
	c := newClock()
	ks := &countingKeys{KeySource: StaticKey(Key{Secret: k.secret})}
	v := newVerifier(t, Config{Keys: ks, Algorithms: []string{"HS256"}, Leeway: 10 * time.Second, CacheSize: 4, Now: c.Now})
	ctx := context.Background()
	tok := sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, map[string]any{"sub": "a", "exp": unix(testNow.Add(90 * time.Second))})

	verify := func(step string, wantErr error, wantLookups int32) *Token {
		t.Helper()
		got, err := v.Verify(ctx, tok)
		if !errors.Is(err, wantErr) {
			t.Fatalf("%s: got error %v, want %v", step, err, wantErr)
		}
		if n := ks.n.Load(); n != wantLookups {
			t.Fatalf("%s: signature verifications: got %d, want %d", step, n, wantLookups)
		}
		return got
	}
	first := verify("first", nil, 1)
	first.Claims["sub"] = "mallory" // callers own their copy
	second := verify("cached", nil, 1)
	if second.Claims["sub"] != "a" {
		t.Fatalf("cached claims: got sub %v, want a", second.Claims["sub"])
	}
	c.Advance(59 * time.Second)
	verify("still cached", nil, 1)
	c.Advance(time.Second)
	verify("TTL over: verified again", nil, 2)
	c.Advance(30 * time.Second) // exp reached, within the leeway
	verify("within leeway: cached", nil, 2)
	c.Advance(10 * time.Second) // exp + leeway: the entry is dropped
	verify("expired", ErrExpired, 3)
	verify("expired tokens are not cached", ErrExpired, 4)
}

func TestVerifiedTokenCacheBounds(t *testing.T) {
	k := keys(t)
	ks := &countingKeys{KeySource: StaticKey(Key{Secret: k.secret})}
	v := newVerifier(t, Config{Keys: ks, Algorithms: []string{"HS256"}, CacheSize: 8})
	ctx := context.Background()
	for i := range 100 {
		tok := sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, map[string]any{"sub": strconv.Itoa(i)})
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.cache.lru.Len(); n > 8 {
		t.Fatalf("cache entries: got %d, want at most 8", n)
	}
	// Tokens above maxCachedTokenSize are verified every time.
	big := sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, map[string]any{"sub": "b", "pad": strings.Repeat("x", maxCachedTokenSize)})
	before := ks.n.Load()
	for range 2 {
		if _, err := v.Verify(ctx, big); err != nil {
			t.Fatal(err)
		}
	}
	if got := ks.n.Load() - before; got != 2 {
		t.Fatalf("verifications of a large token: got %d, want 2", got)
	}
	// A tampered token never hits the entry of the genuine one.
	tok := sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, map[string]any{"sub": "c"})
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok[:len(tok)-2]+"AA"); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("tampered token: got %v, want a signature or format error", err)
	}
}
