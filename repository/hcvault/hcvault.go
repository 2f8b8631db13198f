// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package hcvault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/mcpauth/mcpauth/repository"
)

// Defaults applied by [New] to zero-valued [Options] fields.
const (
	// DefaultMount is the KV v2 mount used when [Options.Mount] is empty.
	DefaultMount = "secret"
	// DefaultPrefix is the path prefix under the mount used when
	// [Options.Prefix] is empty.
	DefaultPrefix = "mcpauth"
	// DefaultClientTimeout is the per-request timeout of a client that [New]
	// builds from the environment, unless VAULT_CLIENT_TIMEOUT is set. (The
	// api package's own default is 60 seconds.)
	DefaultClientTimeout = 10 * time.Second
)

// maxCASAttempts bounds the read/check-and-set loops of Take and Create when
// other writers keep changing the key between the read and the write.
const maxCASAttempts = 16

// Options configures a [Store]. The zero value (or a nil *Options) is valid
// when VAULT_ADDR and VAULT_TOKEN are set.
type Options struct {
	// Client is the Vault client to use. It is used as is: its address,
	// token, namespace, timeout and retries are the caller's. If nil, New
	// builds one with api.DefaultConfig (which reads the VAULT_* environment
	// variables), a timeout of [DefaultClientTimeout] unless
	// VAULT_CLIENT_TIMEOUT is set, and the token from VAULT_TOKEN; New fails
	// if VAULT_ADDR or VAULT_TOKEN is unset.
	Client *api.Client
	// Mount is the path of the KV version 2 secrets engine. Default
	// [DefaultMount].
	Mount string
	// Prefix is the path under the mount that holds the records. It may have
	// several segments ("apps/mcpauth"). Default [DefaultPrefix].
	Prefix string
	// SweepInterval, when > 0, starts a background sweeper that runs
	// [Store.Sweep] at this interval until [Store.Close]. The token then
	// needs "list" and "delete" on <mount>/metadata/<prefix>/* (see the
	// package documentation). Default 0: no sweeper; expired records are
	// still never returned.
	SweepInterval time.Duration
	// Clock returns the current time for expiry. Default time.Now.
	Clock func() time.Time
	// Logger receives the sweeper's and the best-effort clean-ups' messages.
	// Default: discard. Keys, values and tokens are never logged.
	Logger *slog.Logger
}

// Store is a [repository.Store] on a HashiCorp Vault KV v2 secrets engine.
// It also implements [repository.Taker], [repository.Creator] and
// [repository.Lister]. It is safe for concurrent use; several Stores (in
// several processes) may share one mount and prefix.
type Store struct {
	client *api.Client
	mount  string
	prefix string
	clock  func() time.Time
	log    *slog.Logger

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var (
	_ repository.Store   = (*Store)(nil)
	_ repository.Taker   = (*Store)(nil)
	_ repository.Creator = (*Store)(nil)
	_ repository.Lister  = (*Store)(nil)
)

// New returns a Store configured by opts (nil means all defaults). It makes
// no request to Vault; a missing mount or a bad token shows up as an error
// of the first call ([ErrMountNotFound], [ErrPermissionDenied]).
func New(opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	mount, err := cleanPath("mount", o.Mount, DefaultMount)
	if err != nil {
		return nil, err
	}
	prefix, err := cleanPath("prefix", o.Prefix, DefaultPrefix)
	if err != nil {
		return nil, err
	}
	if o.SweepInterval < 0 {
		return nil, errors.New("hcvault: negative sweep interval")
	}
	client := o.Client
	if client == nil {
		client, err = clientFromEnvironment()
		if err != nil {
			return nil, err
		}
	}
	s := &Store{
		client: client,
		mount:  mount,
		prefix: prefix,
		clock:  o.Clock,
		log:    o.Logger,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.SweepInterval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.stop = cancel
		s.done = make(chan struct{})
		go s.sweepLoop(ctx, o.SweepInterval)
	}
	return s, nil
}

// cleanPath trims surrounding slashes from a mount or prefix and rejects
// empty, "." and ".." segments, which Vault would resolve differently.
func cleanPath(what, p, def string) (string, error) {
	if p == "" {
		return def, nil
	}
	p = strings.Trim(p, "/")
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("hcvault: invalid %s %q", what, p)
		}
	}
	return p, nil
}

// clientFromEnvironment builds the client described in [Options.Client].
func clientFromEnvironment() (*api.Client, error) {
	if os.Getenv(api.EnvVaultAddress) == "" {
		return nil, errors.New("hcvault: no client given and " + api.EnvVaultAddress + " is not set")
	}
	if os.Getenv(api.EnvVaultToken) == "" {
		return nil, errors.New("hcvault: no client given and " + api.EnvVaultToken + " is not set")
	}
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("hcvault: vault client configuration: %w", cfg.Error)
	}
	if os.Getenv(api.EnvVaultClientTimeout) == "" {
		cfg.Timeout = DefaultClientTimeout
	}
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("hcvault: vault client: %w", err)
	}
	return client, nil
}

// Close stops the sweeper, if any, and waits for it to return. It does not
// touch the client; the Store stays usable. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
			<-s.done
		}
	})
	return nil
}

// SecretPath returns the path under the mount of the secret that holds key,
// as used by `vault kv get -mount=<mount> <path>`: the prefix, a slash, and
// the key encoded as "k" followed by its unpadded base64url form.
func (s *Store) SecretPath(key string) string {
	return s.prefix + "/" + encodeKey(key)
}

func (s *Store) dataPath(seg string) string {
	return s.mount + "/data/" + s.prefix + "/" + seg
}

func (s *Store) metadataPath(seg string) string {
	return s.mount + "/metadata/" + s.prefix + "/" + seg
}

// notFound is the error of Get and Take for an absent, expired or taken key.
func notFound(op string) error {
	return fmt.Errorf("hcvault: %s: %w", op, repository.ErrNotFound)
}

// Get returns the value stored under key, or an error wrapping
// [repository.ErrNotFound] when there is none, it has expired, it was taken,
// or its latest version was deleted or destroyed by another tool. Reading an
// expired record also removes it (best effort, see [Store.Sweep]).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	seg := encodeKey(key)
	st, err := s.read(ctx, "get", seg)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if st.live(now) {
		return st.rec.value, nil
	}
	if st.expired(now) {
		s.retireQuietly(ctx, "get", seg, st.version)
	}
	return nil, notFound("get")
}

// Set stores value under key as a new version of its secret. A ttl > 0 makes
// the record expire ttl after now (by [Options.Clock]).
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.write(ctx, "set", encodeKey(key), encodeRecord(value, s.expiry(ttl)), -1)
}

func (s *Store) expiry(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return s.clock().Add(ttl).UnixNano()
}

// Delete removes key with all its versions and metadata (KV v2 "delete
// metadata"). Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.deleteMetadata(ctx, "delete", encodeKey(key))
}

// Take returns the value under key and removes it; of several concurrent
// Takes of one key (in any number of processes), exactly one gets the value
// and the others get [repository.ErrNotFound].
//
// It reads the latest version n, then writes a tombstone with check-and-set
// n: Vault accepts exactly one write with cas=n, so that write is the point
// at which the Take happens. The winner then deletes the secret's metadata
// and all its versions; if that fails, the tombstone stays (it reads as
// absent) until a Set or Create replaces it or a Delete or [Store.Sweep]
// removes it.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	seg := encodeKey(key)
	for range maxCASAttempts {
		st, err := s.read(ctx, "take", seg)
		if err != nil {
			return nil, err
		}
		now := s.clock()
		if !st.live(now) {
			if st.expired(now) {
				s.retireQuietly(ctx, "take", seg, st.version)
			}
			return nil, notFound("take")
		}
		err = s.write(ctx, "take", seg, tombstoneRecord(), st.version)
		if errors.Is(err, errCASMismatch) {
			continue // another writer got in first; look again
		}
		if err != nil {
			return nil, err
		}
		// The Take has happened; clean up even if ctx is cancelled now.
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cleanupTimeout())
		if err := s.deleteMetadata(cleanup, "take", seg); err != nil {
			s.log.Warn("hcvault: take: removing the tombstone failed; it reads as absent and the next sweep removes it", "error", err)
		}
		cancel()
		return st.rec.value, nil
	}
	return nil, fmt.Errorf("hcvault: take: the key changed on each of %d attempts: %w", maxCASAttempts, repository.ErrConflict)
}

// Create stores value under key only if there is no live record there; it
// returns an error wrapping [repository.ErrConflict] otherwise. It writes
// with check-and-set 0 ("only if the secret does not exist"); if the secret
// exists but is expired, taken or deleted, it writes with check-and-set on
// that version instead. Of several concurrent Creates of one key, at most
// one succeeds.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	seg := encodeKey(key)
	rec := encodeRecord(value, s.expiry(ttl))
	cas := 0
	for range maxCASAttempts {
		err := s.write(ctx, "create", seg, rec, cas)
		if !errors.Is(err, errCASMismatch) {
			return err
		}
		st, err := s.read(ctx, "create", seg)
		if err != nil {
			return err
		}
		if st.live(s.clock()) {
			return fmt.Errorf("hcvault: create: %w", repository.ErrConflict)
		}
		cas = st.version // 0 if it vanished meanwhile
	}
	return fmt.Errorf("hcvault: create: the key changed on each of %d attempts: %w", maxCASAttempts, repository.ErrConflict)
}

// List returns the live keys that start with prefix. It lists the secrets
// under the store's prefix (KV v2 metadata LIST, so the token needs "list")
// and reads each candidate to leave out expired and taken ones; it costs one
// request per key under the prefix. Secrets under the prefix that this
// package did not write are skipped.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	segs, err := s.listSegments(ctx, "list")
	if err != nil {
		return nil, err
	}
	keys := []string{}
	for _, seg := range segs {
		key, ok := decodeKey(seg)
		if !ok || !strings.HasPrefix(key, prefix) {
			continue
		}
		st, err := s.read(ctx, "list", seg)
		if errors.Is(err, ErrMalformedRecord) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st.live(s.clock()) {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// Sweep removes, once, every secret under the store's prefix whose record
// has expired or is a tombstone, or whose latest version was deleted or
// destroyed. It returns how many it removed. Each removal writes a tombstone
// with check-and-set on the version it read, then deletes the secret's
// metadata, so a record rewritten after the read is kept. Secrets this
// package did not write are left alone. Errors on single keys do not stop
// the sweep; they are joined in the returned error.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	segs, err := s.listSegments(ctx, "sweep")
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, seg := range segs {
		if _, ok := decodeKey(seg); !ok {
			continue
		}
		st, err := s.read(ctx, "sweep", seg)
		if errors.Is(err, ErrMalformedRecord) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if st.version == 0 || st.live(s.clock()) {
			continue
		}
		switch err := s.retire(ctx, "sweep", seg, st.version); {
		case err == nil:
			removed++
		case errors.Is(err, errCASMismatch):
			// Rewritten since the read: no longer ours to remove.
		default:
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

func (s *Store) sweepLoop(ctx context.Context, every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Sweep(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Warn("hcvault: sweep failed", "removed", n, "error", err)
			continue
		}
		s.log.Debug("hcvault: sweep done", "removed", n)
	}
}

// retire removes a dead record that was read at version: it writes a
// tombstone with check-and-set version (failing with errCASMismatch if the
// key was rewritten since), then deletes the secret's metadata.
func (s *Store) retire(ctx context.Context, op, seg string, version int) error {
	if err := s.write(ctx, op, seg, tombstoneRecord(), version); err != nil {
		return err
	}
	return s.deleteMetadata(ctx, op, seg)
}

// retireQuietly is retire for the best-effort clean-up of reads: failures
// (a read-only token, a lost race) are logged at debug level only.
func (s *Store) retireQuietly(ctx context.Context, op, seg string, version int) {
	if err := s.retire(ctx, op, seg, version); err != nil {
		s.log.Debug("hcvault: removing an expired record failed", "op", op, "error", err)
	}
}

// cleanupTimeout bounds the detached clean-up after a successful Take.
func (s *Store) cleanupTimeout() time.Duration {
	if d := s.client.ClientTimeout(); d > 0 {
		return d
	}
	return DefaultClientTimeout
}

// state is what a read found under a key.
type state struct {
	version int    // latest version; 0 when the secret does not exist
	hasData bool   // false when the latest version is deleted or destroyed
	rec     record // valid when hasData
}

func (st state) live(now time.Time) bool {
	return st.hasData && !st.rec.tombstone && !st.rec.expired(now)
}

func (st state) expired(now time.Time) bool {
	return st.hasData && !st.rec.tombstone && st.rec.expired(now)
}

// read fetches the latest version of the secret for seg. A secret that does
// not exist is state{} with no error.
func (s *Store) read(ctx context.Context, op, seg string) (state, error) {
	secret, err := s.readRaw(ctx, op, s.dataPath(seg), nil)
	if err != nil || secret == nil {
		return state{}, err
	}
	md, ok := secret.Data["metadata"].(map[string]any)
	if !ok {
		return state{}, notKVv2(op)
	}
	v, err := integer(md["version"])
	if err != nil || v <= 0 || v > 1<<31-1 {
		return state{}, malformed(op, errors.New("bad version in metadata"))
	}
	st := state{version: int(v)}
	raw, present := secret.Data["data"]
	if !present {
		return state{}, malformed(op, errors.New("no data element"))
	}
	if raw == nil {
		return st, nil // the latest version is deleted or destroyed
	}
	data, ok := raw.(map[string]any)
	if !ok {
		return state{}, malformed(op, fmt.Errorf("data element is %T", raw))
	}
	rec, err := decodeRecord(data)
	if err != nil {
		return state{}, malformed(op, err)
	}
	st.hasData, st.rec = true, rec
	return st, nil
}

// readRaw GETs path (with query values) and parses the response. A 404
// without "no handler for route" means nothing is there: it returns the
// parsed body if it carries data (KV v2 answers 404 with metadata for a
// deleted version) and nil otherwise.
func (s *Store) readRaw(ctx context.Context, op, path string, query map[string][]string) (*api.Secret, error) {
	// The raw read functions ignore the client's timeout; apply it here.
	if d := s.client.ClientTimeout(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	resp, err := s.client.Logical().ReadRawWithDataWithContext(ctx, path, query)
	if resp != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		var re *api.ResponseError
		if resp == nil || !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || mentions(re, "no handler for route") {
			return nil, classify(ctx, op, err)
		}
	}
	secret, err := api.ParseSecret(resp.Body)
	switch {
	case errors.Is(err, io.EOF):
		secret = nil
	case err != nil:
		if ctx.Err() != nil {
			return nil, classify(ctx, op, err)
		}
		return nil, malformed(op, errors.New("response is not JSON"))
	}
	if resp.StatusCode == http.StatusNotFound && (secret == nil || len(secret.Data) == 0) {
		return nil, nil
	}
	if secret == nil {
		return nil, malformed(op, errors.New("empty response"))
	}
	return secret, nil
}

// write puts data as a new version of the secret for seg, with check-and-set
// cas when cas >= 0.
func (s *Store) write(ctx context.Context, op, seg string, data map[string]any, cas int) error {
	body := map[string]any{"data": data}
	if cas >= 0 {
		body["options"] = map[string]any{"cas": cas}
	}
	secret, err := s.client.Logical().WriteWithContext(ctx, s.dataPath(seg), body)
	if err != nil {
		return classify(ctx, op, err)
	}
	// KV v2 answers a write with the new version's metadata; a KV v1 engine
	// (or anything else) at the mount answers without it.
	if secret == nil || secret.Data["version"] == nil {
		return notKVv2(op)
	}
	return nil
}

// deleteMetadata hard-deletes the secret for seg: every version and its
// metadata. KV v2 answers 204 for a secret that does not exist.
func (s *Store) deleteMetadata(ctx context.Context, op, seg string) error {
	if _, err := s.client.Logical().DeleteWithContext(ctx, s.metadataPath(seg)); err != nil {
		return classify(ctx, op, err)
	}
	return nil
}

// listSegments lists the secret names directly under the prefix (not the
// sub-folders). An empty or absent folder gives no names and no error.
func (s *Store) listSegments(ctx context.Context, op string) ([]string, error) {
	secret, err := s.readRaw(ctx, op, s.mount+"/metadata/"+s.prefix, map[string][]string{"list": {"true"}})
	if err != nil || secret == nil {
		return nil, err
	}
	raw, ok := secret.Data["keys"].([]any)
	if !ok {
		return nil, opError(op, nil, "list response has no keys")
	}
	segs := make([]string, 0, len(raw))
	for _, k := range raw {
		name, ok := k.(string)
		if !ok || name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		segs = append(segs, name)
	}
	return segs, nil
}
