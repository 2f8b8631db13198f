// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
)

// JWKS defaults.
const (
	// DefaultJWKSRefresh is how long fetched keys are reused.
	DefaultJWKSRefresh = 10 * time.Minute
	// DefaultMinRefetch is the shortest time between two fetches caused by
	// unknown key ids or failed refreshes.
	DefaultMinRefetch = time.Minute
	// DefaultFetchTimeout bounds one fetch.
	DefaultFetchTimeout = 10 * time.Second
	// MaxJWKSSize is the largest key set document accepted, in bytes.
	MaxJWKSSize = 1 << 20
)

// ErrJWKSFetch wraps failures to fetch or parse a key set.
var ErrJWKSFetch = errors.New("jwt: fetching JWKS failed")

// JWKSOptions configures a [JWKS].
type JWKSOptions struct {
	// URL is the key set's address. Required.
	URL string
	// Client fetches URL. Nil means a client with a DefaultFetchTimeout
	// timeout.
	Client *http.Client
	// Refresh is how long fetched keys are reused. Default
	// [DefaultJWKSRefresh].
	Refresh time.Duration
	// MinRefetch is the shortest time between two fetch attempts once a
	// fetch has been made. Default the smaller of [DefaultMinRefetch] and
	// Refresh.
	MinRefetch time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Logger receives fetch failures. Nil discards them.
	Logger *slog.Logger
}

// JWKS is a [KeySource] backed by a JSON Web Key Set ([RFC 7517]) fetched
// from a URL. It is safe for concurrent use.
//
// [RFC 7517]: https://www.rfc-editor.org/rfc/rfc7517
type JWKS struct {
	url        string
	client     *http.Client
	refresh    time.Duration
	minRefetch time.Duration
	now        func() time.Time
	logger     *slog.Logger
	// group coalesces concurrent fetches into one request.
	group singleflight.Group

	mu          sync.Mutex // guards the fields below
	keys        []Key
	fetched     bool      // keys holds a successfully fetched set
	fetchedAt   time.Time // time of the last successful fetch
	lastAttempt time.Time // time the last fetch started
	fetching    bool      // a fetch is in flight
}

// NewJWKS returns a key set for o. It fetches nothing until first used.
func NewJWKS(o JWKSOptions) (*JWKS, error) {
	if o.URL == "" {
		return nil, errors.New("jwt: JWKS URL is empty")
	}
	if o.Refresh < 0 || o.MinRefetch < 0 {
		return nil, errors.New("jwt: negative JWKS interval")
	}
	s := &JWKS{
		url:        o.URL,
		client:     o.Client,
		refresh:    o.Refresh,
		minRefetch: o.MinRefetch,
		now:        o.Now,
		logger:     o.Logger,
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: DefaultFetchTimeout}
	}
	if s.refresh == 0 {
		s.refresh = DefaultJWKSRefresh
	}
	if s.minRefetch == 0 {
		s.minRefetch = min(DefaultMinRefetch, s.refresh)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func (s *JWKS) key(ctx context.Context, kid string, a *algorithm) (*Key, any, error) {
	k, err := s.find(ctx, kid, a)
	if err != nil {
		return nil, nil, err
	}
	// A JWKS holds public keys only: the key itself is what go-jose takes.
	return k, k.verificationKey(a), nil
}

// find returns the key for a token with key id kid signed with a,
// fetching the set when it is stale or lacks kid.
func (s *JWKS) find(ctx context.Context, kid string, a *algorithm) (*Key, error) {
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		now := s.now()
		fresh := s.fetched && now.Before(s.fetchedAt.Add(s.refresh))
		k, err := findKey(s.keys, kid, a)
		// A refetch can help when the keys are stale or the key id is
		// unknown; not when the key exists but does not fit. A caller
		// that would need one within the minimum interval uses what
		// there is, unless a fetch is in flight: then it waits for it.
		wait := attempt == 0 && (!fresh || errors.Is(err, ErrNoKey)) && (s.fetching || s.mayFetch(now))
		if !wait {
			err = s.keyError(err)
			s.mu.Unlock()
			return k, err
		}
		s.mu.Unlock()
		// The fetch serves every waiting caller, so it runs detached
		// from the context of the caller that happened to start it.
		done := s.group.DoChan("", func() (any, error) {
			s.refetch(context.WithoutCancel(ctx))
			return nil, nil
		})
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// keyError is err, or ErrNoKey wrapping ErrJWKSFetch when no key set has
// ever been fetched. Called with s.mu held.
func (s *JWKS) keyError(err error) error {
	if err != nil && !s.fetched {
		return fmt.Errorf("%w (%w)", ErrNoKey, ErrJWKSFetch)
	}
	return err
}

// mayFetch reports whether a new fetch may start at now. Called with s.mu
// held.
func (s *JWKS) mayFetch(now time.Time) bool {
	return s.lastAttempt.IsZero() || !now.Before(s.lastAttempt.Add(s.minRefetch))
}

// refetch fetches the key set unless the minimum interval since the last
// attempt has not passed, and keeps the keys of a successful fetch. A
// failed fetch keeps the previous keys. It is the only place that starts
// a fetch, so the minimum interval holds however callers race.
func (s *JWKS) refetch(ctx context.Context) {
	s.mu.Lock()
	if !s.mayFetch(s.now()) {
		s.mu.Unlock()
		return
	}
	s.lastAttempt, s.fetching = s.now(), true
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, DefaultFetchTimeout)
	defer cancel()
	keys, err := s.fetch(ctx)
	if err != nil {
		s.logger.WarnContext(ctx, "jwt: JWKS fetch failed; keeping the previous keys", "url", s.url, "error", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.keys, s.fetched, s.fetchedAt = keys, true, s.now()
	}
	s.fetching = false
}

// fetch downloads and parses the key set.
func (s *JWKS) fetch(ctx context.Context) ([]Key, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, MaxJWKSSize))
		return nil, fmt.Errorf("%w: HTTP status %d", ErrJWKSFetch, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSFetch, err)
	}
	if len(body) > MaxJWKSSize {
		return nil, fmt.Errorf("%w: key set larger than %d bytes", ErrJWKSFetch, MaxJWKSSize)
	}
	keys, skipped, err := ParseJWKS(body)
	if err != nil {
		return nil, err
	}
	for _, msg := range skipped {
		s.logger.DebugContext(ctx, "jwt: JWKS key skipped", "url", s.url, "reason", msg)
	}
	return keys, nil
}

// ParseJWKS parses a JSON Web Key Set with go-jose, one key at a time. It
// returns the usable signature verification keys (RSA, EC on
// P-256/384/521, OKP Ed25519) and a description of every key it skipped
// (symmetric keys, private keys, encryption keys, unknown types, malformed
// or weak keys). A set with no usable key is an error.
func ParseJWKS(data []byte) (keys []Key, skipped []string, err error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, nil, fmt.Errorf("%w: invalid JSON", ErrJWKSFetch)
	}
	for i, raw := range set.Keys {
		var members map[string]any
		if err := json.Unmarshal(raw, &members); err != nil || members == nil {
			skipped = append(skipped, fmt.Sprintf("key %d: invalid JSON", i))
			continue
		}
		kid, _ := members["kid"].(string)
		k, err := parseJWK(members)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, kid, err))
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("%w: no usable keys", ErrJWKSFetch)
	}
	return keys, skipped, nil
}

// jwkBase64Members are the JWK members holding base64url data (RFC 7518
// §6).
var jwkBase64Members = []string{"n", "e", "x", "y", "d", "p", "q", "dp", "dq", "qi", "k"}

// parseJWK parses one key of a set with go-jose and applies the
// verifier's rules to it.
func parseJWK(members map[string]any) (Key, error) {
	use, _ := members["use"].(string)
	if use != "" && use != "sig" {
		return Key{}, fmt.Errorf("use %q is not sig", use)
	}
	alg, _ := members["alg"].(string)
	if alg != "" {
		a, ok := algorithms[alg]
		if !ok || a.family == familyHMAC {
			return Key{}, fmt.Errorf("unsupported alg %q", alg)
		}
	}
	// Name the curves the verifier does not support; go-jose's own
	// message does not.
	switch crv, _ := members["crv"].(string); members["kty"] {
	case "EC":
		if crv != "P-256" && crv != "P-384" && crv != "P-521" {
			return Key{}, fmt.Errorf("unsupported crv %q", crv)
		}
	case "OKP":
		if crv != "Ed25519" {
			return Key{}, fmt.Errorf("unsupported crv %q", crv)
		}
	}
	// Some servers pad base64url members; go-jose decodes them unpadded.
	for _, name := range jwkBase64Members {
		if v, ok := members[name].(string); ok {
			members[name] = strings.TrimRight(v, "=")
		}
	}
	data, err := json.Marshal(members)
	if err != nil {
		return Key{}, errors.New("invalid JSON")
	}
	var jk jose.JSONWebKey
	if err := jk.UnmarshalJSON(data); err != nil {
		return Key{}, errors.New(strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	k := Key{ID: jk.KeyID, Algorithm: jk.Algorithm}
	switch pub := jk.Key.(type) {
	case *rsa.PublicKey:
		// go-jose accepts any exponent from 2; RSA needs an odd one.
		if pub.E < 3 || pub.E%2 == 0 {
			return Key{}, errors.New("bad e")
		}
		k.Public = pub
	case *ecdsa.PublicKey, ed25519.PublicKey:
		k.Public = pub
	case []byte:
		return Key{}, fmt.Errorf("unsupported kty %q", members["kty"])
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		// Whoever can read the set can sign with this key.
		return Key{}, errors.New("private key in a public key set")
	default:
		return Key{}, fmt.Errorf("unsupported kty %q", members["kty"])
	}
	fits, err := KeyAlgorithms(k.Public)
	if err != nil {
		return Key{}, err
	}
	if k.Algorithm != "" && !k.Fits(k.Algorithm) {
		return Key{}, fmt.Errorf("alg %q does not fit the key (%v)", k.Algorithm, fits)
	}
	return k, nil
}
