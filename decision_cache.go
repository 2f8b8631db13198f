// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// CacheStats are the decision cache counters, for metrics.
type CacheStats struct {
	// Hits and Misses count single-check lookups (and list items).
	Hits, Misses uint64
	// Coalesced counts callers that shared another caller's decision point
	// call instead of making their own.
	Coalesced uint64
	// Evictions counts entries dropped to respect the size bound.
	Evictions uint64
	// PDPCalls counts decision point calls (a bulk call counts once), and
	// PDPErrors those that failed (failures are never cached).
	PDPCalls, PDPErrors uint64
	// Entries is the number of cached decisions, including expired ones
	// not yet dropped.
	Entries int
}

// cacheKey is the SHA-256 of the canonical encoding of every input of a
// decision. A cryptographic hash, because tool arguments are chosen by the
// caller: with a weak hash a crafted argument could collide with a cached
// allow.
type cacheKey [sha256.Size]byte

type cacheEntry struct {
	expires int64  // unix nanoseconds
	user    uint64 // hash of the user key, for InvalidateUser
	allow   bool
}

// decisionCache caches decisions and coalesces identical concurrent misses.
// It is safe for concurrent use. A nil lru (size < 0) disables caching but
// keeps coalescing.
type decisionCache struct {
	lru      *lru.Cache[cacheKey, cacheEntry]
	group    singleflight.Group
	allowTTL time.Duration
	denyTTL  time.Duration
	timeout  time.Duration
	seed     maphash.Seed
	now      func() time.Time
	tel      *telemetry // spans and timing of authorizer calls; nil: none

	hits, misses, coalesced, evictions, calls, errors atomic.Uint64
}

func newDecisionCache(o CacheOptions) *decisionCache {
	c := &decisionCache{
		allowTTL: o.AllowTTL,
		denyTTL:  o.DenyTTL,
		timeout:  o.PDPTimeout,
		seed:     maphash.MakeSeed(),
		now:      time.Now,
	}
	if o.Size > 0 {
		l, err := lru.New[cacheKey, cacheEntry](o.Size)
		if err != nil {
			// Only a non-positive size fails, which was excluded above.
			panic(err)
		}
		c.lru = l
	}
	return c
}

func (c *decisionCache) stats() CacheStats {
	s := CacheStats{
		Hits:      c.hits.Load(),
		Misses:    c.misses.Load(),
		Coalesced: c.coalesced.Load(),
		Evictions: c.evictions.Load(),
		PDPCalls:  c.calls.Load(),
		PDPErrors: c.errors.Load(),
	}
	if c.lru != nil {
		s.Entries = c.lru.Len()
	}
	return s
}

func (c *decisionCache) purge() {
	if c.lru != nil {
		c.lru.Purge()
	}
}

func (c *decisionCache) invalidateUser(userKey string) {
	if c.lru == nil {
		return
	}
	uh := maphash.String(c.seed, userKey)
	for _, k := range c.lru.Keys() {
		if e, ok := c.lru.Peek(k); ok && e.user == uh {
			c.lru.Remove(k)
		}
	}
}

// lookup returns the cached decision for key, if one is live.
func (c *decisionCache) lookup(key *cacheKey) (allow, ok bool) {
	if c.lru == nil {
		return false, false
	}
	return c.lookupAt(key, c.now().UnixNano())
}

// lookupAt is lookup at the time now (unix nanoseconds), for callers that
// look up many keys at one instant.
func (c *decisionCache) lookupAt(key *cacheKey, now int64) (allow, ok bool) {
	if c.lru == nil {
		return false, false
	}
	e, ok := c.lru.Get(*key)
	if !ok || now >= e.expires {
		return false, false
	}
	return e.allow, true
}

// store caches a decision. An allow never outlives the credential's expiry.
func (c *decisionCache) store(key *cacheKey, allow bool, chk *Check, id *Identity) {
	if c.lru == nil {
		return
	}
	now := c.now()
	ttl := c.denyTTL
	if allow {
		ttl = c.allowTTL
	}
	exp := now.Add(ttl)
	if id != nil && !id.Expiry.IsZero() && id.Expiry.Before(exp) {
		exp = id.Expiry
	}
	if !exp.After(now) {
		return
	}
	if c.lru.Add(*key, cacheEntry{expires: exp.UnixNano(), user: maphash.String(c.seed, chk.User.Key), allow: allow}) {
		c.evictions.Add(1)
	}
}

// decide answers one check from the cache or the authorizer. Identical
// concurrent misses share one authorizer call, which runs on a context
// detached from any one caller with its own timeout: a caller whose context
// ends stops waiting without cancelling the others.
func (c *decisionCache) decide(ctx context.Context, authz Authorizer, chk *Check, id *Identity) (allow, cached bool, err error) {
	var k cacheKey
	c.key(&k, chk, id)
	if allow, ok := c.lookup(&k); ok {
		c.hits.Add(1)
		return allow, true, nil
	}
	c.misses.Add(1)
	return c.miss(ctx, authz, k, chk, id)
}

// miss asks the authorizer, sharing the call with identical concurrent
// misses. It is kept apart from decide so that the hit path does not move
// the key to the heap for the closure.
func (c *decisionCache) miss(ctx context.Context, authz Authorizer, key cacheKey, chk *Check, id *Identity) (allow, cached bool, err error) {
	executed, lateHit := false, false
	ch := c.group.DoChan(string(key[:]), func() (any, error) {
		executed = true
		// Another caller may have stored the decision between our lookup
		// and now: count it as the hit it is.
		if allow, ok := c.lookup(&key); ok {
			c.misses.Add(^uint64(0))
			c.hits.Add(1)
			lateHit = true
			return allow, nil
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		c.calls.Add(1)
		allow, err := c.tel.allowed(cctx, authz, chk) // authz.Allowed, with telemetry
		if err != nil {
			c.errors.Add(1)
			return false, err
		}
		c.store(&key, allow, chk, id)
		return allow, nil
	})
	select {
	case res := <-ch:
		if !executed {
			c.coalesced.Add(1)
		}
		if res.Err != nil {
			return false, false, res.Err
		}
		return res.Val.(bool), lateHit, nil
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
}

// decideBulk answers several checks with at most one bulk authorizer call
// for the ones the cache cannot answer.
func (c *decisionCache) decideBulk(ctx context.Context, authz Authorizer, checks []Check, id *Identity) ([]bool, error) {
	out := make([]bool, len(checks))
	keys := make([]cacheKey, len(checks))
	var missIdx []int
	for i := range checks {
		c.key(&keys[i], &checks[i], id)
		if allow, ok := c.lookup(&keys[i]); ok {
			c.hits.Add(1)
			out[i] = allow
			continue
		}
		c.misses.Add(1)
		missIdx = append(missIdx, i)
	}
	if len(missIdx) == 0 {
		return out, nil
	}
	miss := make([]Check, len(missIdx))
	missKeys := make([]cacheKey, len(missIdx))
	for j, i := range missIdx {
		miss[j] = checks[i]
		missKeys[j] = keys[i]
	}
	res, err := c.bulkMiss(ctx, authz, miss, missKeys, id)
	if err != nil {
		return nil, err
	}
	for j, i := range missIdx {
		out[i] = res[j]
	}
	return out, nil
}

// bulkMiss decides checks the cache could not answer in one bulk
// authorizer call and caches each decision under its key (keys[i] is the
// key of checks[i]).
func (c *decisionCache) bulkMiss(ctx context.Context, authz Authorizer, checks []Check, keys []cacheKey, id *Identity) ([]bool, error) {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	c.calls.Add(1)
	res, err := c.tel.allowedBulk(cctx, authz, checks) // authz.AllowedBulk, with telemetry
	if err == nil && len(res) != len(checks) {
		err = fmt.Errorf("%w: bulk check returned %d results for %d checks", ErrDecisionFailed, len(res), len(checks))
	}
	if err != nil {
		c.errors.Add(1)
		return nil, err
	}
	for i := range checks {
		c.store(&keys[i], res[i], &checks[i], id)
	}
	return res, nil
}

// keyWriter streams the canonical encoding of a decision's inputs into a
// hash. Every value is tagged and length-prefixed, so distinct inputs never
// encode alike, and map keys are sorted, so their order never matters.
type keyWriter struct {
	buf   []byte    // the whole encoding, hashed at once
	pairs []keyPair // map entries being sorted, a stack across nesting
}

type keyPair struct {
	k string
	v any
}

var keyWriters = sync.Pool{New: func() any {
	return &keyWriter{buf: make([]byte, 0, 512)}
}}

func (c *decisionCache) key(dst *cacheKey, chk *Check, id *Identity) {
	kw := keyWriters.Get().(*keyWriter)
	kw.buf = kw.buf[:0]
	kw.str(chk.User.Key)
	kw.value(chk.User.Attributes, 0)
	kw.str(chk.Resource.Tenant)
	kw.str(chk.Action)
	kw.str(chk.Resource.Type)
	kw.str(chk.Resource.Key)
	kw.value(chk.Resource.Attributes, 0)
	kw.value(chk.Context, 0)
	if id != nil && len(id.Scopes) > 0 {
		kw.tag('S')
		scopes := slices.Clone(id.Scopes)
		slices.Sort(scopes)
		kw.uint(uint64(len(scopes)))
		for _, s := range scopes {
			kw.str(s)
		}
	} else {
		kw.tag('s')
	}
	*dst = sha256.Sum256(kw.buf)
	if cap(kw.buf) <= 64<<10 {
		keyWriters.Put(kw)
	}
}

func (kw *keyWriter) tag(b byte) { kw.buf = append(kw.buf, b) }

func (kw *keyWriter) uint(n uint64) { kw.buf = binary.AppendUvarint(kw.buf, n) }

func (kw *keyWriter) str(s string) {
	kw.uint(uint64(len(s)))
	kw.buf = append(kw.buf, s...)
}

// maxKeyDepth bounds recursion into nested attribute values; deeper values
// are encoded by their JSON text.
const maxKeyDepth = 32

func (kw *keyWriter) value(v any, depth int) {
	switch v := v.(type) {
	case nil:
		kw.tag('n')
	case string:
		kw.tag('s')
		kw.str(v)
	case json.Number:
		kw.tag('N')
		kw.str(string(v))
	case bool:
		if v {
			kw.tag('t')
		} else {
			kw.tag('f')
		}
	case float64:
		kw.tag('F')
		kw.buf = binary.BigEndian.AppendUint64(kw.buf, math.Float64bits(v))
	case int:
		kw.tag('I')
		kw.buf = binary.AppendVarint(kw.buf, int64(v))
	case int64:
		kw.tag('I')
		kw.buf = binary.AppendVarint(kw.buf, v)
	case map[string]any:
		if depth >= maxKeyDepth {
			kw.jsonValue(v)
			return
		}
		kw.tag('M')
		kw.uint(uint64(len(v)))
		start := len(kw.pairs)
		for k, e := range v {
			kw.pairs = append(kw.pairs, keyPair{k, e})
		}
		pairs := kw.pairs[start:]
		slices.SortFunc(pairs, func(a, b keyPair) int { return strings.Compare(a.k, b.k) })
		for i := range pairs {
			kw.str(pairs[i].k)
			kw.value(pairs[i].v, depth+1)
		}
		clear(kw.pairs[start:])
		kw.pairs = kw.pairs[:start]
	case []any:
		if depth >= maxKeyDepth {
			kw.jsonValue(v)
			return
		}
		kw.tag('A')
		kw.uint(uint64(len(v)))
		for _, e := range v {
			kw.value(e, depth+1)
		}
	case []string:
		kw.tag('A')
		kw.uint(uint64(len(v)))
		for _, e := range v {
			kw.tag('s')
			kw.str(e)
		}
	default:
		kw.jsonValue(v)
	}
}

// jsonValue encodes any other value by its JSON text (Go's encoder sorts
// map keys). A value that cannot be encoded gets a unique tag so it can
// never share an entry with another value: the caller still gets a
// decision, just never a cached one from a different input.
func (kw *keyWriter) jsonValue(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		kw.tag('X')
		kw.str(fmt.Sprintf("%T %p", v, &v))
		return
	}
	kw.tag('J')
	kw.str(string(b))
}
