// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func baseCheck() Check {
	return Check{
		User:   User{Key: "alice", Attributes: map[string]any{"jwt": map[string]any{"sub": "alice", "role": "x"}}},
		Action: "conditional-greet",
		Resource: Resource{Type: "mcp_server", Tenant: "default", Attributes: map[string]any{
			"tool_name": "conditional-greet", "mcp_method": "tools/call", "arg_number": json.Number("5"),
		}},
	}
}

func keyOf(c *decisionCache, chk Check, id *Identity) cacheKey {
	var k cacheKey
	c.key(&k, &chk, id)
	return k
}

func TestCacheKeyCoversEveryInput(t *testing.T) {
	c := newDecisionCache(CacheOptions{Size: 10, AllowTTL: time.Minute, DenyTTL: time.Second, PDPTimeout: time.Second})
	base := keyOf(c, baseCheck(), nil)
	mutations := map[string]func(*Check, **Identity){
		"user key": func(k *Check, _ **Identity) { k.User.Key = "bob" },
		"user attribute": func(k *Check, _ **Identity) {
			k.User.Attributes = map[string]any{"jwt": map[string]any{"sub": "alice", "role": "y"}}
		},
		"tenant":               func(k *Check, _ **Identity) { k.Resource.Tenant = "acme" },
		"action":               func(k *Check, _ **Identity) { k.Action = "greet" },
		"resource type":        func(k *Check, _ **Identity) { k.Resource.Type = "other" },
		"resource key":         func(k *Check, _ **Identity) { k.Resource.Key = "x" },
		"argument value":       func(k *Check, _ **Identity) { k.Resource.Attributes["arg_number"] = json.Number("12") },
		"argument type":        func(k *Check, _ **Identity) { k.Resource.Attributes["arg_number"] = "5" },
		"extra argument":       func(k *Check, _ **Identity) { k.Resource.Attributes["arg_x"] = nil },
		"list-time method":     func(k *Check, _ **Identity) { k.Resource.Attributes["mcp_method"] = "tools/list" },
		"context":              func(k *Check, _ **Identity) { k.Context = map[string]any{"ip": "1.2.3.4"} },
		"scopes":               func(_ *Check, id **Identity) { *id = &Identity{Scopes: []string{"read"}} },
		"key/type boundary":    func(k *Check, _ **Identity) { k.Resource.Type, k.Resource.Key = "mcp_serve", "r" },
		"nested value":         func(k *Check, _ **Identity) { k.Resource.Attributes["arg_f"] = map[string]any{"a": []any{"b"}} },
		"bool vs string":       func(k *Check, _ **Identity) { k.Resource.Attributes["arg_number"] = true },
		"float vs json.Number": func(k *Check, _ **Identity) { k.Resource.Attributes["arg_number"] = 5.0 },
	}
	seen := map[cacheKey]string{base: "base"}
	for name, mutate := range mutations {
		chk := baseCheck()
		var id *Identity
		mutate(&chk, &id)
		k := keyOf(c, chk, id)
		if other, dup := seen[k]; dup {
			t.Errorf("%s: key equals the key of %s", name, other)
		}
		seen[k] = name
	}
}

func TestCacheKeyIgnoresOrder(t *testing.T) {
	c := newDecisionCache(CacheOptions{Size: 10, AllowTTL: time.Minute, DenyTTL: time.Second, PDPTimeout: time.Second})
	a := baseCheck()
	b := baseCheck()
	// Rebuild the maps with many keys in another insertion order: Go map
	// iteration order is random, so repeating the comparison exercises it.
	a.Resource.Attributes, b.Resource.Attributes = map[string]any{}, map[string]any{}
	for i := 0; i < 50; i++ {
		a.Resource.Attributes[string(rune('a'+i%26))+string(rune('A'+i/26))] = i
	}
	for i := 49; i >= 0; i-- {
		b.Resource.Attributes[string(rune('a'+i%26))+string(rune('A'+i/26))] = i
	}
	ida := &Identity{Scopes: []string{"write", "read"}}
	idb := &Identity{Scopes: []string{"read", "write"}}
	for i := 0; i < 20; i++ {
		if keyOf(c, a, ida) != keyOf(c, b, idb) {
			t.Fatal("equal checks with different map or scope order have different keys")
		}
	}
}

// countingAuthz counts calls and answers with allow, or err.
type countingAuthz struct {
	calls   atomic.Int64
	allow   bool
	err     error
	gate    chan struct{} // when non-nil, calls wait for it to close
	entered chan struct{}
}

func (a *countingAuthz) Allowed(ctx context.Context, _ Check) (bool, error) {
	a.calls.Add(1)
	if a.entered != nil {
		a.entered <- struct{}{}
	}
	if a.gate != nil {
		select {
		case <-a.gate:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return a.allow, a.err
}

func (a *countingAuthz) AllowedBulk(ctx context.Context, cs []Check) ([]bool, error) {
	a.calls.Add(1)
	out := make([]bool, len(cs))
	for i := range out {
		out[i] = a.allow
	}
	return out, a.err
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func newTestCache(size int) (*decisionCache, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := newDecisionCache(CacheOptions{Size: size, AllowTTL: 60 * time.Second, DenyTTL: 10 * time.Second, PDPTimeout: time.Second})
	c.now = clk.now
	return c, clk
}

func TestCacheTTLs(t *testing.T) {
	ctx := context.Background()
	tt := []struct {
		name   string
		allow  bool
		expiry time.Duration // credential expiry from now; 0 = none
		live   time.Duration // still cached just before this
	}{
		{"allow lives 60s", true, 0, 60 * time.Second},
		{"deny lives 10s", false, 0, 10 * time.Second},
		{"allow capped by token expiry", true, 5 * time.Second, 5 * time.Second},
		{"deny not extended by token expiry", false, 30 * time.Second, 10 * time.Second},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			c, clk := newTestCache(100)
			a := &countingAuthz{allow: tc.allow}
			var id *Identity
			if tc.expiry > 0 {
				id = &Identity{Expiry: clk.now().Add(tc.expiry)}
			}
			chk := baseCheck()
			for i := 0; i < 3; i++ {
				got, _, err := c.decide(ctx, a, &chk, id)
				if err != nil || got != tc.allow {
					t.Fatalf("decide = %v, %v; want %v", got, err, tc.allow)
				}
			}
			if n := a.calls.Load(); n != 1 {
				t.Fatalf("authorizer calls = %d, want 1", n)
			}
			clk.advance(tc.live - time.Nanosecond)
			if _, cached, _ := c.decide(ctx, a, &chk, id); !cached {
				t.Errorf("not cached just before %v", tc.live)
			}
			clk.advance(time.Nanosecond)
			if _, cached, _ := c.decide(ctx, a, &chk, id); cached {
				t.Errorf("still cached at %v", tc.live)
			}
			if n := a.calls.Load(); n != 2 {
				t.Errorf("authorizer calls = %d, want 2", n)
			}
		})
	}
}

func TestCacheExpiredCredentialNotCached(t *testing.T) {
	c, clk := newTestCache(100)
	a := &countingAuthz{allow: true}
	id := &Identity{Expiry: clk.now().Add(-time.Second)}
	chk := baseCheck()
	c.decide(context.Background(), a, &chk, id)
	c.decide(context.Background(), a, &chk, id)
	if n := a.calls.Load(); n != 2 {
		t.Errorf("authorizer calls = %d, want 2: a decision for an expired credential must not be cached", n)
	}
}

func TestCacheNeverCachesErrors(t *testing.T) {
	c, _ := newTestCache(100)
	a := &countingAuthz{err: errors.New("pdp down")}
	chk := baseCheck()
	for i := 0; i < 3; i++ {
		if _, _, err := c.decide(context.Background(), a, &chk, nil); err == nil {
			t.Fatal("decide returned no error")
		}
	}
	if n := a.calls.Load(); n != 3 {
		t.Errorf("authorizer calls = %d, want 3", n)
	}
	if s := c.stats(); s.PDPErrors != 3 || s.Entries != 0 {
		t.Errorf("stats = %+v, want 3 errors and no entries", s)
	}
}

func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	c, _ := newTestCache(100)
	a := &countingAuthz{allow: true, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	chk := baseCheck()
	const n = 1000
	var wg sync.WaitGroup
	results := make(chan bool, n)
	wg.Add(1)
	go func() {
		defer wg.Done()
		ok, _, _ := c.decide(context.Background(), a, &chk, nil)
		results <- ok
	}()
	<-a.entered // the leader is inside the authorizer
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, _ := c.decide(context.Background(), a, &chk, nil)
			results <- ok
		}()
	}
	// Release the leader only once every caller has missed the cache, so
	// that each follower joins the in-flight call (or, if it reaches the
	// call group just after the leader left it, finds the stored result).
	for c.misses.Load() < n {
		runtime.Gosched()
	}
	close(a.gate)
	wg.Wait()
	close(results)
	for ok := range results {
		if !ok {
			t.Fatal("a caller got deny")
		}
	}
	if got := a.calls.Load(); got != 1 {
		t.Errorf("authorizer calls = %d, want exactly 1", got)
	}
	s := c.stats()
	if s.PDPCalls != 1 || s.Coalesced == 0 || s.Coalesced+s.Hits != n-1 {
		t.Errorf("stats %+v: want 1 PDP call and the other callers coalesced or served from the cache", s)
	}
}

func TestCacheCancelledWaiterDoesNotCancelOthers(t *testing.T) {
	c, _ := newTestCache(100)
	a := &countingAuthz{allow: true, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	chk := baseCheck()
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := c.decide(leaderCtx, a, &chk, nil)
		leaderDone <- err
	}()
	<-a.entered
	otherDone := make(chan bool, 1)
	go func() {
		ok, _, err := c.decide(context.Background(), a, &chk, nil)
		otherDone <- ok && err == nil
	}()
	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v, want context.Canceled", err)
	}
	close(a.gate)
	if !<-otherDone {
		t.Fatal("the other caller did not get the shared allow")
	}
	if n := a.calls.Load(); n != 1 {
		t.Errorf("authorizer calls = %d, want 1", n)
	}
}

func TestCacheInvalidateAndPurge(t *testing.T) {
	c, _ := newTestCache(100)
	a := &countingAuthz{allow: true}
	alice, bob := baseCheck(), baseCheck()
	bob.User.Key = "bob"
	ctx := context.Background()
	c.decide(ctx, a, &alice, nil)
	c.decide(ctx, a, &bob, nil)
	c.invalidateUser("alice")
	if _, cached, _ := c.decide(ctx, a, &alice, nil); cached {
		t.Error("alice still cached after InvalidateUser")
	}
	if _, cached, _ := c.decide(ctx, a, &bob, nil); !cached {
		t.Error("bob's entry was dropped by InvalidateUser(alice)")
	}
	c.purge()
	if _, cached, _ := c.decide(ctx, a, &bob, nil); cached {
		t.Error("bob still cached after Purge")
	}
	if s := c.stats(); s.Evictions != 0 {
		t.Errorf("evictions = %d after invalidation and purge, want 0", s.Evictions)
	}
}

func TestCacheBoundedAndEvictionsCounted(t *testing.T) {
	c, _ := newTestCache(10)
	a := &countingAuthz{allow: true}
	for i := 0; i < 25; i++ {
		chk := baseCheck()
		chk.Resource.Attributes["arg_number"] = i
		c.decide(context.Background(), a, &chk, nil)
	}
	s := c.stats()
	if s.Entries != 10 || s.Evictions != 15 {
		t.Errorf("entries %d, evictions %d; want 10 and 15", s.Entries, s.Evictions)
	}
}

func TestCacheDisabled(t *testing.T) {
	c := newDecisionCache(CacheOptions{Size: -1, AllowTTL: time.Minute, DenyTTL: time.Second, PDPTimeout: time.Second})
	a := &countingAuthz{allow: true}
	chk := baseCheck()
	for i := 0; i < 3; i++ {
		c.decide(context.Background(), a, &chk, nil)
	}
	if n := a.calls.Load(); n != 3 {
		t.Errorf("authorizer calls = %d with the cache disabled, want 3", n)
	}
}

func TestCacheBulkUsesOneCallForMisses(t *testing.T) {
	c, _ := newTestCache(1000)
	a := &countingAuthz{allow: true}
	checks := make([]Check, 500)
	for i := range checks {
		checks[i] = baseCheck()
		checks[i].Action = "tool-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	got, err := c.decideBulk(context.Background(), a, checks, nil)
	if err != nil || len(got) != 500 {
		t.Fatalf("decideBulk: %d results, %v", len(got), err)
	}
	if n := a.calls.Load(); n != 1 {
		t.Fatalf("authorizer calls = %d, want 1 bulk call", n)
	}
	// Warm: no call at all; a single new item: one more call.
	c.decideBulk(context.Background(), a, checks, nil)
	checks[7].Action = "new"
	c.decideBulk(context.Background(), a, checks, nil)
	if n := a.calls.Load(); n != 2 {
		t.Errorf("authorizer calls = %d, want 2", n)
	}
}
