// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/hcvault"
)

// kvWrite describes a KV v2 data write seen by a request callback.
type kvWrite struct {
	tombstone bool
	cas       int // -1 without check-and-set
}

// asKVWrite reports whether r writes KV v2 data, and what.
func asKVWrite(r *api.Request) (kvWrite, bool) {
	body, ok := r.Obj.(map[string]any)
	if !ok || (r.Method != "PUT" && r.Method != "POST") {
		return kvWrite{}, false
	}
	data, ok := body["data"].(map[string]any)
	if !ok {
		return kvWrite{}, false
	}
	w := kvWrite{cas: -1}
	_, w.tombstone = data["tomb"]
	if opts, ok := body["options"].(map[string]any); ok {
		w.cas = opts["cas"].(int)
	}
	return w, true
}

// interleave returns a client that calls fn, once, just before sending the
// first KV write for which match is true: fn runs between the store's read
// and its conditional write.
func interleave(v *testVault, match func(kvWrite) bool, fn func()) *api.Client {
	var once sync.Once
	return v.client.WithRequestCallbacks(func(r *api.Request) {
		if w, ok := asKVWrite(r); ok && match(w) {
			once.Do(fn)
		}
	})
}

// pair returns a store whose client runs fn before the first matching write,
// and a plain store on the same prefix and clock for fn to use.
func pair(t *testing.T, v *testVault, clockNow func() time.Time, match func(kvWrite) bool, fn func(other *hcvault.Store)) (*hcvault.Store, *hcvault.Store) {
	t.Helper()
	prefix := fmt.Sprintf("pair/%d", prefixes.Add(1))
	other := v.newStore(t, hcvault.Options{Prefix: prefix, Clock: clockNow})
	s := v.newStore(t, hcvault.Options{Prefix: prefix, Clock: clockNow, Client: interleave(v, match, func() { fn(other) })})
	return s, other
}

func mustSet(t *testing.T, s *hcvault.Store, key, value string, ttl time.Duration) {
	t.Helper()
	if err := s.Set(t.Context(), key, []byte(value), ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func wantValue(t *testing.T, s *hcvault.Store, key, want string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil || string(got) != want {
		t.Errorf("Get(%q): got %q, %v; want %q", key, got, err, want)
	}
}

func wantAbsent(t *testing.T, s *hcvault.Store, key string) {
	t.Helper()
	if got, err := s.Get(t.Context(), key); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get(%q): got %q, %v; want ErrNotFound", key, got, err)
	}
}

// secretExists reports whether Vault still holds metadata for key.
func secretExists(t *testing.T, v *testVault, s *hcvault.Store, key string) bool {
	t.Helper()
	_, err := v.client.KVv2(kvMount).GetMetadata(t.Context(), s.SecretPath(key))
	if errors.Is(err, api.ErrSecretNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("GetMetadata: %v", err)
	}
	return true
}

func TestCheckAndSetInterleavings(t *testing.T) {
	v := startVault(t)
	const key = "code/1"

	t.Run("Take retries on a Set that lands before its tombstone", func(t *testing.T) {
		clock := newClock()
		s, other := pair(t, v, clock.Now, func(w kvWrite) bool { return w.tombstone },
			func(other *hcvault.Store) { mustSet(t, other, key, "second", 0) })
		mustSet(t, s, key, "first", 0)
		got, err := s.Take(t.Context(), key)
		if err != nil || string(got) != "second" {
			t.Errorf("Take: got %q, %v; want %q, the record written after its first read", got, err, "second")
		}
		wantAbsent(t, other, key)
		if secretExists(t, v, s, key) {
			t.Errorf("the secret is still in Vault after Take")
		}
	})

	t.Run("Take loses to a Take that lands before its tombstone", func(t *testing.T) {
		clock := newClock()
		var otherGot []byte
		var otherErr error
		s, other := pair(t, v, clock.Now, func(w kvWrite) bool { return w.tombstone },
			func(other *hcvault.Store) { otherGot, otherErr = other.Take(t.Context(), key) })
		mustSet(t, s, key, "once", 0)
		got, err := s.Take(t.Context(), key)
		if !errors.Is(err, repository.ErrNotFound) || got != nil {
			t.Errorf("the slower Take: got %q, %v; want ErrNotFound", got, err)
		}
		if otherErr != nil || string(otherGot) != "once" {
			t.Errorf("the faster Take: got %q, %v; want %q", otherGot, otherErr, "once")
		}
		wantAbsent(t, other, key)
	})

	t.Run("Create loses to a Set that lands before its write", func(t *testing.T) {
		clock := newClock()
		s, other := pair(t, v, clock.Now, func(w kvWrite) bool { return w.cas == 0 },
			func(other *hcvault.Store) { mustSet(t, other, key, "other", 0) })
		if err := s.Create(t.Context(), key, []byte("mine"), 0); !errors.Is(err, repository.ErrConflict) {
			t.Errorf("Create: got %v, want ErrConflict", err)
		}
		wantValue(t, other, key, "other")
	})

	t.Run("Create over an expired record loses to a Set after its read", func(t *testing.T) {
		clock := newClock()
		s, other := pair(t, v, clock.Now, func(w kvWrite) bool { return w.cas > 0 && !w.tombstone },
			func(other *hcvault.Store) { mustSet(t, other, key, "fresh", 0) })
		mustSet(t, other, key, "old", time.Second)
		clock.Advance(2 * time.Second)
		if err := s.Create(t.Context(), key, []byte("mine"), 0); !errors.Is(err, repository.ErrConflict) {
			t.Errorf("Create: got %v, want ErrConflict", err)
		}
		wantValue(t, other, key, "fresh")
	})

	t.Run("Create replaces an expired record", func(t *testing.T) {
		clock := newClock()
		s := v.newStore(t, hcvault.Options{Clock: clock.Now})
		mustSet(t, s, key, "old", time.Second)
		clock.Advance(2 * time.Second)
		if err := s.Create(t.Context(), key, []byte("mine"), 0); err != nil {
			t.Errorf("Create over an expired record: %v", err)
		}
		wantValue(t, s, key, "mine")
	})

	t.Run("expiry clean-up keeps a record rewritten after the read", func(t *testing.T) {
		clock := newClock()
		s, other := pair(t, v, clock.Now, func(w kvWrite) bool { return w.tombstone },
			func(other *hcvault.Store) { mustSet(t, other, key, "fresh", 0) })
		mustSet(t, other, key, "old", time.Second)
		clock.Advance(2 * time.Second)
		wantAbsent(t, s, key) // read the expired record; the Set lands before the clean-up
		wantValue(t, s, key, "fresh")
	})

	t.Run("expired read removes the secret", func(t *testing.T) {
		clock := newClock()
		s := v.newStore(t, hcvault.Options{Clock: clock.Now})
		mustSet(t, s, key, "old", time.Second)
		clock.Advance(time.Second)
		wantAbsent(t, s, key)
		if secretExists(t, v, s, key) {
			t.Errorf("the expired secret is still in Vault after the read")
		}
	})
}

func TestTakeAndDeleteRemoveEveryVersion(t *testing.T) {
	v := startVault(t)
	s := v.newStore(t, hcvault.Options{})
	ctx := t.Context()
	for _, k := range []string{"taken", "deleted"} {
		for i := range 3 {
			mustSet(t, s, k, fmt.Sprintf("%s-%d", k, i), 0)
		}
	}
	if got, err := s.Take(ctx, "taken"); err != nil || string(got) != "taken-2" {
		t.Errorf("Take: got %q, %v; want %q", got, err, "taken-2")
	}
	if err := s.Delete(ctx, "deleted"); err != nil {
		t.Errorf("Delete: %v", err)
	}
	for _, k := range []string{"taken", "deleted"} {
		if secretExists(t, v, s, k) {
			t.Errorf("%q: Vault still holds the secret's metadata and versions", k)
		}
		if _, err := v.client.KVv2(kvMount).GetVersion(ctx, s.SecretPath(k), 1); !errors.Is(err, api.ErrSecretNotFound) {
			t.Errorf("%q: version 1 is still readable: %v", k, err)
		}
	}
}

// TestTakeAcrossStores races Takes from two stores with their own clients,
// as two replicas would: exactly one gets the value.
func TestTakeAcrossStores(t *testing.T) {
	v := startVault(t)
	stores := []*hcvault.Store{
		v.newStore(t, hcvault.Options{Prefix: "shared", Client: v.newClient(t, v.root)}),
		v.newStore(t, hcvault.Options{Prefix: "shared", Client: v.newClient(t, v.root)}),
	}
	for round := range 5 {
		key := fmt.Sprintf("code/%d", round)
		mustSet(t, stores[0], key, key, time.Minute)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex // guards winners, errs
			winners int
			errs    []error
		)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got, err := stores[i%2].Take(t.Context(), key)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && string(got) == key:
					winners++
				case !errors.Is(err, repository.ErrNotFound):
					errs = append(errs, fmt.Errorf("got %q, %v", got, err))
				}
			}()
		}
		close(start)
		wg.Wait()
		if winners != 1 {
			t.Errorf("round %d: %d Takes got the value, want exactly 1", round, winners)
		}
		for _, err := range errs {
			t.Errorf("round %d: a losing Take: %v, want ErrNotFound", round, err)
		}
	}
}

// TestTakeWithoutDeletePermission: when the winner of a Take may not delete
// the secret, the Take still succeeds, the tombstone reads as absent, and a
// sweep with a full token removes it.
func TestTakeWithoutDeletePermission(t *testing.T) {
	v := startVault(t)
	ctx := t.Context()
	const policy = `path "kv2/data/nodelete/*" { capabilities = ["create", "read", "update"] }`
	if err := v.client.Sys().PutPolicyWithContext(ctx, "no-delete", policy); err != nil {
		t.Fatal(err)
	}
	tok, err := v.client.Auth().Token().CreateWithContext(ctx, &api.TokenCreateRequest{Policies: []string{"no-delete"}, NoDefaultPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := newClock()
	limited := v.newStore(t, hcvault.Options{Prefix: "nodelete", Clock: clock.Now, Client: v.newClient(t, tok.Auth.ClientToken)})
	full := v.newStore(t, hcvault.Options{Prefix: "nodelete", Clock: clock.Now})

	mustSet(t, limited, "code", "c", time.Minute)
	if got, err := limited.Take(ctx, "code"); err != nil || string(got) != "c" {
		t.Fatalf("Take: got %q, %v; want %q", got, err, "c")
	}
	if _, err := limited.Take(ctx, "code"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("second Take: got %v, want ErrNotFound", err)
	}
	wantAbsent(t, limited, "code")
	if !secretExists(t, v, full, "code") {
		t.Fatal("the tombstone is not in Vault: the test does not exercise a failed clean-up")
	}
	if keys, err := full.List(ctx, ""); err != nil || len(keys) != 0 {
		t.Errorf("List: got %q, %v; want no keys", keys, err)
	}
	if n, err := full.Sweep(ctx); n != 1 || err != nil {
		t.Errorf("Sweep: removed %d, %v; want 1, nil", n, err)
	}
	if secretExists(t, v, full, "code") {
		t.Errorf("the tombstone is still in Vault after Sweep")
	}
	if err := limited.Create(ctx, "code", []byte("again"), 0); err != nil {
		t.Errorf("Create after the sweep: %v", err)
	}
}

// listSecrets returns the names Vault lists under the store's prefix.
func listSecrets(t *testing.T, v *testVault, prefix string) []string {
	t.Helper()
	sec, err := v.client.Logical().ListWithContext(t.Context(), kvMount+"/metadata/"+prefix)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	if sec != nil {
		for _, k := range sec.Data["keys"].([]any) {
			names = append(names, k.(string))
		}
	}
	sort.Strings(names)
	return names
}

func TestSweep(t *testing.T) {
	v := startVault(t)
	ctx := t.Context()
	clock := newClock()
	s := v.newStore(t, hcvault.Options{Prefix: "sweep", Clock: clock.Now})
	kv := v.client.KVv2(kvMount)

	mustSet(t, s, "live", "l", 0)
	mustSet(t, s, "long", "l", time.Hour)
	mustSet(t, s, "short/1", "s", time.Second)
	mustSet(t, s, "short/2", "s", time.Second)
	mustSet(t, s, "soft-deleted", "d", 0)
	if err := kv.Delete(ctx, s.SecretPath("soft-deleted")); err != nil { // KV v2 soft delete
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, s.SecretPath("tombstone"), map[string]any{"tomb": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "sweep/not-ours", map[string]any{"x": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "sweep/sub/kYQ", map[string]any{"v": []string{""}, "n": 0, "exp": "1"}); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, s, "soft-deleted")
	clock.Advance(2 * time.Second)

	n, err := s.Sweep(ctx)
	if n != 4 || err != nil {
		t.Errorf("Sweep: removed %d, %v; want 4, nil", n, err)
	}
	want := []string{s.SecretPath("live")[len("sweep/"):], s.SecretPath("long")[len("sweep/"):], "not-ours", "sub/"}
	sort.Strings(want)
	if got := listSecrets(t, v, "sweep"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after Sweep, Vault holds %q, want %q", got, want)
	}
	wantValue(t, s, "live", "l")
	wantValue(t, s, "long", "l")
	if n, err := s.Sweep(ctx); n != 0 || err != nil {
		t.Errorf("second Sweep: removed %d, %v; want 0, nil", n, err)
	}
}

// sweepSignal is a slog handler that reports the sweeper's "sweep done"
// records that removed something.
type sweepSignal struct {
	removed chan int64
}

func (h sweepSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h sweepSignal) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h sweepSignal) WithGroup(string) slog.Handler            { return h }
func (h sweepSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "hcvault: sweep done" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "removed" && a.Value.Int64() > 0 {
			select {
			case h.removed <- a.Value.Int64():
			default:
			}
		}
		return true
	})
	return nil
}

func TestSweeper(t *testing.T) {
	v := startVault(t)
	clock := newClock()
	sig := sweepSignal{removed: make(chan int64, 1)}
	s := v.newStore(t, hcvault.Options{Prefix: "sweeper", Clock: clock.Now, SweepInterval: time.Millisecond, Logger: slog.New(sig)})
	mustSet(t, s, "short", "s", time.Second)
	mustSet(t, s, "live", "l", 0)
	clock.Advance(time.Minute)
	if n := <-sig.removed; n != 1 {
		t.Errorf("the sweeper removed %d records, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got, want := listSecrets(t, v, "sweeper"), []string{s.SecretPath("live")[len("sweeper/"):]}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the sweep, Vault holds %q, want %q", got, want)
	}
}

// TestTakeMeetsASeal seals Vault at each step of a Take: before the
// tombstone, the Take fails and the record survives; after the tombstone
// (before the clean-up), the Take has happened and returns the value, and
// the record stays taken.
func TestTakeMeetsASeal(t *testing.T) {
	tests := []struct {
		name      string
		sealOn    func(r *api.Request) bool
		wantTaken bool
	}{
		{
			name: "before the tombstone",
			sealOn: func(r *api.Request) bool {
				w, ok := asKVWrite(r)
				return ok && w.tombstone
			},
		},
		{
			name:      "before the clean-up",
			sealOn:    func(r *api.Request) bool { return r.Method == "DELETE" },
			wantTaken: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := startVault(t)
			var once sync.Once
			client := v.client.WithRequestCallbacks(func(r *api.Request) {
				if tt.sealOn(r) {
					once.Do(func() { v.seal(t) })
				}
			})
			s := v.newStore(t, hcvault.Options{Prefix: "seal", Client: client})
			plain := v.newStore(t, hcvault.Options{Prefix: "seal"})
			mustSet(t, plain, "code", "c", time.Minute)

			got, err := s.Take(t.Context(), "code")
			if tt.wantTaken {
				if err != nil || string(got) != "c" {
					t.Errorf("Take: got %q, %v; want %q (the tombstone was written)", got, err, "c")
				}
			} else {
				checkRefused(t, "Take", err, hcvault.ErrSealed)
				if got != nil {
					t.Errorf("a failed Take returned %q", got)
				}
			}
			v.unseal(t)
			if tt.wantTaken {
				wantAbsent(t, plain, "code")
				if n, err := plain.Sweep(t.Context()); n != 1 || err != nil {
					t.Errorf("Sweep: removed %d, %v; want the tombstone removed", n, err)
				}
			} else {
				wantValue(t, plain, "code", "c")
			}
		})
	}
}
