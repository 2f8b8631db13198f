// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repository

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned by Get and Take when the key is absent or its record
// has expired. Callers test for it with errors.Is; backends may wrap it.
var ErrNotFound = errors.New("repository: not found")

// ErrConflict is returned by conditional writes, such as [Creator.Create],
// when the stored record is not the one the caller expected.
var ErrConflict = errors.New("repository: conflict")

// ErrUnsupported is returned by [Repository] when the operation needs an
// optional ability ([Taker], [Creator], [Lister]) that its Store lacks. It
// also matches errors.ErrUnsupported.
var ErrUnsupported = fmt.Errorf("repository: operation not supported by the store: %w", errors.ErrUnsupported)

// Store is the contract every backend implements: a key/value store of
// opaque records (the typed layer, [Repository], stores JSON).
//
// Keys may contain any characters; each backend encodes them safely and
// reversibly. Implementations must be safe for concurrent use and must honour
// ctx on every call.
type Store interface {
	// Get returns the record stored under key, or an error wrapping
	// [ErrNotFound] when there is none or it has expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key, replacing any previous record. A ttl > 0
	// makes the record expire after ttl; ttl <= 0 means no expiry.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Taker is an optional ability: atomic read-and-delete, used for single-use
// records such as authorization codes. Of several concurrent Takes of one
// key, exactly one succeeds; the others get [ErrNotFound].
type Taker interface {
	Take(ctx context.Context, key string) ([]byte, error)
}

// Creator is an optional ability: store a record only if key is absent (or
// expired). It returns an error wrapping [ErrConflict] when key exists.
type Creator interface {
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// Lister is an optional ability: list the live keys that start with prefix,
// in no particular order.
type Lister interface {
	List(ctx context.Context, prefix string) ([]string, error)
}
