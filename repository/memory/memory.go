// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package memory

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// Compile-time checks that Store has every ability of the contract.
var (
	_ repository.Store   = (*Store)(nil)
	_ repository.Taker   = (*Store)(nil)
	_ repository.Creator = (*Store)(nil)
	_ repository.Lister  = (*Store)(nil)
)

// Options configures a [Store]. The zero value (or a nil *Options) is a
// store without a sweeper on the real clock.
type Options struct {
	// SweepInterval, when > 0, starts a goroutine that removes expired
	// records every SweepInterval until [Store.Close]. Zero (the default)
	// means no sweeper: expired records are hidden on read and removed when
	// their key is next written.
	SweepInterval time.Duration

	// Clock returns the current time, which decides expiry. Nil means
	// time.Now. Tests inject a fake clock.
	Clock func() time.Time
}

// Store is an in-memory [repository.Store]. It is safe for concurrent use.
// Create it with [New]; the zero value is not usable.
type Store struct {
	now func() time.Time

	mu sync.RWMutex // guards m
	m  map[string]entry

	stop      chan struct{} // closed by Close; nil without a sweeper
	done      chan struct{} // closed when the sweeper has returned
	closeOnce sync.Once
}

// entry is one record; a zero exp means it never expires.
type entry struct {
	v   []byte
	exp time.Time
}

func (e entry) expired(now time.Time) bool {
	return !e.exp.IsZero() && !now.Before(e.exp)
}

// New returns an empty store. If opts.SweepInterval > 0 it also starts the
// sweeper, which [Store.Close] stops.
func New(opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &Store{now: o.Clock, m: make(map[string]entry)}
	if s.now == nil {
		s.now = time.Now
	}
	if o.SweepInterval > 0 {
		s.stop = make(chan struct{})
		s.done = make(chan struct{})
		go s.sweepLoop(o.SweepInterval)
	}
	return s
}

// Close stops the sweeper, if any, and waits for it to return. The store
// remains usable. Close is idempotent and always returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
	})
	return nil
}

func (s *Store) sweepLoop(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Sweep removes every expired record now and returns how many it removed.
// The sweeper calls it periodically; callers without a sweeper may call it
// themselves.
func (s *Store) Sweep() int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, e := range s.m {
		if e.expired(now) {
			delete(s.m, k)
			n++
		}
	}
	return n
}

// Len returns the number of records held, including expired ones that have
// not been removed yet.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	return nil
}

// expiry turns a ttl into an absolute expiry; ttl <= 0 means never.
func (s *Store) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return s.now().Add(ttl)
}

// Get returns a copy of the record under key, or [repository.ErrNotFound]
// if there is none or it has expired.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	s.mu.RLock()
	e, ok := s.m[key]
	s.mu.RUnlock()
	if !ok || e.expired(now) {
		return nil, repository.ErrNotFound
	}
	return bytes.Clone(e.v), nil
}

// Set stores a copy of value under key. ttl > 0 makes it expire after ttl;
// ttl <= 0 means never.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	e := entry{v: bytes.Clone(value), exp: s.expiry(ttl)}
	s.mu.Lock()
	s.m[key] = e
	s.mu.Unlock()
	return nil
}

// Delete removes key. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// Take atomically returns and removes the record under key. Of several
// concurrent Takes of one key exactly one succeeds; the others, like a Take
// of an absent or expired key, get [repository.ErrNotFound].
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	s.mu.Lock()
	e, ok := s.m[key]
	if ok {
		delete(s.m, key)
	}
	s.mu.Unlock()
	if !ok || e.expired(now) {
		return nil, repository.ErrNotFound
	}
	// The entry left the map, so nobody else holds e.v: no copy needed.
	return e.v, nil
}

// Create stores a copy of value under key if key is absent or expired, and
// returns an error wrapping [repository.ErrConflict] otherwise.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	now := s.now()
	e := entry{v: bytes.Clone(value), exp: s.expiry(ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[key]; ok && !old.expired(now) {
		return repository.ErrConflict
	}
	s.m[key] = e
	return nil
}

// List returns the live keys that start with prefix, in no particular
// order.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var keys []string
	for k, e := range s.m {
		if strings.HasPrefix(k, prefix) && !e.expired(now) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
