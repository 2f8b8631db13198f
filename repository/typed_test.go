// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repository_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/repository"
)

// mapStore is a minimal Store with no optional abilities.
type mapStore struct {
	mu sync.Mutex // guards m
	m  map[string][]byte
}

func newMapStore() *mapStore { return &mapStore{m: map[string][]byte{}} }

func (s *mapStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	if !ok {
		return nil, repository.ErrNotFound
	}
	return append([]byte(nil), b...), nil
}

func (s *mapStore) Set(_ context.Context, key string, v []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), v...)
	return nil
}

func (s *mapStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// abilityStore adds Take, Create and List to mapStore.
type abilityStore struct{ *mapStore }

func (s abilityStore) Take(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	if !ok {
		return nil, repository.ErrNotFound
	}
	delete(s.m, key)
	return b, nil
}

func (s abilityStore) Create(_ context.Context, key string, v []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return repository.ErrConflict
	}
	s.m[key] = append([]byte(nil), v...)
	return nil
}

func (s abilityStore) List(_ context.Context, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.m {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

type client struct {
	ID           string   `json:"client_id"`
	RedirectURIs []string `json:"redirect_uris"`
	IssuedAt     int64    `json:"client_id_issued_at"`
}

func TestRepositoryRoundTrip(t *testing.T) {
	ctx := t.Context()
	s := newMapStore()
	r := repository.New[client](s)
	if r.Store() != repository.Store(s) {
		t.Fatalf("Store() returned a different store")
	}
	want := client{ID: "c1", RedirectURIs: []string{"https://a.example/cb"}, IssuedAt: 42}
	if err := r.Set(ctx, "c1", want, 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := r.Get(ctx, "c1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
	if raw, _ := s.Get(ctx, "c1"); string(raw) != `{"client_id":"c1","redirect_uris":["https://a.example/cb"],"client_id_issued_at":42}` {
		t.Errorf("stored record = %s, want the JSON encoding", raw)
	}
	if err := r.Delete(ctx, "c1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := r.Get(ctx, "c1"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
	}
}

func TestRepositoryErrors(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name    string
		stored  string // raw record under "k"; "" means none
		wantErr error  // matched with errors.Is; nil means any non-nil error
	}{
		{name: "absent", wantErr: repository.ErrNotFound},
		{name: "not JSON", stored: "{not json"},
		{name: "wrong shape", stored: `{"client_id":17}`},
		{name: "truncated", stored: `{"client_id":"c1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := abilityStore{newMapStore()}
			if tt.stored != "" {
				if err := s.Set(ctx, "k", []byte(tt.stored), 0); err != nil {
					t.Fatal(err)
				}
			}
			r := repository.New[client](s)
			got, err := r.Get(ctx, "k")
			if err == nil {
				t.Fatalf("Get: got %+v, nil error; want an error", got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Get: got %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && errors.Is(err, repository.ErrNotFound) {
				t.Errorf("Get of a corrupt record: got ErrNotFound, want a decoding error")
			}
			if diff := cmp.Diff(client{}, got); diff != "" {
				t.Errorf("Get returned a value with its error (-zero +got):\n%s", diff)
			}
			if tt.stored == "" {
				return
			}
			if _, err := r.Take(ctx, "k"); err == nil || errors.Is(err, repository.ErrNotFound) {
				t.Errorf("Take of a corrupt record: got %v, want a decoding error", err)
			}
		})
	}
}

func TestRepositoryUnencodable(t *testing.T) {
	ctx := t.Context()
	s := abilityStore{newMapStore()}
	r := repository.New[func()](s)
	if err := r.Set(ctx, "k", func() {}, 0); err == nil {
		t.Errorf("Set of an unencodable value: got nil error")
	}
	if err := r.Create(ctx, "k", func() {}, 0); err == nil {
		t.Errorf("Create of an unencodable value: got nil error")
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("a failed encode stored something: Get got %v, want ErrNotFound", err)
	}
}

func TestRepositoryAbilities(t *testing.T) {
	ctx := t.Context()
	r := repository.New[client](abilityStore{newMapStore()})
	c := client{ID: "c"}

	if err := r.Create(ctx, "k", c, 0); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := r.Create(ctx, "k", c, 0); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("second Create: got %v, want ErrConflict", err)
	}
	keys, err := r.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]string{"k"}, keys); diff != "" {
		t.Errorf("List mismatch (-want +got):\n%s", diff)
	}
	got, err := r.Take(ctx, "k")
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Take mismatch (-want +got):\n%s", diff)
	}
	if _, err := r.Take(ctx, "k"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("second Take: got %v, want ErrNotFound", err)
	}
}

func TestRepositoryUnsupported(t *testing.T) {
	ctx := t.Context()
	r := repository.New[client](newMapStore())
	tests := []struct {
		name string
		call func() error
	}{
		{"Take", func() error { _, err := r.Take(ctx, "k"); return err }},
		{"Create", func() error { return r.Create(ctx, "k", client{}, 0) }},
		{"List", func() error { _, err := r.List(ctx, ""); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, repository.ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("got %v, want ErrUnsupported (and errors.ErrUnsupported)", err)
			}
		})
	}
	if _, err := r.Store().Get(ctx, "k"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("unsupported Create stored something: Get got %v", err)
	}
}

// FuzzRepositoryGet: whatever bytes a store holds, Get never panics and
// never returns a value without an error for bytes that are not JSON.
func FuzzRepositoryGet(f *testing.F) {
	for _, s := range []string{`{"client_id":"c"}`, `null`, `{`, ``, `{"client_id":1}`, "\xff", `{"redirect_uris":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ctx := context.Background()
		s := newMapStore()
		if err := s.Set(ctx, "k", raw, 0); err != nil {
			t.Fatal(err)
		}
		_, err := repository.New[client](s).Get(ctx, "k")
		if err == nil && !json.Valid(raw) {
			t.Fatalf("Get(%q) succeeded on bytes that are not JSON", raw)
		}
	})
}
