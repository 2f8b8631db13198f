// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repository

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Repository stores values of type V as JSON records in a [Store]. It is
// safe for concurrent use if its Store is.
//
// Errors from the Store pass through wrapped, so errors.Is(err,
// [ErrNotFound]) and errors.Is(err, [ErrConflict]) keep working. A stored
// record that is not valid JSON for V is an error, never a zero value.
type Repository[V any] struct {
	s Store
}

// New returns a typed repository over s.
func New[V any](s Store) *Repository[V] {
	return &Repository[V]{s: s}
}

// Store returns the underlying store, for example to test it for optional
// abilities.
func (r *Repository[V]) Store() Store { return r.s }

// Get returns the value stored under key. It returns an error wrapping
// [ErrNotFound] when there is none or it has expired.
func (r *Repository[V]) Get(ctx context.Context, key string) (V, error) {
	b, err := r.s.Get(ctx, key)
	if err != nil {
		var zero V
		return zero, err
	}
	return decode[V](b)
}

// Set stores v under key, replacing any previous value. ttl > 0 makes the
// record expire after ttl; ttl <= 0 means no expiry.
func (r *Repository[V]) Set(ctx context.Context, key string, v V, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("repository: encode record: %w", err)
	}
	return r.s.Set(ctx, key, b, ttl)
}

// Delete removes key. Deleting a missing key is not an error.
func (r *Repository[V]) Delete(ctx context.Context, key string) error {
	return r.s.Delete(ctx, key)
}

// Take atomically reads and deletes the value under key: of several
// concurrent Takes, exactly one gets the value and the others get an error
// wrapping [ErrNotFound]. It returns [ErrUnsupported] if the Store is not a
// [Taker].
func (r *Repository[V]) Take(ctx context.Context, key string) (V, error) {
	var zero V
	t, ok := r.s.(Taker)
	if !ok {
		return zero, ErrUnsupported
	}
	b, err := t.Take(ctx, key)
	if err != nil {
		return zero, err
	}
	return decode[V](b)
}

// Create stores v under key only if key is absent or expired; otherwise it
// returns an error wrapping [ErrConflict]. It returns [ErrUnsupported] if
// the Store is not a [Creator].
func (r *Repository[V]) Create(ctx context.Context, key string, v V, ttl time.Duration) error {
	c, ok := r.s.(Creator)
	if !ok {
		return ErrUnsupported
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("repository: encode record: %w", err)
	}
	return c.Create(ctx, key, b, ttl)
}

// List returns the live keys that start with prefix, in no particular
// order. It returns [ErrUnsupported] if the Store is not a [Lister].
func (r *Repository[V]) List(ctx context.Context, prefix string) ([]string, error) {
	l, ok := r.s.(Lister)
	if !ok {
		return nil, ErrUnsupported
	}
	return l.List(ctx, prefix)
}

// decode unmarshals a record; it never returns a zero value without an
// error for a record that is not valid JSON for V.
func decode[V any](b []byte) (V, error) {
	var v V
	if err := json.Unmarshal(b, &v); err != nil {
		var zero V
		return zero, fmt.Errorf("repository: corrupt record: %w", err)
	}
	return v, nil
}
