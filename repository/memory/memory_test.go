// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package memory_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

func TestConformance(t *testing.T) {
	clock := repositorytest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			s := memory.New(&memory.Options{Clock: clock.Now})
			t.Cleanup(func() { s.Close() })
			return s
		},
		Advance: clock.Advance,
	})
}

func TestConformanceWithSweeper(t *testing.T) {
	clock := repositorytest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			s := memory.New(&memory.Options{Clock: clock.Now, SweepInterval: time.Millisecond})
			t.Cleanup(func() { s.Close() })
			return s
		},
		Advance:     clock.Advance,
		Concurrency: 16,
	})
}

func TestInstancesAreIndependent(t *testing.T) {
	ctx := t.Context()
	a, b := memory.New(nil), memory.New(&memory.Options{})
	if err := a.Set(ctx, "k", []byte("a"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "k"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("a second store sees the first's record: got %q, %v", got, err)
	}
}

func TestSweeper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := memory.New(&memory.Options{SweepInterval: time.Minute})
		defer s.Close()
		for _, r := range []struct {
			key string
			ttl time.Duration
		}{{"short", 30 * time.Second}, {"medium", 90 * time.Second}, {"forever", 0}} {
			if err := s.Set(ctx, r.key, []byte(r.key), r.ttl); err != nil {
				t.Fatal(err)
			}
		}
		steps := []struct {
			wait    time.Duration
			wantLen int
		}{
			{59 * time.Second, 3}, // 59 s: no sweep yet
			{2 * time.Second, 2},  // 61 s: first sweep removed "short"
			{60 * time.Second, 1}, // 121 s: second sweep removed "medium"
			{10 * time.Minute, 1}, // "forever" stays
		}
		for i, st := range steps {
			time.Sleep(st.wait) // fake time inside the bubble
			synctest.Wait()
			if got := s.Len(); got != st.wantLen {
				t.Errorf("step %d: Len() = %d, want %d", i, got, st.wantLen)
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		// After Close nothing sweeps, but the store still works and still
		// hides expired records.
		if err := s.Set(ctx, "late", []byte("l"), time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if got := s.Len(); got != 2 {
			t.Errorf("after Close: Len() = %d, want 2 (no sweeping)", got)
		}
		if _, err := s.Get(ctx, "late"); !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("Get of an expired, unswept record: got %v, want ErrNotFound", err)
		}
		if got := s.Sweep(); got != 1 {
			t.Errorf("Sweep() = %d, want 1", got)
		}
	})
}

func TestWithoutSweeperExpiredRecordsAreHidden(t *testing.T) {
	clock := repositorytest.NewClock(time.Unix(1000, 0))
	s := memory.New(&memory.Options{Clock: clock.Now})
	ctx := t.Context()
	if err := s.Set(ctx, "k", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second) // expiry is inclusive: at Set+ttl it is gone
	if _, err := s.Get(ctx, "k"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get at the expiry instant: got %v, want ErrNotFound", err)
	}
	if got := s.Len(); got != 1 {
		t.Errorf("Len() = %d, want 1 (hidden, not removed)", got)
	}
	if got := s.Sweep(); got != 1 || s.Len() != 0 {
		t.Errorf("Sweep() = %d, Len() = %d; want 1, 0", got, s.Len())
	}
}
