// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package redis is a [repository.Store] on Redis (or Valkey, or any server
// that speaks the Redis protocol and has GETDEL, Redis 6.2 and later), so
// that several replicas of a provider can share their state: clients,
// authorization codes, tokens, pending logins.
//
// It is its own Go module and depends only on github.com/redis/go-redis/v9.
// Its tests run the conformance suite (repository/repositorytest) against
// real redis-server processes, a single server and a three-master Cluster,
// started by the test helper package [redisserver].
//
//	store, err := redis.New(&redis.Options{URL: "rediss://mcpauth:password@cache.internal:6380/0"})
//	...
//	defer store.Close()
//
// The package name is that of go-redis's package too; import one of them
// under another name (this package's examples use goredis for go-redis).
//
// # Clients
//
// [Options.URL] builds a single-server client with redis.ParseURL
// (redis://, rediss:// for TLS, unix://; user, password, database and
// client options in the URL). For Sentinel or Cluster, or for TLS
// certificates and timeouts beyond what a URL says, build a
// redis.UniversalClient and pass it in [Options.Client]:
//
//	client := goredis.NewUniversalClient(&goredis.UniversalOptions{
//		Addrs:      []string{"sentinel-1:26379", "sentinel-2:26379"},
//		MasterName: "mcpauth",
//		Username:   "mcpauth", Password: password,
//		TLSConfig:  &tls.Config{MinVersion: tls.VersionTLS12},
//	})
//
// Every call runs with the caller's context. go-redis retries a call that
// failed on the network (MaxRetries, 3 by default); a retried Take or
// Create whose first attempt took effect but lost its reply reports
// [repository.ErrNotFound] or [repository.ErrConflict]. Both fail closed
// (a code is spent, a registration refused); set MaxRetries to -1 if you
// prefer the network error. go-redis logs failed dials through its own
// process-wide logger (redis.SetLogger); they name addresses, never keys.
//
// # Keys
//
// A record is one Redis string at Prefix + ":" + escaped key
// ([Store.Key]): the bytes '%', ':', '{', '}', '*', '?', '[', ']' and '\'
// are written as %XX, every other byte as it is. So:
//
//   - No key can leave the prefix or reach another store's: an escaped key
//     has no ':', so the stores with prefixes "app" and "app:tokens" never
//     share a Redis key, whatever the keys.
//   - No key chooses its Cluster hash slot: without braces, the slot is
//     that of the whole Redis key, and records spread over every master.
//     (A hash tag in Prefix, "{mcpauth}", would pin them all to one slot;
//     nothing needs it, because every command touches one key.)
//   - List's SCAN MATCH pattern matches exactly the keys under a prefix.
//   - The encoding is reversible and keeps prefixes, and keys and values
//     are binary: NUL bytes, invalid UTF-8 and the empty key and value are
//     stored as they are.
//
// # Expiry
//
// TTLs are native: Set and Create send PX (the TTL rounded up to a whole
// millisecond), and the server expires the key by its own clock, so
// replicas need no agreement on time. Set without a TTL makes a record
// permanent again.
//
// # Atomicity
//
// Every operation is one command on one key, which the server runs
// atomically:
//
//   - [Store.Take] is GETDEL: of several concurrent Takes of one key, in any
//     number of processes, exactly one returns the value.
//   - [Store.Create] is SET NX: of several concurrent Creates, exactly one
//     succeeds; the others get [repository.ErrConflict].
//   - [Store.List] is SCAN MATCH with a COUNT of 1000 on every master of a
//     Cluster (never KEYS, which blocks the server); its cost grows with the
//     size of the database, not of the prefix.
//
// No command involves two keys, so a Cluster never answers CROSSSLOT.
//
// # Durability and replication
//
// Redis acknowledges a write before it is on disk unless configured
// otherwise. The provider's records are logins: losing them logs users
// out, and nothing revoked comes back (a revocation and the tokens it
// revokes are lost together). For restarts without loss run the server
// with appendonly yes and appendfsync always (the tests kill a server with
// SIGKILL and find every acknowledged write after the restart), or
// appendfsync everysec to risk one second. Replication is asynchronous: a
// failover can lose the last acknowledged writes. Let clients read from
// the master only.
//
// # Notifications
//
// The Store is also a [repository.Notifier]: [Store.Publish] is PUBLISH on
// the channel Prefix + ":" + escaped topic ([Store.Channel]), and
// [Store.Subscribe] holds a connection of its own in SUBSCRIBE, with a
// goroutine that delivers the messages. The provider finds the ability on
// its store and the middleware takes the store as its Notifier, so that a
// token revoked, or a decision cache purged, on one replica is dropped by
// every replica within a round trip to Redis instead of after a cache TTL.
//
// Redis pub/sub keeps no messages: a subscriber whose connection breaks
// misses what is published meanwhile. So a subscriber gets a gap
// notification when its subscription is set up, when it breaks (the
// connection fails, or stays silent through a ping for two
// [Options.HealthCheckInterval]s), and when it is set up again, and drops
// its whole cache on each. A subscription retries by itself, 50 ms after a
// failure and then up to a second apart. While it is broken, the bound on
// agreement falls back to the cache TTL.
//
// In a Cluster, PUBLISH reaches every node (classic pub/sub); the messages
// are few and short (a revocation, a purge).
//
// # Errors
//
// Absence wraps [repository.ErrNotFound] and a failed Create
// [repository.ErrConflict]; nothing else does, so an outage never reads as
// absence. Errors name the operation and the kind of failure, never the
// key, the value, the password or the server's error text (Redis 7.2 and
// later quote key names in NOPERM errors): [ErrUnavailable] for an
// unreachable, failing-over or loading server, [ErrPermissionDenied] for
// ACL and authentication refusals, [ErrClosed] after Close, and a done
// context's error. The go-redis error stays reachable with errors.As.
//
// # Permissions
//
// An ACL user for the default prefix needs these keys, channels and
// commands (the tests check this exact rule against a real server):
//
//	ACL SETUSER mcpauth on >password resetkeys ~mcpauth:* resetchannels &mcpauth:* -@all +get +set +getdel +del +scan +hello +publish +subscribe +ping
//
// publish, subscribe and ping serve the notifications only.
//
// [redisserver]: https://pkg.go.dev/github.com/mcpauth/mcpauth/repository/redis/redisserver
package redis
