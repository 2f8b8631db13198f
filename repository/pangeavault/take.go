// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"context"
	"errors"

	"github.com/mcpauth/mcpauth/repository"
)

// TakingStore is a [Store] that is also a [repository.Taker], by "delete
// wins". Get one with [Store.WithTake]; it shares the Store's settings.
type TakingStore struct {
	*Store
}

var _ repository.Taker = (*TakingStore)(nil)

// WithTake returns s with an atomic Take, for the provider's single-use
// records (authorization codes, refresh tokens, pending logins).
//
// Pangea Vault has no compare-and-set, so Take relies on one property of
// the service: of several concurrent deletes of one item id, exactly one
// succeeds and the others get VaultItemNotFound. The double and the
// Pangea API's documented statuses behave so; the live test checks it
// against the real service. Under that assumption, Take is atomic for
// keys that have a single item, which is the case for keys written once
// (codes and tokens are random and stored once; Set never duplicates an
// item after a lost answer). Two concurrent first Sets of one key can
// still leave two items, each of which a Take could consume: do not use
// Take on keys that several writers create concurrently.
//
// Take fails closed: when the delete's outcome is unknown (a transport
// error, or a retry after a 5xx that finds the item gone), the record is
// reported as not taken, so a code may be lost but is never redeemed
// twice.
func (s *Store) WithTake() *TakingStore {
	return &TakingStore{Store: s}
}

// Take returns and deletes the record under key. Of several concurrent
// Takes of one key exactly one succeeds; the others, like a Take of an
// absent or expired key, get an error wrapping [repository.ErrNotFound].
func (t *TakingStore) Take(ctx context.Context, key string) ([]byte, error) {
	s := t.Store
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	items, err := s.lookup(ctx, EncodeName(key))
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, repository.ErrNotFound
	}
	r, err := s.decode(&items[0])
	if err != nil {
		return nil, err
	}
	// The delete is the linearization point: only its Success means this
	// Take consumed the record. No retry on 5xx: a retry that found the
	// item gone could not tell our delete from another Take's.
	err = s.invoke(ctx, "/v2/delete", deleteRequest{ID: items[0].ID}, nil, false)
	if errors.Is(err, ErrItemNotFound) {
		return nil, repository.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	s.deleteItems(ctx, items[1:])
	if r.expired(s.cfg.Clock()) {
		return nil, repository.ErrNotFound
	}
	return r.value, nil
}
