// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repositorytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// DefaultConcurrency is the number of goroutines the concurrency checks use
// when [Harness.Concurrency] is zero.
const DefaultConcurrency = 8

// LargeValueSize is the size of the large value the suite round-trips,
// unless [Harness.MaxValueSize] declares a smaller limit.
const LargeValueSize = 1 << 20

// Harness describes the backend under test.
type Harness struct {
	// New returns a new, empty store. Stores returned by separate calls
	// must not see each other's records. New registers any cleanup with
	// t.Cleanup. Required.
	New func(t *testing.T) repository.Store

	// Advance moves the clock that every store returned by New uses to
	// decide expiry forward by d. Required: the suite never sleeps.
	Advance func(d time.Duration)

	// Concurrency is the number of goroutines in the concurrency checks.
	// Zero means DefaultConcurrency.
	Concurrency int

	// MaxValueSize is the size in bytes of the largest value the backend
	// promises to store, for backends with a documented limit (Pangea
	// Vault's secrets hold 10,240 characters). The large-value check
	// then round-trips values of that size and expects a Set of
	// LargeValueSize bytes to fail, storing nothing. Zero means
	// LargeValueSize: no limit the suite can see.
	MaxValueSize int
}

// Run runs the conformance suite against the backend h describes. The
// subtests run one after another (Advance moves a shared clock).
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("repositorytest: Harness.New is required")
	}
	if h.Advance == nil {
		t.Fatal("repositorytest: Harness.Advance is required (the suite checks expiry without sleeping)")
	}
	if h.Concurrency <= 0 {
		h.Concurrency = DefaultConcurrency
	}
	s := h.New(t)
	_, taker := s.(repository.Taker)
	_, creator := s.(repository.Creator)
	_, lister := s.(repository.Lister)
	for _, ab := range []struct {
		name string
		has  bool
	}{{"Taker", taker}, {"Creator", creator}, {"Lister", lister}} {
		if !ab.has {
			t.Logf("store %T is not a repository.%s: its checks do not apply", s, ab.name)
		}
	}

	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"RoundTrip", testRoundTrip},
		{"Absent", testAbsent},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Expiry", testExpiry},
		{"AwkwardKeys", testAwkwardKeys},
		{"LargeValue", testLargeValue},
		{"BinaryValues", testBinaryValues},
		{"ValueIsolation", testValueIsolation},
		{"Concurrent", testConcurrent},
		{"CancelledContext", testCancelledContext},
		{"Take", testTake},
		{"Create", testCreate},
		{"List", testList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, h) })
	}
}

// --- helpers -------------------------------------------------------------

func mustSet(t *testing.T, s repository.Store, key string, v []byte, ttl time.Duration) {
	t.Helper()
	if err := s.Set(t.Context(), key, v, ttl); err != nil {
		t.Fatalf("Set(%q, ttl %v): %v", short(key), ttl, err)
	}
}

func mustDelete(t *testing.T, s repository.Store, key string) {
	t.Helper()
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete(%q): %v", short(key), err)
	}
}

// wantValue checks that Get(key) returns want.
func wantValue(t *testing.T, s repository.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Errorf("Get(%q): got error %v, want %q", short(key), err, short(string(want)))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q): got %q (%d bytes), want %q (%d bytes)", short(key), short(string(got)), len(got), short(string(want)), len(want))
	}
}

// wantAbsent checks that Get(key) returns an error wrapping ErrNotFound.
func wantAbsent(t *testing.T, s repository.Store, key string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get(%q): got %q, error %v; want an error wrapping repository.ErrNotFound", short(key), short(string(got)), err)
	}
}

// short abbreviates long keys and values in messages.
func short(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%s…(%d bytes)", s[:48], len(s))
	}
	return s
}

// --- required checks -----------------------------------------------------

func testRoundTrip(t *testing.T, h Harness) {
	s := h.New(t)
	v := []byte(`{"client_id":"c1","redirect_uris":["https://a.example/cb"]}`)
	mustSet(t, s, "client", v, 0)
	wantValue(t, s, "client", v)
	mustSet(t, s, "code", []byte(`{"code":"x"}`), time.Hour)
	wantValue(t, s, "code", []byte(`{"code":"x"}`))
	wantValue(t, s, "client", v)
}

func testAbsent(t *testing.T, h Harness) {
	s := h.New(t)
	wantAbsent(t, s, "never-set")
	mustSet(t, s, "present", []byte("1"), 0)
	wantAbsent(t, s, "present2")
	wantAbsent(t, s, "presen")
	wantAbsent(t, s, "PRESENT")
}

func testOverwrite(t *testing.T, h Harness) {
	s := h.New(t)
	for i, v := range []string{"first", "second, longer than the first", "3", ""} {
		mustSet(t, s, "k", []byte(v), 0)
		wantValue(t, s, "k", []byte(v))
		if t.Failed() {
			t.Fatalf("after write %d", i)
		}
	}
}

func testDelete(t *testing.T, h Harness) {
	s := h.New(t)
	mustDelete(t, s, "never-set")
	mustSet(t, s, "k", []byte("v"), 0)
	mustSet(t, s, "other", []byte("o"), 0)
	mustDelete(t, s, "k")
	wantAbsent(t, s, "k")
	mustDelete(t, s, "k")
	wantValue(t, s, "other", []byte("o"))
	mustSet(t, s, "k", []byte("again"), 0)
	wantValue(t, s, "k", []byte("again"))
}

func testExpiry(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := t.Context()
	mustSet(t, s, "short", []byte("s"), 10*time.Second)
	mustSet(t, s, "long", []byte("l"), time.Hour)
	mustSet(t, s, "forever", []byte("f"), 0)
	mustSet(t, s, "negative", []byte("n"), -time.Second)
	mustSet(t, s, "made-permanent", []byte("p1"), 10*time.Second)
	mustSet(t, s, "made-permanent", []byte("p2"), 0)
	mustSet(t, s, "reset", []byte("r1"), 10*time.Second)

	h.Advance(8 * time.Second)
	wantValue(t, s, "short", []byte("s"))
	mustSet(t, s, "reset", []byte("r2"), 10*time.Second)

	h.Advance(4 * time.Second) // 12 s: "short" has expired
	wantAbsent(t, s, "short")
	wantValue(t, s, "long", []byte("l"))
	wantValue(t, s, "forever", []byte("f"))
	wantValue(t, s, "negative", []byte("n"))
	wantValue(t, s, "made-permanent", []byte("p2"))
	wantValue(t, s, "reset", []byte("r2")) // re-Set at 8 s: expires at 18 s

	if tk, ok := s.(repository.Taker); ok {
		if got, err := tk.Take(ctx, "short"); !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("Take of an expired key: got %q, %v; want ErrNotFound", got, err)
		}
	}
	if l, ok := s.(repository.Lister); ok {
		keys, err := l.List(ctx, "")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if slices.Contains(keys, "short") {
			t.Errorf("List returned the expired key %q: %q", "short", keys)
		}
	}
	if c, ok := s.(repository.Creator); ok {
		if err := c.Create(ctx, "short", []byte("created"), 0); err != nil {
			t.Errorf("Create over an expired key: %v, want success", err)
		}
		wantValue(t, s, "short", []byte("created"))
	} else {
		mustSet(t, s, "short", []byte("set again"), 0)
		wantValue(t, s, "short", []byte("set again"))
	}

	h.Advance(7 * time.Second) // 19 s
	wantAbsent(t, s, "reset")
	mustDelete(t, s, "reset") // deleting an expired key is not an error
	wantAbsent(t, s, "reset")

	h.Advance(2 * time.Hour)
	wantAbsent(t, s, "long")
	wantValue(t, s, "forever", []byte("f"))
	wantValue(t, s, "negative", []byte("n"))
	wantValue(t, s, "made-permanent", []byte("p2"))
	wantValue(t, s, "short", shortValue(s, "created", "set again"))

	// Millisecond-scale TTLs are honoured too.
	mustSet(t, s, "ms", []byte("m"), 1500*time.Millisecond)
	h.Advance(1400 * time.Millisecond)
	wantValue(t, s, "ms", []byte("m"))
	h.Advance(200 * time.Millisecond)
	wantAbsent(t, s, "ms")
}

// shortValue returns the value the Expiry check stored in "short", which depends
// on whether the store is a Creator.
func shortValue(s repository.Store, ifCreator, otherwise string) []byte {
	if _, ok := s.(repository.Creator); ok {
		return []byte(ifCreator)
	}
	return []byte(otherwise)
}

// AwkwardKeys returns keys that backends must store without failing and
// without collisions: separators, encodings' alphabets and padding, path
// tricks, whitespace, non-ASCII, control bytes, invalid UTF-8 and long keys.
func AwkwardKeys() []string {
	keys := []string{
		"", " ", "  ", "\t", "\n", ".", "..", "...", "/", "//", "./", "../", "../x", "x/..", "a/../b", "/a", "a/", "a//b",
		"a/b", "a_b", "a-b", "a+b", "a b", "a=b", "a.b", "a%2Fb", "a%2fb", "a\\b", "a:b", "a?b", "a#b", "a&b", "a*b",
		"A/B", "ab",
		"sha256-ab+/cd==", "sha256-ab-_cd==", "sha256-ab+/cd=", "sha256-ab+/cd", "sha256-AB+/CD==",
		"client_to_authn_9f0e4c2a-1b7d-4c8e-9a55-3e2f1d0c6b7a", "mcp_0123456789abcdef0123456789abcdef",
		"ключ", "鍵", "🔑", "é", "e\u0301", "\u200b", "\x00", "a\x00b", "\xff", "\xfe\xff", "\x7f",
		`"quoted"`, "{json}", "[1]", "null", "~", "$var", "100%", "k_", "k.", "K_",
		strings.Repeat("x", 1024),
		strings.Repeat("x", 1023) + "y",
		strings.Repeat("é/+=", 64),
	}
	return keys
}

func testAwkwardKeys(t *testing.T, h Harness) {
	s := h.New(t)
	keys := AwkwardKeys()
	val := func(i int) []byte { return fmt.Appendf(nil, "value-%d", i) }
	for i, k := range keys {
		mustSet(t, s, k, val(i), 0)
	}
	for i, k := range keys {
		wantValue(t, s, k, val(i))
	}
	if l, ok := s.(repository.Lister); ok {
		got, err := l.List(t.Context(), "")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(keys))
		if !slices.Equal(got, want) {
			t.Errorf("List(\"\") returned %d keys, want the %d awkward keys exactly\ngot  %q\nwant %q", len(got), len(want), got, want)
		}
	}
	// Deleting every other key leaves its neighbours intact.
	for i, k := range keys {
		if i%2 == 0 {
			mustDelete(t, s, k)
		}
	}
	for i, k := range keys {
		if i%2 == 0 {
			wantAbsent(t, s, k)
		} else {
			wantValue(t, s, k, val(i))
		}
	}
}

func testLargeValue(t *testing.T, h Harness) {
	s := h.New(t)
	size := LargeValueSize
	if h.MaxValueSize > 0 && h.MaxValueSize < size {
		size = h.MaxValueSize
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		r := rand.New(rand.NewChaCha8([32]byte{1}))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	big := random(size)
	mustSet(t, s, "big", big, 0)
	wantValue(t, s, "big", big)
	// A large JSON record, the shape the typed layer writes.
	js := []byte(`{"jwks":"` + strings.Repeat("A", size-12) + `"}`)
	mustSet(t, s, "big-json", js, time.Hour)
	wantValue(t, s, "big-json", js)
	if size < LargeValueSize {
		if err := s.Set(t.Context(), "too-big", random(LargeValueSize), 0); err == nil {
			t.Errorf("Set of %d bytes, above MaxValueSize %d: got no error", LargeValueSize, size)
		}
		wantAbsent(t, s, "too-big")
	}
}

func testBinaryValues(t *testing.T, h Harness) {
	s := h.New(t)
	all := make([]byte, 512)
	for i := range all {
		all[i] = byte(i)
	}
	values := []struct {
		name string
		v    []byte
	}{
		{"empty", []byte{}},
		{"nil", nil},
		{"every byte", all},
		{"NUL", []byte{0}},
		{"invalid UTF-8", []byte("\xff\xfe\xfd")},
		{"JSON null", []byte("null")},
		{"JSON string", []byte(`"s"`)},
		{"broken JSON", []byte(`{"a":`)},
		{"JSON with spaces", []byte(" { \"a\" : 1 } \n")},
		{"base64 lookalike", []byte("c2hhMjU2LWFiKy9jZD09")},
		{"envelope lookalike", []byte(`{"v":1,"exp":1,"value":"x"}`)},
	}
	for i, tt := range values {
		key := fmt.Sprintf("bin-%d", i)
		mustSet(t, s, key, tt.v, 0)
		got, err := s.Get(t.Context(), key)
		if err != nil {
			t.Errorf("%s: Get: %v", tt.name, err)
			continue
		}
		if !bytes.Equal(got, tt.v) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.v)
		}
	}
}

func testValueIsolation(t *testing.T, h Harness) {
	s := h.New(t)
	v := []byte("original")
	mustSet(t, s, "k", v, 0)
	copy(v, "MUTATED!")
	wantValue(t, s, "k", []byte("original"))
	got, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	for i := range got {
		got[i] = 'X'
	}
	wantValue(t, s, "k", []byte("original"))
}

func testConcurrent(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := t.Context()
	n := h.Concurrency
	const rounds = 12
	shared := []string{"shared/a", "shared/b+", "shared/c="}
	// value encodes the key it belongs to, so a reader can tell a torn or
	// misplaced record from a legitimate one.
	value := func(key string, w, i int) []byte { return fmt.Appendf(nil, "%s|w%d|i%d", key, w, i) }

	var wg sync.WaitGroup
	errs := make(chan error, 4*n*rounds)
	for w := range n {
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			own := fmt.Sprintf("own/%d", w)
			for i := range rounds {
				for _, k := range append([]string{own}, shared[i%len(shared)]) {
					if err := s.Set(ctx, k, value(k, w, i), time.Hour); err != nil {
						errs <- fmt.Errorf("writer %d: Set(%q): %w", w, k, err)
						return
					}
				}
				if i%4 == 3 {
					if err := s.Delete(ctx, shared[(i+1)%len(shared)]); err != nil {
						errs <- fmt.Errorf("writer %d: Delete: %w", w, err)
						return
					}
				}
			}
		}()
		go func() { // reader
			defer wg.Done()
			for i := range rounds {
				k := shared[(w+i)%len(shared)]
				got, err := s.Get(ctx, k)
				if errors.Is(err, repository.ErrNotFound) {
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("reader %d: Get(%q): %w", w, k, err)
					return
				}
				if !bytes.HasPrefix(got, []byte(k+"|w")) {
					errs <- fmt.Errorf("reader %d: Get(%q) = %q, a value never written to that key", w, k, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range n {
		k := fmt.Sprintf("own/%d", w)
		wantValue(t, s, k, value(k, w, rounds-1))
	}
}

func testCancelledContext(t *testing.T, h Harness) {
	s := h.New(t)
	mustSet(t, s, "existing", []byte("e"), 0)

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Unix(0, 0))
	defer cancel2()

	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"deadline exceeded", expired, context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				if err == nil {
					t.Errorf("%s with a done context: got success, want an error wrapping %v", op, c.want)
				} else if !errors.Is(err, c.want) {
					t.Errorf("%s with a done context: got %v, want an error wrapping %v", op, err, c.want)
				}
			}
			got, err := s.Get(c.ctx, "existing")
			check("Get", err)
			if got != nil {
				t.Errorf("Get with a done context returned a value %q", got)
			}
			check("Set", s.Set(c.ctx, "new", []byte("n"), 0))
			check("Set (overwrite)", s.Set(c.ctx, "existing", []byte("changed"), 0))
			check("Delete", s.Delete(c.ctx, "existing"))
			if tk, ok := s.(repository.Taker); ok {
				_, err := tk.Take(c.ctx, "existing")
				check("Take", err)
			}
			if cr, ok := s.(repository.Creator); ok {
				check("Create", cr.Create(c.ctx, "created", []byte("c"), 0))
			}
			if l, ok := s.(repository.Lister); ok {
				_, err := l.List(c.ctx, "")
				check("List", err)
			}
			// Nothing changed.
			wantAbsent(t, s, "new")
			wantAbsent(t, s, "created")
			wantValue(t, s, "existing", []byte("e"))
		})
	}
}

// --- optional abilities --------------------------------------------------

func testTake(t *testing.T, h Harness) {
	s := h.New(t)
	tk, ok := s.(repository.Taker)
	if !ok {
		t.Logf("%T is not a repository.Taker: single-use records need another strategy with this backend", s)
		return
	}
	ctx := t.Context()
	if got, err := tk.Take(ctx, "absent"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Take(absent): got %q, %v; want ErrNotFound", got, err)
	}
	mustSet(t, s, "code", []byte("c"), time.Minute)
	got, err := tk.Take(ctx, "code")
	if err != nil || string(got) != "c" {
		t.Fatalf("Take(code): got %q, %v; want %q", got, err, "c")
	}
	wantAbsent(t, s, "code")
	if _, err := tk.Take(ctx, "code"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("second Take(code): got %v, want ErrNotFound", err)
	}

	n := max(h.Concurrency, 4)
	for round := range 5 {
		key := fmt.Sprintf("race/%d", round)
		mustSet(t, s, key, []byte(key), time.Minute)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex // guards winners, others
			winners int
			others  []error
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				v, err := tk.Take(ctx, key)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && string(v) == key:
					winners++
				case err == nil:
					others = append(others, fmt.Errorf("Take returned %q, want %q", v, key))
				case !errors.Is(err, repository.ErrNotFound):
					others = append(others, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if winners != 1 {
			t.Errorf("round %d: %d of %d concurrent Takes succeeded, want exactly 1", round, winners, n)
		}
		for _, err := range others {
			t.Errorf("round %d: a losing Take must fail with ErrNotFound: %v", round, err)
		}
		wantAbsent(t, s, key)
	}
}

func testCreate(t *testing.T, h Harness) {
	s := h.New(t)
	c, ok := s.(repository.Creator)
	if !ok {
		t.Logf("%T is not a repository.Creator", s)
		return
	}
	ctx := t.Context()
	if err := c.Create(ctx, "k", []byte("first"), 0); err != nil {
		t.Fatalf("Create(new key): %v", err)
	}
	if err := c.Create(ctx, "k", []byte("second"), 0); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("Create(existing key): got %v, want ErrConflict", err)
	}
	wantValue(t, s, "k", []byte("first"))
	mustDelete(t, s, "k")
	if err := c.Create(ctx, "k", []byte("third"), time.Minute); err != nil {
		t.Errorf("Create after Delete: %v", err)
	}
	wantValue(t, s, "k", []byte("third"))

	n := max(h.Concurrency, 4)
	for round := range 3 {
		key := fmt.Sprintf("race/%d", round)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex // guards winner, winners, others
			winner  []byte
			winners int
			others  []error
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				v := fmt.Appendf(nil, "creator-%d", i)
				err := c.Create(ctx, key, v, 0)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners++
					winner = v
				case !errors.Is(err, repository.ErrConflict):
					others = append(others, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if winners != 1 {
			t.Errorf("round %d: %d of %d concurrent Creates succeeded, want exactly 1", round, winners, n)
			continue
		}
		for _, err := range others {
			t.Errorf("round %d: a losing Create must fail with ErrConflict: %v", round, err)
		}
		wantValue(t, s, key, winner)
	}
}

func testList(t *testing.T, h Harness) {
	s := h.New(t)
	l, ok := s.(repository.Lister)
	if !ok {
		t.Logf("%T is not a repository.Lister", s)
		return
	}
	ctx := t.Context()
	if got, err := l.List(ctx, ""); err != nil || len(got) != 0 {
		t.Errorf("List of an empty store: got %q, %v; want no keys", got, err)
	}
	keys := []string{"a/1", "a/2", "a/2/x", "a+", "ab", "b/1", "sha256-ab+/cd==", "sha256-ab", "é/1", ""}
	for _, k := range keys {
		mustSet(t, s, k, []byte(k), 0)
	}
	mustSet(t, s, "a/expiring", []byte("e"), time.Second)
	mustSet(t, s, "a/deleted", []byte("d"), 0)
	mustDelete(t, s, "a/deleted")
	h.Advance(2 * time.Second)

	tests := []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/1", "a/2", "a/2/x"}},
		{"a", []string{"a/1", "a/2", "a/2/x", "a+", "ab"}},
		{"a+", []string{"a+"}},
		{"sha256-ab", []string{"sha256-ab+/cd==", "sha256-ab"}},
		{"sha256-ab+/", []string{"sha256-ab+/cd=="}},
		{"é", []string{"é/1"}},
		{"zzz", nil},
		{"", keys},
	}
	for _, tt := range tests {
		got, err := l.List(ctx, tt.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tt.prefix, err)
			continue
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, want) {
			t.Errorf("List(%q): got %q, want %q", tt.prefix, got, want)
		}
	}
}
