// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/repository"
)

// Compile-time checks: a Store is a repository.Store and a Lister. It is
// deliberately not a Taker or a Creator (see the package doc).
var (
	_ repository.Store  = (*Store)(nil)
	_ repository.Lister = (*Store)(nil)
)

// pageSize is the get_bulk page size when all matches are needed.
const pageSize = 100

// Store is a [repository.Store] in Pangea Vault. It is safe for concurrent
// use. Create it with [New].
type Store struct {
	cfg *config

	stopSweep context.CancelFunc // nil without a sweeper
	swept     chan struct{}      // closed when the sweeper has returned
	closeOnce sync.Once
}

// New returns a Store. It validates opts but makes no network call (the
// sweeper, if enabled, first sweeps one SweepInterval later).
func New(opts *Options) (*Store, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg}
	if cfg.SweepInterval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopSweep, s.swept = cancel, make(chan struct{})
		go s.sweepLoop(ctx)
	}
	return s, nil
}

// Close stops the sweeper, if any, and waits for it to return. The store
// remains usable. Close is idempotent and always returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stopSweep != nil {
			s.stopSweep()
			<-s.swept
		}
	})
	return nil
}

func (s *Store) sweepLoop(ctx context.Context) {
	defer close(s.swept)
	for {
		if err := s.cfg.Sleep(ctx, s.cfg.SweepInterval); err != nil {
			return
		}
		n, err := s.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "pangeavault: sweep failed", slog.Int("deleted", n), slog.String("error", err.Error()))
		default:
			s.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "pangeavault: swept", slog.Int("deleted", n))
		}
	}
}

// item is a Vault item as get_bulk, store and rotate return it.
type item struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Name         string `json:"name"`
	Folder       string `json:"folder"`
	CreatedAt    string `json:"created_at"`
	ItemVersions []struct {
		Version   int     `json:"version"`
		State     string  `json:"state"`
		CreatedAt string  `json:"created_at"`
		Secret    *string `json:"secret"`
	} `json:"item_versions"`
}

// newest returns the index of the item's highest version, or -1. The
// reference says get_bulk returns only the latest version; picking the
// highest number also holds if it ever returns more, in any order.
func (it *item) newest() int {
	best := -1
	for i, v := range it.ItemVersions {
		if best < 0 || v.Version > it.ItemVersions[best].Version {
			best = i
		}
	}
	return best
}

// writtenAt is when the item's newest version was written.
func (it *item) writtenAt() string {
	if i := it.newest(); i >= 0 {
		return it.ItemVersions[i].CreatedAt
	}
	return it.CreatedAt
}

// secret returns the newest version's secret.
func (it *item) secret() (string, bool) {
	i := it.newest()
	if i < 0 || it.ItemVersions[i].Secret == nil {
		return "", false
	}
	return *it.ItemVersions[i].Secret, true
}

// sameFolder compares folders ignoring leading and trailing slashes, in
// case the service normalizes "a/b" to "/a/b".
func sameFolder(a, b string) bool {
	return strings.Trim(a, "/") == strings.Trim(b, "/")
}

type filter struct {
	Type   string `json:"type"`
	Name   string `json:"name,omitempty"`
	Folder string `json:"folder,omitempty"`
}

type getBulkRequest struct {
	Filter filter `json:"filter"`
	Size   int    `json:"size"`
	Last   string `json:"last,omitempty"`
}

type getBulkResult struct {
	Items []item `json:"items"`
	Last  string `json:"last"`
}

// lookup returns every item named name (in the folder), newest first. The
// first request is the reference's get_bulk with size 1; only when it
// reports more matches (duplicates) does lookup page through the rest.
func (s *Store) lookup(ctx context.Context, name string) ([]item, error) {
	req := getBulkRequest{Filter: filter{Type: "secret", Name: name, Folder: s.cfg.Folder}, Size: 1}
	var items []item
	for {
		var res getBulkResult
		if err := s.call(ctx, "/v2/get_bulk", req, &res); err != nil {
			return nil, err
		}
		for _, it := range res.Items {
			if it.Name == name && it.Type == "secret" && (s.cfg.Folder == "" || sameFolder(it.Folder, s.cfg.Folder)) {
				items = append(items, it)
			}
		}
		if res.Last == "" || len(res.Items) == 0 {
			break
		}
		req.Last, req.Size = res.Last, pageSize
	}
	sortNewestFirst(items)
	return items, nil
}

// sortNewestFirst orders duplicates deterministically: the most recently
// written first (Pangea's timestamps), ties broken by id.
func sortNewestFirst(items []item) {
	slices.SortStableFunc(items, func(a, b item) int {
		ta, ea := time.Parse(time.RFC3339Nano, a.writtenAt())
		tb, eb := time.Parse(time.RFC3339Nano, b.writtenAt())
		if ea == nil && eb == nil && !ta.Equal(tb) {
			return tb.Compare(ta)
		}
		if ea != nil || eb != nil {
			if c := strings.Compare(b.writtenAt(), a.writtenAt()); c != 0 {
				return c
			}
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pangeavault: %w", err)
	}
	return nil
}

// Get returns the record under key, or an error wrapping
// [repository.ErrNotFound] when there is none or it has expired. Of
// duplicate items, the most recently written wins.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
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
	if r.expired(s.cfg.Clock()) {
		return nil, repository.ErrNotFound
	}
	return r.value, nil
}

func (s *Store) decode(it *item) (record, error) {
	secret, ok := it.secret()
	if !ok {
		return record{}, fmt.Errorf("%w: item %s has no secret", ErrCorruptRecord, it.ID)
	}
	r, err := decodeRecord(secret)
	if err != nil {
		return record{}, fmt.Errorf("%w: item %s: %v", ErrCorruptRecord, it.ID, err)
	}
	return r, nil
}

type storeRequest struct {
	Type   string `json:"type"`
	Secret string `json:"secret"`
	Name   string `json:"name"`
	Folder string `json:"folder,omitempty"`
}

type rotateRequest struct {
	ID            string `json:"id"`
	Secret        string `json:"secret"`
	RotationState string `json:"rotation_state"`
}

type deleteRequest struct {
	ID        string `json:"id"`
	Recursive bool   `json:"recursive"`
}

// Set stores value under key: secret/store when the key is new,
// secret/rotate of the newest item otherwise (then duplicates are
// deleted). ttl > 0 makes it expire after ttl; ttl <= 0 means never.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	var exp time.Time
	if ttl > 0 {
		exp = s.cfg.Clock().Add(ttl)
	}
	secret := encodeRecord(value, exp)
	if n := utf8.RuneCountInString(secret); n > MaxSecretLength {
		return &RecordTooLargeError{Length: n, Limit: MaxSecretLength}
	}
	name := EncodeName(key)
	for attempt := 0; ; attempt++ {
		items, err := s.lookup(ctx, name)
		if err != nil {
			return err
		}
		if len(items) > 0 {
			err := s.call(ctx, "/v2/secret/rotate", rotateRequest{ID: items[0].ID, Secret: secret, RotationState: s.cfg.RotationState}, nil)
			switch {
			case err == nil:
				s.deleteItems(ctx, items[1:])
				return nil
			case !errors.Is(err, ErrItemNotFound):
				return err
			}
			// The item was deleted since the lookup: store a new one.
		}
		// secret/store is not idempotent: a 5xx may hide a store that
		// happened, and repeating it would create a duplicate. So a 5xx
		// is retried from the lookup, which then finds and rotates the
		// item if it exists.
		err = s.invoke(ctx, "/v2/secret/store", storeRequest{Type: "secret", Secret: secret, Name: name, Folder: s.cfg.Folder}, nil, false)
		var apiErr *APIError
		if err == nil || !errors.As(err, &apiErr) || !errors.Is(apiErr, ErrServer) || attempt >= s.cfg.MaxRetries {
			return err
		}
		if err := s.backoff(ctx, apiErr, attempt, 0); err != nil {
			return err
		}
	}
}

// deleteItems removes stale duplicates after a successful write. A failure
// is only logged: the newest item already holds the record, and readers
// pick the newest.
func (s *Store) deleteItems(ctx context.Context, items []item) {
	for _, it := range items {
		if err := s.deleteItem(ctx, it.ID); err != nil {
			s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "pangeavault: could not delete a duplicate item",
				slog.String("id", it.ID), slog.String("error", err.Error()))
		}
	}
}

func (s *Store) deleteItem(ctx context.Context, id string) error {
	err := s.call(ctx, "/v2/delete", deleteRequest{ID: id}, nil)
	if errors.Is(err, ErrItemNotFound) {
		return nil // already gone
	}
	return err
}

// Delete removes key, with every duplicate item. Deleting a missing key is
// not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	items, err := s.lookup(ctx, EncodeName(key))
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := s.deleteItem(ctx, it.ID); err != nil {
			return err
		}
	}
	return nil
}

// scan pages through every secret item of the folder and calls fn with
// each item whose name this package made.
func (s *Store) scan(ctx context.Context, fn func(key string, it *item) error) error {
	req := getBulkRequest{Filter: filter{Type: "secret", Folder: s.cfg.Folder}, Size: pageSize}
	for {
		var res getBulkResult
		if err := s.call(ctx, "/v2/get_bulk", req, &res); err != nil {
			return err
		}
		for i := range res.Items {
			it := &res.Items[i]
			if it.Type != "secret" || s.cfg.Folder != "" && !sameFolder(it.Folder, s.cfg.Folder) {
				continue
			}
			key, ok := DecodeName(it.Name)
			if !ok {
				continue
			}
			if err := fn(key, it); err != nil {
				return err
			}
		}
		if res.Last == "" || len(res.Items) == 0 {
			return nil
		}
		req.Last = res.Last
	}
}

// List returns the live keys that start with prefix, in no particular
// order. It reads every item of the folder (pages of 100), so it costs one
// call per 100 items; items whose record is corrupt are skipped.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	now := s.cfg.Clock()
	seen := map[string]bool{}
	var keys []string
	err := s.scan(ctx, func(key string, it *item) error {
		if seen[key] || !strings.HasPrefix(key, prefix) {
			return nil
		}
		r, err := s.decode(it)
		if err != nil || r.expired(now) {
			return nil
		}
		seen[key] = true
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Sweep deletes the items of expired records in the folder (corrupt ones
// are left alone) and returns how many it deleted. Pangea Vault
// keeps expired records until something deletes them; run Sweep
// periodically, from one replica.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	now := s.cfg.Clock()
	var expired []string
	err := s.scan(ctx, func(_ string, it *item) error {
		if r, err := s.decode(it); err == nil && r.expired(now) {
			expired = append(expired, it.ID)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range expired {
		if err := s.deleteItem(ctx, id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
