// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/hcvault"
)

// op is one store call, for tests that try every operation.
type op struct {
	name string
	call func(ctx context.Context, s *hcvault.Store) error
}

// everyOp returns one call of each Store method on key.
func everyOp(key string) []op {
	return []op{
		{"Get", func(ctx context.Context, s *hcvault.Store) error {
			v, err := s.Get(ctx, key)
			if err == nil && v == nil {
				return errors.New("Get returned no value and no error")
			}
			return err
		}},
		{"Set", func(ctx context.Context, s *hcvault.Store) error { return s.Set(ctx, key, []byte("new"), 0) }},
		{"Delete", func(ctx context.Context, s *hcvault.Store) error { return s.Delete(ctx, key) }},
		{"Take", func(ctx context.Context, s *hcvault.Store) error { _, err := s.Take(ctx, key); return err }},
		{"Create", func(ctx context.Context, s *hcvault.Store) error { return s.Create(ctx, key+"-new", []byte("c"), 0) }},
		{"List", func(ctx context.Context, s *hcvault.Store) error { _, err := s.List(ctx, ""); return err }},
		{"Sweep", func(ctx context.Context, s *hcvault.Store) error { _, err := s.Sweep(ctx); return err }},
	}
}

// checkRefused fails unless err is an error wrapping want and not
// repository.ErrNotFound, and its message holds neither the token nor the
// key (plain or encoded).
func checkRefused(t *testing.T, what string, err, want error, secrets ...string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: got success, want an error wrapping %v", what, want)
		return
	case errors.Is(err, repository.ErrNotFound):
		t.Errorf("%s: got %v, which claims the key is absent; want an error wrapping %v", what, err, want)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: got %v, want an error wrapping %v", what, err, want)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q contains %q", what, err, s)
		}
	}
}

// TestSealedMidRun seals Vault through its API while writers and readers
// run: every call that starts after the seal fails with ErrSealed, and after
// unsealing the data is intact.
func TestSealedMidRun(t *testing.T) {
	v := startVault(t)
	s := v.newStore(t, hcvault.Options{})
	ctx := t.Context()
	const key = "code/sealed"
	if err := s.Set(ctx, key, []byte("before"), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}

	var (
		sealed    atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex // guards failures
		failures  []string
		refusals  atomic.Int64
		afterSeal = make(chan struct{})
	)
	const workers, callsAfterSeal = 4, 5
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("worker/%d", w)
			for i, n := 0, 0; n < callsAfterSeal; i++ {
				started := sealed.Load()
				var err error
				if i%2 == 0 {
					err = s.Set(ctx, own, fmt.Appendf(nil, "%s|%d", own, i), 0)
				} else {
					_, err = s.Get(ctx, own)
				}
				if !started {
					if i == 20 {
						<-afterSeal // the seal is slow to come: wait for it
					}
					continue
				}
				n++
				mu.Lock()
				switch {
				case err == nil:
					failures = append(failures, fmt.Sprintf("worker %d call %d after the seal succeeded", w, i))
				case !errors.Is(err, hcvault.ErrSealed):
					failures = append(failures, fmt.Sprintf("worker %d call %d after the seal: got %v, want ErrSealed", w, i, err))
				default:
					refusals.Add(1)
				}
				mu.Unlock()
			}
		}()
	}
	v.seal(t)
	sealed.Store(true)
	close(afterSeal)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if got, want := refusals.Load(), int64(workers*callsAfterSeal); got != want {
		t.Errorf("%d calls after the seal were refused with ErrSealed, want %d", got, want)
	}

	for _, o := range everyOp(key) {
		checkRefused(t, o.name+" while sealed", o.call(ctx, s), hcvault.ErrSealed, v.root, key, s.SecretPath(key))
	}

	v.unseal(t)
	got, err := s.Get(ctx, key)
	if err != nil || string(got) != "before" {
		t.Errorf("Get after unsealing: got %q, %v; want %q", got, err, "before")
	}
	for w := range workers {
		own := fmt.Sprintf("worker/%d", w)
		got, err := s.Get(ctx, own)
		if err != nil && !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("Get(%q) after unsealing: %v", own, err)
		} else if err == nil && !bytes.HasPrefix(got, []byte(own+"|")) {
			t.Errorf("Get(%q) after unsealing = %q, a value never written", own, got)
		}
	}
}

// TestListenerClosedMidRun kills Vault's listener and its open connections
// while the store is in use: every later call fails (none claims the key is
// absent, none succeeds).
func TestListenerClosedMidRun(t *testing.T) {
	v := startVault(t)
	s := v.newStore(t, hcvault.Options{})
	ctx := t.Context()
	const key = "code/gone"
	for i := range 10 { // warm the connection pool
		if err := s.Set(ctx, key, fmt.Appendf(nil, "v%d", i), 0); err != nil {
			t.Fatalf("Set: %v", err)
		}
		if _, err := s.Get(ctx, key); err != nil {
			t.Fatalf("Get: %v", err)
		}
	}
	v.ln.kill()
	for _, o := range everyOp(key) {
		checkRefused(t, o.name+" after the listener closed", o.call(ctx, s), nil, v.root, key, s.SecretPath(key))
	}
}

// TestMalformedRecords writes secrets that are not complete records under
// the store's paths with the plain api client: none is ever returned as a
// value, and Sweep and List leave them alone.
func TestMalformedRecords(t *testing.T) {
	v := startVault(t)
	clock := newClock()
	s := v.newStore(t, hcvault.Options{Clock: clock.Now})
	ctx := t.Context()
	kv := v.client.KVv2(kvMount)
	tests := []struct {
		name string
		data map[string]any
	}{
		{"foreign secret", map[string]any{"password": "hunter2"}},
		{"value only", map[string]any{"v": []string{"aGVsbG8="}}},
		{"expiry missing", map[string]any{"v": []string{"aGVsbG8="}, "n": 5}},
		{"truncated value", map[string]any{"v": []string{"aGVs"}, "n": 5, "exp": "0"}},
		{"value cut mid-quantum", map[string]any{"v": []string{"aGVsbG"}, "n": 5, "exp": "0"}},
		{"raw JSON value", map[string]any{"v": map[string]any{"a": 1}, "n": 7, "exp": "0"}},
		{"expiry as a number", map[string]any{"v": []string{"aGVsbG8="}, "n": 5, "exp": 0}},
		{"tombstone false", map[string]any{"tomb": false}},
		{"old plain-string value", map[string]any{"v": "aGVsbG8=", "n": 5, "exp": "0"}},
		{"extra field", map[string]any{"v": []string{"aGVsbG8="}, "n": 5, "exp": "0", "x": 1}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("bad/%d", i)
			if _, err := kv.Put(ctx, s.SecretPath(key), tt.data); err != nil {
				t.Fatalf("writing the secret directly: %v", err)
			}
			got, err := s.Get(ctx, key)
			if !errors.Is(err, hcvault.ErrMalformedRecord) {
				t.Errorf("Get: got %q, %v; want ErrMalformedRecord", got, err)
			}
			if got != nil {
				t.Errorf("Get returned a value %q for a malformed record", got)
			}
			taken, err := s.Take(ctx, key)
			if !errors.Is(err, hcvault.ErrMalformedRecord) || taken != nil {
				t.Errorf("Take: got %q, %v; want no value and ErrMalformedRecord", taken, err)
			}
			if err := s.Create(ctx, key, []byte("c"), 0); !errors.Is(err, hcvault.ErrMalformedRecord) {
				t.Errorf("Create over a malformed record: got %v, want ErrMalformedRecord", err)
			}
		})
	}
	if err := s.Set(ctx, "good", []byte("g"), 0); err != nil {
		t.Fatal(err)
	}
	keys, err := s.List(ctx, "")
	if err != nil || len(keys) != 1 || keys[0] != "good" {
		t.Errorf("List: got %q, %v; want only %q", keys, err, "good")
	}
	clock.Advance(24 * time.Hour)
	if n, err := s.Sweep(ctx); n != 0 || err != nil {
		t.Errorf("Sweep: removed %d, %v; want 0, nil", n, err)
	}
	for i := range tests {
		if _, err := kv.Get(ctx, s.SecretPath(fmt.Sprintf("bad/%d", i))); err != nil {
			t.Errorf("the foreign secret bad/%d is gone after Sweep: %v", i, err)
		}
	}
	// Overwriting with Set and Delete still work on such keys.
	if err := s.Set(ctx, "bad/0", []byte("fixed"), 0); err != nil {
		t.Fatalf("Set over a malformed record: %v", err)
	}
	if got, err := s.Get(ctx, "bad/0"); err != nil || string(got) != "fixed" {
		t.Errorf("Get after Set: got %q, %v; want %q", got, err, "fixed")
	}
	if err := s.Delete(ctx, "bad/1"); err != nil {
		t.Errorf("Delete of a malformed record: %v", err)
	}
}

// TestRecordInVault checks what a Set leaves in Vault: one secret at
// SecretPath whose data is the documented record, with the expiry exact to
// the nanosecond.
func TestRecordInVault(t *testing.T) {
	v := startVault(t)
	clock := newClock()
	clock.Advance(123456789 * time.Nanosecond)
	s := v.newStore(t, hcvault.Options{Clock: clock.Now, Prefix: "apps/auth"})
	ctx := t.Context()
	const key = "a/../b c+="
	if err := s.Set(ctx, key, []byte(`{"x":1}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, want := s.SecretPath(key), "apps/auth/kYS8uLi9iIGMrPQ"; got != want {
		t.Errorf("SecretPath: got %q, want %q", got, want)
	}
	sec, err := v.client.KVv2(kvMount).Get(ctx, s.SecretPath(key))
	if err != nil {
		t.Fatalf("reading the secret directly: %v", err)
	}
	want := map[string]string{
		"v":   "[eyJ4IjoxfQ==]",
		"n":   "7",
		"exp": fmt.Sprint(clock.Now().Add(time.Hour).UnixNano()),
	}
	got := map[string]string{}
	for k, val := range sec.Data {
		got[k] = fmt.Sprint(val)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("secret data: got %v, want %v", got, want)
	}
	list, err := v.client.Logical().ListWithContext(ctx, kvMount+"/metadata/apps/auth")
	if err != nil || list == nil {
		t.Fatalf("listing the prefix: %v", err)
	}
	if got := fmt.Sprint(list.Data["keys"]); got != "[kYS8uLi9iIGMrPQ]" {
		t.Errorf("secrets under the prefix: got %s, want exactly one", got)
	}
}

// TestPermissionDenied uses a token whose policy allows reading the records
// only: reads work, every write fails with ErrPermissionDenied and changes
// nothing. An invalid token is refused the same way.
func TestPermissionDenied(t *testing.T) {
	v := startVault(t)
	ctx := t.Context()
	root := v.newStore(t, hcvault.Options{Prefix: "ro"})
	const policy = `path "kv2/data/ro/*" { capabilities = ["read"] }`
	if err := v.client.Sys().PutPolicyWithContext(ctx, "read-only", policy); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	tok, err := v.client.Auth().Token().CreateWithContext(ctx, &api.TokenCreateRequest{Policies: []string{"read-only"}, NoDefaultPolicy: true})
	if err != nil {
		t.Fatalf("creating the token: %v", err)
	}
	roToken := tok.Auth.ClientToken
	ro := v.newStore(t, hcvault.Options{Prefix: "ro", Client: v.newClient(t, roToken)})

	const key = "client/1"
	if err := root.Set(ctx, key, []byte("registered"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := ro.Get(ctx, key); err != nil || string(got) != "registered" {
		t.Errorf("Get with the read-only token: got %q, %v; want %q", got, err, "registered")
	}
	if _, err := ro.Get(ctx, "absent"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get(absent) with the read-only token: got %v, want ErrNotFound", err)
	}
	writes := []op{
		{"Set", func(ctx context.Context, s *hcvault.Store) error { return s.Set(ctx, key, []byte("changed"), 0) }},
		{"Delete", func(ctx context.Context, s *hcvault.Store) error { return s.Delete(ctx, key) }},
		{"Take", func(ctx context.Context, s *hcvault.Store) error { _, err := s.Take(ctx, key); return err }},
		{"Create", func(ctx context.Context, s *hcvault.Store) error { return s.Create(ctx, "client/2", []byte("c"), 0) }},
		{"List", func(ctx context.Context, s *hcvault.Store) error { _, err := s.List(ctx, ""); return err }},
		{"Sweep", func(ctx context.Context, s *hcvault.Store) error { _, err := s.Sweep(ctx); return err }},
	}
	for _, o := range writes {
		checkRefused(t, o.name+" with the read-only token", o.call(ctx, ro), hcvault.ErrPermissionDenied, roToken, key, ro.SecretPath(key))
	}
	if got, err := root.Get(ctx, key); err != nil || string(got) != "registered" {
		t.Errorf("after the refused writes: got %q, %v; want %q", got, err, "registered")
	}
	if _, err := root.Get(ctx, "client/2"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("the refused Create left a record: %v", err)
	}

	const bogus = "hvs.not-a-real-token"
	bad := v.newStore(t, hcvault.Options{Prefix: "ro", Client: v.newClient(t, bogus)})
	for _, o := range everyOp(key) {
		checkRefused(t, o.name+" with an invalid token", o.call(ctx, bad), hcvault.ErrPermissionDenied, bogus, key, bad.SecretPath(key))
	}
}

// TestMissingMount points a store at a mount that does not exist, and at a
// KV version 1 mount: every call fails with ErrMountNotFound (a Get does not
// claim the key is absent).
func TestMissingMount(t *testing.T) {
	v := startVault(t)
	ctx := t.Context()
	const key = "client/1"
	missing := v.newStore(t, hcvault.Options{Mount: "nope"})
	for _, o := range everyOp(key) {
		checkRefused(t, o.name+" on a missing mount", o.call(ctx, missing), hcvault.ErrMountNotFound, v.root, key, missing.SecretPath(key))
	}

	// The test core mounts "secret/" as KV version 1.
	v1 := v.newStore(t, hcvault.Options{Mount: "secret"})
	checkRefused(t, "Set on a KV v1 mount", v1.Set(ctx, key, []byte("x"), 0), hcvault.ErrMountNotFound)
	checkRefused(t, "Create on a KV v1 mount", v1.Create(ctx, key, []byte("x"), 0), hcvault.ErrMountNotFound)
	// What a KV v1 engine holds at the path a KV v2 read would use.
	if _, err := v.client.Logical().WriteWithContext(ctx, "secret/data/"+v1.SecretPath(key), map[string]any{"data": map[string]any{"v": []string{"eA=="}, "n": 1, "exp": "0"}}); err != nil {
		t.Fatalf("writing to the KV v1 mount: %v", err)
	}
	got, err := v1.Get(ctx, key)
	checkRefused(t, "Get on a KV v1 mount", err, hcvault.ErrMountNotFound)
	if got != nil {
		t.Errorf("Get on a KV v1 mount returned %q", got)
	}
}
