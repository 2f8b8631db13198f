// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repositorytest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// broken wraps a correct store and breaks one rule of the contract.
type broken struct {
	repository.Store
	get    func(ctx context.Context, key string) ([]byte, error)
	set    func(ctx context.Context, key string, v []byte, ttl time.Duration) error
	delete func(ctx context.Context, key string) error
}

func (b broken) Get(ctx context.Context, key string) ([]byte, error) {
	if b.get != nil {
		return b.get(ctx, key)
	}
	return b.Store.Get(ctx, key)
}

func (b broken) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	if b.set != nil {
		return b.set(ctx, key, v, ttl)
	}
	return b.Store.Set(ctx, key, v, ttl)
}

func (b broken) Delete(ctx context.Context, key string) error {
	if b.delete != nil {
		return b.delete(ctx, key)
	}
	return b.Store.Delete(ctx, key)
}

// racyTaker is a Taker whose Take is a Get then a Delete: not atomic. To
// make the forbidden interleaving certain, concurrent Takes of a "race/"
// key all read before any of them deletes.
type racyTaker struct {
	repository.Store
	all int // Takes per race round

	mu    sync.Mutex // guards seen, gates
	seen  map[string]int
	gates map[string]chan struct{}
}

func (r *racyTaker) Take(ctx context.Context, key string) ([]byte, error) {
	v, err := r.Store.Get(ctx, key)
	if strings.HasPrefix(key, "race/") {
		r.mu.Lock()
		gate, ok := r.gates[key]
		if !ok {
			gate = make(chan struct{})
			r.gates[key] = gate
		}
		r.seen[key]++
		if r.seen[key] == r.all {
			close(gate)
		}
		r.mu.Unlock()
		<-gate
	}
	if err != nil {
		return nil, err
	}
	return v, r.Store.Delete(ctx, key)
}

// brokenStores are the faults the suite must catch, and the subtest that
// must report each.
var brokenStores = map[string]struct {
	subtest string
	new     func(clock *repositorytest.Clock) repository.Store
}{
	"ignores ttl": {"Expiry", func(c *repositorytest.Clock) repository.Store {
		m := memory.New(&memory.Options{Clock: c.Now})
		return broken{Store: m, set: func(ctx context.Context, k string, v []byte, _ time.Duration) error {
			return m.Set(ctx, k, v, 0)
		}}
	}},
	"lossy keys": {"AwkwardKeys", func(c *repositorytest.Clock) repository.Store {
		m := memory.New(&memory.Options{Clock: c.Now})
		fold := strings.NewReplacer("/", "_", "+", "-").Replace
		return broken{Store: m,
			get: func(ctx context.Context, k string) ([]byte, error) { return m.Get(ctx, fold(k)) },
			set: func(ctx context.Context, k string, v []byte, ttl time.Duration) error {
				return m.Set(ctx, fold(k), v, ttl)
			},
			delete: func(ctx context.Context, k string) error { return m.Delete(ctx, fold(k)) },
		}
	}},
	"ignores ctx": {"CancelledContext", func(c *repositorytest.Clock) repository.Store {
		m := memory.New(&memory.Options{Clock: c.Now})
		return broken{Store: m, set: func(_ context.Context, k string, v []byte, ttl time.Duration) error {
			return m.Set(context.Background(), k, v, ttl)
		}}
	}},
	"delete of a missing key fails": {"Delete", func(c *repositorytest.Clock) repository.Store {
		m := memory.New(&memory.Options{Clock: c.Now})
		return broken{Store: m, delete: func(ctx context.Context, k string) error {
			if _, err := m.Get(ctx, k); err != nil {
				return err
			}
			return m.Delete(ctx, k)
		}}
	}},
	"truncates large values": {"LargeValue", func(c *repositorytest.Clock) repository.Store {
		m := memory.New(&memory.Options{Clock: c.Now})
		return broken{Store: m, set: func(ctx context.Context, k string, v []byte, ttl time.Duration) error {
			return m.Set(ctx, k, v[:min(len(v), 64<<10)], ttl)
		}}
	}},
	"absent is not ErrNotFound": {"Absent", func(c *repositorytest.Clock) repository.Store {
		m := memory.New(&memory.Options{Clock: c.Now})
		return broken{Store: m, get: func(ctx context.Context, k string) ([]byte, error) {
			v, err := m.Get(ctx, k)
			if errors.Is(err, repository.ErrNotFound) {
				return nil, nil
			}
			return v, err
		}}
	}},
	"keeps the caller's slice": {"ValueIsolation", func(c *repositorytest.Clock) repository.Store {
		return &aliasing{m: map[string][]byte{}}
	}},
	"Take is not atomic": {"Take", func(c *repositorytest.Clock) repository.Store {
		return &racyTaker{
			Store: memory.New(&memory.Options{Clock: c.Now}),
			all:   repositorytest.DefaultConcurrency,
			seen:  map[string]int{},
			gates: map[string]chan struct{}{},
		}
	}},
}

// aliasing stores the caller's slices as they are.
type aliasing struct {
	mu sync.Mutex // guards m
	m  map[string][]byte
}

func (a *aliasing) Get(ctx context.Context, k string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, ok := a.m[k]
	if !ok {
		return nil, repository.ErrNotFound
	}
	return v, nil
}

func (a *aliasing) Set(ctx context.Context, k string, v []byte, _ time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	a.m[k] = v
	return nil
}

func (a *aliasing) Delete(ctx context.Context, k string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	delete(a.m, k)
	return nil
}

const brokenEnv = "REPOSITORYTEST_BROKEN"

// TestBrokenHelper runs the suite against one broken store when the test
// binary is re-executed by TestSuiteCatchesFaults.
func TestBrokenHelper(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		t.Skip("helper for TestSuiteCatchesFaults; runs only in its subprocess")
	}
	b := brokenStores[name]
	clock := repositorytest.NewClock(time.Unix(1_000_000, 0))
	repositorytest.Run(t, repositorytest.Harness{
		New:     func(*testing.T) repository.Store { return b.new(clock) },
		Advance: clock.Advance,
	})
}

// TestSuiteCatchesFaults proves that the suite can fail: each broken store
// must make the expected subtest fail.
func TestSuiteCatchesFaults(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range brokenStores {
		t.Run(name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestBrokenHelper$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed a store that %s (err %v); output:\n%s", name, err, out)
			}
			if want := "--- FAIL: TestBrokenHelper/" + b.subtest; !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q; output:\n%s", want, out)
			}
		})
	}
}

func TestClock(t *testing.T) {
	start := time.Unix(100, 0)
	c := repositorytest.NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Errorf("Now() = %v, want %v", got, start)
	}
	c.Advance(1500 * time.Millisecond)
	if got, want := c.Now(), start.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Errorf("after Advance: Now() = %v, want %v", got, want)
	}
}
