// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// prefixes numbers the stores of a test binary, so that each store the
// conformance suite asks for starts empty on a shared server.
var prefixes atomic.Int64

func nextPrefix(name string) string {
	return fmt.Sprintf("%s%d", name, prefixes.Add(1))
}

// newClient returns a client that fails fast: no command retries and one
// dial attempt, so tests of a stopped server do not wait for backoffs.
func newClient(t testing.TB, addr string) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newStore(t testing.TB, o redis.Options) *redis.Store {
	t.Helper()
	s, err := redis.New(&o)
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// shiftTTLs makes time pass for the server's expiry by d: every key with a
// TTL gets d less of it, and keys with d or less left are deleted. Redis
// expires keys by its own clock, which tests cannot set; this moves every
// deadline instead, which is the same to every reader. (Real time still
// passes too, so a key never lives longer than the suite expects.)
var shiftScript = goredis.NewScript(`
local d = tonumber(ARGV[1])
for _, k in ipairs(KEYS) do
  local left = redis.call('PTTL', k)
  if left > d then
    redis.call('PEXPIRE', k, left - d)
  elseif left >= 0 then
    redis.call('DEL', k)
  end
end
return 0`)

func shiftTTLs(t testing.TB, c goredis.UniversalClient, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	shift := func(ctx context.Context, c *goredis.Client) error {
		it := c.Scan(ctx, 0, "", 1000).Iterator()
		for it.Next(ctx) {
			// One key per call, so that a Cluster never sees keys of
			// several slots in one script.
			if err := shiftScript.Run(ctx, c, []string{it.Val()}, d.Milliseconds()).Err(); err != nil && !errors.Is(err, goredis.Nil) {
				return err
			}
		}
		return it.Err()
	}
	var err error
	switch c := c.(type) {
	case *goredis.ClusterClient:
		err = c.ForEachMaster(ctx, shift)
	case *goredis.Client:
		err = shift(ctx, c)
	default:
		t.Fatalf("shiftTTLs: unsupported client %T", c)
	}
	if err != nil {
		t.Fatalf("shiftTTLs: %v", err)
	}
}

func TestConformance(t *testing.T) {
	srv := redisserver.Start(t, nil)
	admin := newClient(t, srv.Addr())
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			return newStore(t, redis.Options{URL: srv.URL(), Prefix: nextPrefix("conformance")})
		},
		Advance: func(d time.Duration) { shiftTTLs(t, admin, d) },
	})
}

// TestConformanceCluster runs the suite against a three-master Redis
// Cluster through go-redis's cluster client: keys of one store spread over
// every master, and List scans them all.
func TestConformanceCluster(t *testing.T) {
	cl := redisserver.StartCluster(t, 3)
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: cl.Addrs(), IsClusterMode: true, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	if _, ok := client.(*goredis.ClusterClient); !ok {
		t.Fatalf("NewUniversalClient returned %T, want a cluster client", client)
	}
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			return newStore(t, redis.Options{Client: client, Prefix: nextPrefix("cluster")})
		},
		Advance: func(d time.Duration) { shiftTTLs(t, client, d) },
	})
	// The store's keys really are spread over the masters.
	s := newStore(t, redis.Options{Client: client, Prefix: nextPrefix("spread")})
	for i := range 64 {
		if err := s.Set(t.Context(), fmt.Sprintf("k%d", i), []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	var holding atomic.Int32 // ForEachMaster calls fn concurrently
	err := client.(*goredis.ClusterClient).ForEachMaster(t.Context(), func(ctx context.Context, c *goredis.Client) error {
		n, err := c.DBSize(ctx).Result()
		if n > 0 {
			holding.Add(1)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if holding := holding.Load(); holding < 2 {
		t.Errorf("keys on %d of 3 masters, want them spread over several", holding)
	}
}

// TestKeyLayout checks the Redis keys a store writes: the prefix, a colon
// and the escaped key, with nothing escaped that need not be.
func TestKeyLayout(t *testing.T) {
	srv := redisserver.Start(t, nil)
	admin := newClient(t, srv.Addr())
	s := newStore(t, redis.Options{URL: srv.URL(), Prefix: "layout"})
	ctx := t.Context()
	for key, want := range map[string]string{
		"mcpauth/provider/access/0a1b": "layout:mcpauth/provider/access/0a1b",
		"sha256-ab+/cd==":              "layout:sha256-ab+/cd==",
		"a:b":                          "layout:a%3Ab",
		"{tag}x":                       "layout:%7Btag%7Dx",
		"*?[]\\%":                      "layout:%2A%3F%5B%5D%5C%25",
		"é \x00\xff":                   "layout:é \x00\xff",
		"":                             "layout:",
	} {
		if got := s.Key(key); got != want {
			t.Errorf("Key(%q) = %q, want %q", key, got, want)
		}
		if err := s.Set(ctx, key, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		if n, err := admin.Exists(ctx, want).Result(); err != nil || n != 1 {
			t.Errorf("EXISTS %q = %d, %v; want 1", want, n, err)
		}
	}
	// TTLs are native: the server holds the expiry, in milliseconds.
	if err := s.Set(ctx, "ttl", []byte("v"), 90*time.Second+time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if ttl, err := admin.PTTL(ctx, s.Key("ttl")).Result(); err != nil || ttl <= 89*time.Second || ttl > 90*time.Second+time.Millisecond {
		t.Errorf("PTTL after Set with 90.000001 s = %v, %v; want just under 90.001 s", ttl, err)
	}
	if err := s.Set(ctx, "ttl", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if ttl, err := admin.PTTL(ctx, s.Key("ttl")).Result(); err != nil || ttl != -1 {
		t.Errorf("PTTL after Set without TTL = %v, %v; want -1 (none)", ttl, err)
	}
	for _, ttl := range []time.Duration{-1, -time.Second, time.Nanosecond} {
		if err := s.Set(ctx, "odd-ttl", []byte("v"), ttl); err != nil {
			t.Errorf("Set with ttl %v: %v", ttl, err)
		}
	}
}

// TestPrefixIsolation: stores whose prefixes nest, or hold glob
// metacharacters, never see each other's keys, whatever the keys.
func TestPrefixIsolation(t *testing.T) {
	srv := redisserver.Start(t, nil)
	ctx := t.Context()
	prefixes := []string{"app", "app:tokens", "app:", "p*", "p?", "p[a]", "pa", `p\`}
	stores := make([]*redis.Store, len(prefixes))
	for i, p := range prefixes {
		stores[i] = newStore(t, redis.Options{URL: srv.URL(), Prefix: p})
	}
	// Every store writes the keys that would reach into another's
	// namespace if keys were not escaped.
	keys := []string{"x", "tokens:x", ":x", "tokens", "*", "a", "]", ""}
	for i, s := range stores {
		for _, k := range keys {
			if err := s.Set(ctx, k, []byte(prefixes[i]+"|"+k), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, s := range stores {
		for _, k := range keys {
			got, err := s.Get(ctx, k)
			if want := prefixes[i] + "|" + k; err != nil || string(got) != want {
				t.Errorf("store %q: Get(%q) = %q, %v; want %q", prefixes[i], k, got, err, want)
			}
		}
		listed, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(listed)
		if want := slices.Sorted(slices.Values(keys)); !slices.Equal(listed, want) {
			t.Errorf("store %q: List(\"\") = %q, want %q", prefixes[i], listed, want)
		}
	}
}

// TestForeignKeys: keys under the prefix that this package cannot have
// written are not listed, and do not break List.
func TestForeignKeys(t *testing.T) {
	srv := redisserver.Start(t, nil)
	admin := newClient(t, srv.Addr())
	s := newStore(t, redis.Options{URL: srv.URL(), Prefix: "foreign"})
	ctx := t.Context()
	if err := s.Set(ctx, "mine", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"foreign:a:b", "foreign:%zz", "foreign:%", "foreign:%41", "foreign:{x}"} {
		if err := admin.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.HSet(ctx, "foreign:hash", "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"hash", "mine"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	// A key of another type under the prefix is an error, not a value and
	// not absence; its error names neither the key nor the server's text.
	_, err = s.Get(ctx, "hash")
	if err == nil || errors.Is(err, repository.ErrNotFound) || strings.Contains(err.Error(), "hash") {
		t.Errorf("Get of a hash: got %v, want an error without the key", err)
	}
	if want := "mcpauth/redis: get: server error (WRONGTYPE)"; err == nil || err.Error() != want {
		t.Errorf("Get of a hash: error %q, want %q", err, want)
	}
}

func TestNewOptions(t *testing.T) {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { client.Close() })
	tests := []struct {
		name    string
		opts    *redis.Options
		wantErr string
	}{
		{"nil", nil, "mcpauth/redis: Options.Client or Options.URL is required"},
		{"both", &redis.Options{Client: client, URL: "redis://127.0.0.1:1"}, "mcpauth/redis: set Options.Client or Options.URL, not both"},
		{"bad URL keeps its password out", &redis.Options{URL: "http://user:s3cret@host"}, "mcpauth/redis: Options.URL is not a valid redis://, rediss:// or unix:// URL"},
		{"client", &redis.Options{Client: client}, ""},
		{"URL", &redis.Options{URL: "rediss://user:pass@cache.example:6380/2"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redis.New(tt.opts)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("New: got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := s.Key("k"); got != redis.DefaultPrefix+":k" {
				t.Errorf("Key(k) = %q with the default prefix", got)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// TestClose: a closed store refuses calls with ErrClosed and closes the
// client it built, but not a client it was given.
func TestClose(t *testing.T) {
	srv := redisserver.Start(t, nil)
	ctx := t.Context()
	given := newClient(t, srv.Addr())
	for _, o := range []redis.Options{{URL: srv.URL()}, {Client: given}} {
		s, err := redis.New(&o)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "k", []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := s.Get(ctx, "k"); !errors.Is(err, redis.ErrClosed) {
			t.Errorf("Get after Close: got %v, want ErrClosed", err)
		}
		if err := s.Set(ctx, "k", nil, 0); !errors.Is(err, redis.ErrClosed) {
			t.Errorf("Set after Close: got %v, want ErrClosed", err)
		}
	}
	if err := given.Ping(ctx).Err(); err != nil {
		t.Errorf("the given client was closed: %v", err)
	}
}
