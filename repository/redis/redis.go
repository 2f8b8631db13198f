// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/repository"
)

// Defaults applied by [New] to zero-valued [Options] fields.
const (
	// DefaultPrefix is the key prefix used when [Options.Prefix] is empty.
	DefaultPrefix = "mcpauth"
	// DefaultHealthCheckInterval is how long an idle subscription waits
	// before it pings the server when [Options.HealthCheckInterval] is
	// zero.
	DefaultHealthCheckInterval = time.Second
)

// scanCount is the COUNT hint of each SCAN call of List.
const scanCount = 1000

// Options configures a [Store]. Exactly one of Client and URL is required.
type Options struct {
	// Client is the go-redis client to use: a single-server, Sentinel
	// (failover) or Cluster client, usually from redis.NewUniversalClient.
	// TLS, the ACL user and password, timeouts, retries and the pool are
	// its options. The Store does not close it. Do not let it read from
	// replicas (ReadOnly, RouteByLatency, RouteRandomly): a replica can lag
	// behind a write another instance has just made.
	Client goredis.UniversalClient
	// URL, when Client is nil, is parsed with redis.ParseURL
	// ("redis://user:password@host:6379/0", "rediss://…" for TLS,
	// "unix:///path"): the Store builds a single-server client and closes it
	// in [Store.Close].
	URL string
	// Prefix starts every key and channel name of the Store: a key is
	// stored as Prefix, a colon and the escaped key. Stores with different
	// prefixes never see each other's records, even when one prefix starts
	// with the other. Default [DefaultPrefix].
	Prefix string
	// HealthCheckInterval is how long a subscription ([Store.Subscribe])
	// waits for traffic before it pings the server; a subscription that
	// hears nothing, not even the answer to its ping, for a second interval
	// is treated as broken and set up again. Default
	// [DefaultHealthCheckInterval].
	HealthCheckInterval time.Duration
	// Logger receives the subscriptions' connection events. Default:
	// discard. Keys and values are never logged.
	Logger *slog.Logger
}

// Store is a [repository.Store] on Redis, or on a server that speaks its
// protocol (Valkey, for example). It also implements [repository.Taker],
// [repository.Creator], [repository.Lister] and [repository.Notifier]. It
// is safe for concurrent use; any number of Stores, in any number of
// processes, may share a server and a prefix.
type Store struct {
	client   goredis.UniversalClient
	own      bool   // client was built by New, closed by Close
	prefix   string // Prefix + ":"
	interval time.Duration
	log      *slog.Logger

	mu     sync.Mutex // guards closed, subs
	closed bool
	subs   map[*subscription]struct{}
}

var (
	_ repository.Store    = (*Store)(nil)
	_ repository.Taker    = (*Store)(nil)
	_ repository.Creator  = (*Store)(nil)
	_ repository.Lister   = (*Store)(nil)
	_ repository.Notifier = (*Store)(nil)
)

// New returns a Store configured by opts. It makes no call to the server:
// an unreachable server or bad credentials show up as errors of the first
// call ([ErrUnavailable], [ErrPermissionDenied]).
func New(opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &Store{
		client:   o.Client,
		prefix:   o.Prefix + ":",
		interval: o.HealthCheckInterval,
		log:      o.Logger,
		subs:     make(map[*subscription]struct{}),
	}
	switch {
	case o.Client != nil && o.URL != "":
		return nil, errors.New("mcpauth/redis: set Options.Client or Options.URL, not both")
	case o.Client == nil && o.URL == "":
		return nil, errors.New("mcpauth/redis: Options.Client or Options.URL is required")
	case o.Client == nil:
		ro, err := goredis.ParseURL(o.URL)
		if err != nil {
			// The URL may hold a password: do not quote it.
			return nil, errors.New("mcpauth/redis: Options.URL is not a valid redis://, rediss:// or unix:// URL")
		}
		s.client, s.own = goredis.NewClient(ro), true
	}
	if o.Prefix == "" {
		s.prefix = DefaultPrefix + ":"
	}
	if o.HealthCheckInterval < 0 {
		return nil, errors.New("mcpauth/redis: Options.HealthCheckInterval is negative")
	}
	if s.interval == 0 {
		s.interval = DefaultHealthCheckInterval
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Close ends every subscription, waits for their goroutines, and closes
// the client if New built it from [Options.URL]. Calls after Close fail
// with [ErrClosed]. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for sub := range subs {
		sub.cancel()
	}
	if s.own {
		if err := s.client.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
			return fmt.Errorf("mcpauth/redis: close client: %w", err)
		}
	}
	return nil
}

// Key returns the Redis key that holds key: the prefix, a colon and the
// key with every '%', ':', '{', '}', '*', '?', '[', ']' and '\' written as
// %XX. It is for operators (redis-cli) and tests.
func (s *Store) Key(key string) string {
	return s.prefix + escapeKey(key)
}

// begin fails a call on a closed Store or with a done context, before
// anything is sent.
func (s *Store) begin(ctx context.Context, op string) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return opError(op, ErrClosed, "store closed")
	}
	if err := ctx.Err(); err != nil {
		return classify(ctx, op, err)
	}
	return nil
}

// Get implements [repository.Store].
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "get"); err != nil {
		return nil, err
	}
	return value(ctx, "get", s.client.Get(ctx, s.Key(key)))
}

// Take implements [repository.Taker] with GETDEL, which the server runs
// atomically: of concurrent Takes of one key, in any number of processes,
// exactly one gets the record. It needs Redis 6.2 or later.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "take"); err != nil {
		return nil, err
	}
	return value(ctx, "take", s.client.GetDel(ctx, s.Key(key)))
}

// value returns the bytes of a GET or GETDEL reply, a copy that belongs to
// the caller.
func value(ctx context.Context, op string, cmd *goredis.StringCmd) ([]byte, error) {
	v, err := cmd.Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, fmt.Errorf("mcpauth/redis: %s: %w", op, repository.ErrNotFound)
	case err != nil:
		return nil, classify(ctx, op, err)
	}
	return []byte(v), nil
}

// Set implements [repository.Store] with SET: ttl > 0 sets the key's TTL
// (PX, rounded up to a whole millisecond), ttl <= 0 stores it without one.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.begin(ctx, "set"); err != nil {
		return err
	}
	if err := s.client.SetArgs(ctx, s.Key(key), value, goredis.SetArgs{TTL: expiry(ttl)}).Err(); err != nil {
		return classify(ctx, "set", err)
	}
	return nil
}

// Create implements [repository.Creator] with SET NX: of concurrent
// Creates of one key exactly one succeeds; the others, and a Create of a
// key that exists, get [repository.ErrConflict].
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.begin(ctx, "create"); err != nil {
		return err
	}
	err := s.client.SetArgs(ctx, s.Key(key), value, goredis.SetArgs{Mode: "NX", TTL: expiry(ttl)}).Err()
	switch {
	case errors.Is(err, goredis.Nil):
		return fmt.Errorf("mcpauth/redis: create: %w", repository.ErrConflict)
	case err != nil:
		return classify(ctx, "create", err)
	}
	return nil
}

// expiry turns a contract TTL into the TTL sent to the server: zero (no
// TTL) for ttl <= 0, otherwise ttl rounded up to a whole millisecond, so a
// record never expires before Set + ttl and a sub-millisecond TTL is not
// sent as an invalid PX 0. (go-redis would read -1 as KEEPTTL and truncate
// to milliseconds.)
func expiry(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	return (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
}

// Delete implements [repository.Store] with DEL.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.begin(ctx, "delete"); err != nil {
		return err
	}
	if err := s.client.Del(ctx, s.Key(key)).Err(); err != nil {
		return classify(ctx, "delete", err)
	}
	return nil
}

// List implements [repository.Lister] with SCAN MATCH over every master of
// a Cluster (every shard of a Ring), never KEYS. Keys under the prefix
// that this package did not write (their escaping is invalid) are skipped.
// The server expires keys lazily, but SCAN does not return expired ones.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := s.begin(ctx, "list"); err != nil {
		return nil, err
	}
	match := globEscape(s.Key(prefix)) + "*"
	var (
		mu   sync.Mutex // guards seen
		seen = make(map[string]struct{})
	)
	scan := func(ctx context.Context, c goredis.Cmdable) error {
		it := c.Scan(ctx, 0, match, scanCount).Iterator()
		for it.Next(ctx) {
			k, ok := strings.CutPrefix(it.Val(), s.prefix)
			if !ok {
				continue
			}
			if k, ok = unescapeKey(k); !ok || !strings.HasPrefix(k, prefix) {
				continue
			}
			mu.Lock()
			seen[k] = struct{}{} // SCAN may return a key more than once
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	switch c := s.client.(type) {
	case *goredis.ClusterClient:
		err = c.ForEachMaster(ctx, func(ctx context.Context, n *goredis.Client) error { return scan(ctx, n) })
	case *goredis.Ring:
		err = c.ForEachShard(ctx, func(ctx context.Context, n *goredis.Client) error { return scan(ctx, n) })
	default:
		err = scan(ctx, c)
	}
	if err != nil {
		return nil, classify(ctx, "list", err)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	return keys, nil
}
