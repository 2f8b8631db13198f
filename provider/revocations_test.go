// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// newReplica returns a provider on store whose verified-token cache keeps
// entries for an hour, so that only a message can make it forget one.
func newReplica(t *testing.T, store repository.Store, n repository.Notifier) *Provider {
	t.Helper()
	p, err := New(&Options{
		BaseURL:       "https://mcp.example.com",
		Upstream:      UpstreamOptions{Issuer: "https://idp.example.com", ClientID: "c"},
		Store:         store,
		Notifier:      n,
		TokenCacheTTL: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func wantValid(t *testing.T, p *Provider, at, who string) {
	t.Helper()
	if _, err := p.verify(context.Background(), at); err != nil {
		t.Fatalf("%s: verify: %v, want the token accepted", who, err)
	}
}

func wantRefused(t *testing.T, p *Provider, at, who string) {
	t.Helper()
	if _, err := p.verify(context.Background(), at); !errors.Is(err, errInvalidToken) {
		t.Errorf("%s: verify: %v, want errInvalidToken", who, err)
	}
}

// TestRevocationReachesReplicas: a token revoked on one replica is refused
// by another that had cached it as soon as the Notifier's message has been
// handled there, an hour before its cache would have let it go; a replica
// without a Notifier keeps accepting it until its cache TTL.
func TestRevocationReachesReplicas(t *testing.T) {
	store := memory.New(nil)
	bus := memory.NewNotifier()
	t.Cleanup(func() { bus.Close() })
	recB := repositorytest.NewRecorder(bus)
	a := newReplica(t, store, bus)
	b := newReplica(t, store, recB)
	deaf := newReplica(t, store, nil) // memory.Store is no Notifier
	recB.WaitFor(t, NotifyTopic, "", true)

	// An access token revoked through the revocation endpoint's path.
	at, _ := grantToken(t, a)
	wantValid(t, b, at, "b")
	wantValid(t, deaf, at, "the replica without a Notifier")
	if err := a.revoke(context.Background(), "client", at, ""); err != nil {
		t.Fatal(err)
	}
	d := recB.WaitFor(t, NotifyTopic, revokedAccess+" ", false)
	if string(d.Msg) != revokedAccess+" "+hashSecret(at) {
		t.Errorf("message %q, want the token's hash and nothing else", d.Msg)
	}
	wantRefused(t, a, at, "a")
	wantRefused(t, b, at, "b")
	wantValid(t, deaf, at, "the replica without a Notifier (until its cache TTL)")

	// A whole grant, as a refresh-token revocation or reuse revokes it.
	at2, family := grantToken(t, a)
	wantValid(t, b, at2, "b")
	if err := a.revokeFamily(context.Background(), family); err != nil {
		t.Fatal(err)
	}
	recB.WaitFor(t, NotifyTopic, revokedGrant+" "+family, false)
	wantRefused(t, b, at2, "b")
}

// TestStoreIsTheDefaultNotifier: a store that is also a Notifier carries
// the revocations without Options.Notifier.
func TestStoreIsTheDefaultNotifier(t *testing.T) {
	bus := memory.NewNotifier()
	t.Cleanup(func() { bus.Close() })
	rec := repositorytest.NewRecorder(bus)
	store := &notifyingStore{Store: memory.New(nil), Recorder: rec}
	a, b := newReplica(t, store, nil), newReplica(t, store, nil)
	for range 2 {
		rec.WaitFor(t, NotifyTopic, "", true)
	}
	at, _ := grantToken(t, a)
	wantValid(t, b, at, "b")
	if err := a.revoke(context.Background(), "client", at, ""); err != nil {
		t.Fatal(err)
	}
	for range 2 { // both replicas handled it
		rec.WaitFor(t, NotifyTopic, revokedAccess+" ", false)
	}
	wantRefused(t, b, at, "b")
}

// notifyingStore is a memory store that is also a Notifier.
type notifyingStore struct {
	*memory.Store
	*repositorytest.Recorder
}

// TestNotificationsDropTheCache: a gap, or a message from an unknown
// version, empties the cache; a message drops only what it names.
func TestNotificationsDropTheCache(t *testing.T) {
	p := newReplica(t, memory.New(nil), nil)
	at1, fam1 := grantToken(t, p)
	at2, _ := grantToken(t, p)
	for _, at := range []string{at1, at2} {
		wantValid(t, p, at, "p")
	}
	for _, tt := range []struct {
		n    repository.Notification
		want int
	}{
		{repository.Notification{Msg: []byte(revokedGrant + " " + fam1)}, 1},
		{repository.Notification{Msg: []byte(revokedAccess + " nothing-cached")}, 1},
		{repository.Notification{Msg: []byte(revokedAccess + " " + hashSecret(at2))}, 0},
	} {
		p.onNotification(tt.n)
		if got := p.cache.len(); got != tt.want {
			t.Errorf("after %q: %d cached, want %d", tt.n.Msg, got, tt.want)
		}
	}
	for _, n := range []repository.Notification{{Gap: true}, {Msg: []byte("revoke-all v2")}, {Msg: []byte(revokedAccess)}} {
		wantValid(t, p, at2, "p") // cached again (only the cache forgot it)
		p.onNotification(n)
		if got := p.cache.len(); got != 0 {
			t.Errorf("after %+v: %d cached, want 0", n, got)
		}
	}
}

// TestTokenCachePutAfterDrop: a grant read before a drop is not cached
// after it, so a revocation that lands mid-verification is not outlived.
func TestTokenCachePutAfterDrop(t *testing.T) {
	c := newTokenCache(time.Hour, 10, time.Now)
	g := &Grant{Expiry: time.Now().Add(time.Hour), family: "f"}
	for _, drop := range []func(){func() { c.dropFamily("f") }, func() { c.drop("k") }, c.purge} {
		gen := c.generation()
		drop()
		c.put("k", g, gen)
		if _, ok := c.get("k"); ok {
			t.Errorf("a put that a drop overtook was cached")
		}
	}
	c.put("k", g, c.generation())
	if _, ok := c.get("k"); !ok {
		t.Errorf("a put no drop overtook was not cached")
	}
}

// TestRevokingAGrantDeletesItsAccessTokens: verification reads an access
// token's record alone, so revoking the grant deletes the records of every
// access token issued in it, and the list of them.
func TestRevokingAGrantDeletesItsAccessTokens(t *testing.T) {
	p := newReplica(t, memory.New(nil), nil)
	ctx := context.Background()
	at1, family := grantToken(t, p)
	fam := familyOf(t, p, family)
	resp, err := p.mintTokens(ctx, &clientRecord{ClientID: "client"}, []string{"mcp"}, p.resource, family, fam)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := grantToken(t, p)
	if err := p.revokeFamily(ctx, family); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{at1, resp.AccessToken} {
		if _, err := p.store.Get(ctx, keyAccess+hashSecret(at)); !isNotFound(err) {
			t.Errorf("an access token of the revoked grant is still stored: %v", err)
		}
		wantRefused(t, p, at, "p")
	}
	if _, err := p.store.Get(ctx, keyGrantAT+family); !isNotFound(err) {
		t.Errorf("the revoked grant's token list is still stored: %v", err)
	}
	wantValid(t, p, other, "another grant's token")
}

// TestMintRacingRevocation: a revocation that read the grant's token list
// before a new token was on it has written its tombstone by then; the mint
// finds the tombstone, deletes the token it stored and reports the grant
// revoked.
func TestMintRacingRevocation(t *testing.T) {
	p := newReplica(t, memory.New(nil), nil)
	ctx := context.Background()
	_, family := grantToken(t, p)
	fam := familyOf(t, p, family)
	// The revocation's first step, as it lands between the mint's check
	// of the grant and its write of the token.
	if err := setJSON(ctx, p.store, keyRevoked+family, struct{}{}, time.Hour); err != nil {
		t.Fatal(err)
	}
	keys, _ := p.store.(repository.Lister).List(ctx, keyAccess)
	resp, err := p.mintTokens(ctx, &clientRecord{ClientID: "client"}, []string{"mcp"}, p.resource, family, fam)
	if !errors.Is(err, errGrantRevoked) || resp != nil {
		t.Fatalf("mint in a grant being revoked: got %v, %v; want errGrantRevoked", resp, err)
	}
	if after, _ := p.store.(repository.Lister).List(ctx, keyAccess); len(after) != len(keys) {
		t.Errorf("the mint left an access token behind: %d records, had %d", len(after), len(keys))
	}
}

// TestOlderAccessRecords: a record written before access records carried
// their grant's identity is verified through the grant, as before: valid
// while the grant lives, refused once it is revoked (whose deletions do
// not know the record).
func TestOlderAccessRecords(t *testing.T) {
	p := newReplica(t, memory.New(nil), nil)
	p.cache = newTokenCache(0, 1, p.now) // every verification reads the store
	ctx := context.Background()
	_, family := grantToken(t, p)
	at := randomToken(prefixAccess)
	old := &tokenRecord{ClientID: "client", Scopes: []string{"mcp"}, Resource: p.resource, Family: family, ExpiresAt: p.now().Add(time.Hour)}
	if err := setJSON(ctx, p.store, keyAccess+hashSecret(at), old, time.Hour); err != nil {
		t.Fatal(err)
	}
	g, err := p.verify(ctx, at)
	if err != nil || g.Subject != "user" || g.IdentitySource != IdentitySourceCustom {
		t.Fatalf("verify an older record: %+v, %v; want the grant's user", g, err)
	}
	if err := p.revokeFamily(ctx, family); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, p, at, "p")
}
