// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
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

	mu          sync.Mutex // guards the fields below
	keys        []Key
	fetched     bool      // keys holds a successfully fetched set
	fetchedAt   time.Time // time of the last successful fetch
	lastAttempt time.Time // time the last fetch started
	inflight    *fetchCall
}

// fetchCall is one fetch that concurrent callers wait for.
type fetchCall struct {
	done chan struct{} // closed when the fetch has finished
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

func (s *JWKS) key(ctx context.Context, kid string, a *algorithm) (*Key, error) {
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		now := s.now()
		fresh := s.fetched && now.Before(s.fetchedAt.Add(s.refresh))
		k, err := findKey(s.keys, kid, a)
		// A refetch can help when the keys are stale or the key id is
		// unknown; not when the key exists but does not fit.
		if attempt > 0 || (fresh && !errors.Is(err, ErrNoKey)) {
			s.mu.Unlock()
			return k, s.keyError(err)
		}
		if s.inflight == nil && !s.mayFetch(now) {
			s.mu.Unlock()
			return k, s.keyError(err)
		}
		if err := s.fetchLocked(ctx); err != nil {
			return nil, err
		}
	}
}

// keyError is err, or ErrNoKey wrapping ErrJWKSFetch when no key set has
// ever been fetched.
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

// fetchLocked is called with s.mu held and returns with it released. It
// joins the fetch in flight, or starts one, and waits for it to finish. It
// returns an error only when ctx ends first.
func (s *JWKS) fetchLocked(ctx context.Context) error {
	if c := s.inflight; c != nil {
		s.mu.Unlock()
		select {
		case <-c.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := &fetchCall{done: make(chan struct{})}
	s.inflight = c
	s.lastAttempt = s.now()
	s.mu.Unlock()

	var (
		keys []Key
		err  error
	)
	defer func() {
		s.mu.Lock()
		if err == nil {
			s.keys, s.fetched, s.fetchedAt = keys, true, s.now()
		}
		s.inflight = nil
		close(c.done)
		s.mu.Unlock()
	}()
	// The fetch serves every waiting caller, so it must not end when the
	// caller that happened to start it goes away.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultFetchTimeout)
	defer cancel()
	keys, err = s.fetch(fctx)
	if err != nil {
		s.logger.WarnContext(ctx, "jwt: JWKS fetch failed; keeping the previous keys", "url", s.url, "error", err)
	}
	return nil
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

// jwk is the subset of RFC 7517/7518/8037 members the verifier uses.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// ParseJWKS parses a JSON Web Key Set. It returns the usable signature
// verification keys (RSA, EC on P-256/384/521, OKP Ed25519) and a
// description of every key it skipped (symmetric keys, encryption keys,
// unknown types, malformed or weak keys). A set with no usable key is an
// error.
func ParseJWKS(data []byte) (keys []Key, skipped []string, err error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, nil, fmt.Errorf("%w: invalid JSON", ErrJWKSFetch)
	}
	for i, raw := range set.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: invalid JSON", i))
			continue
		}
		k, err := j.key()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, j.Kid, err))
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("%w: no usable keys", ErrJWKSFetch)
	}
	return keys, skipped, nil
}

// decodeJWKField decodes a base64url member, tolerating padding that some
// servers add.
func decodeJWKField(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (j *jwk) key() (Key, error) {
	if j.Use != "" && j.Use != "sig" {
		return Key{}, fmt.Errorf("use %q is not sig", j.Use)
	}
	k := Key{ID: j.Kid, Algorithm: j.Alg}
	if j.Alg != "" {
		a, ok := algorithms[j.Alg]
		if !ok || a.family == familyHMAC {
			return Key{}, fmt.Errorf("unsupported alg %q", j.Alg)
		}
	}
	switch j.Kty {
	case "RSA":
		n, err := decodeJWKField(j.N)
		if err != nil || len(n) == 0 {
			return Key{}, errors.New("bad n")
		}
		e, err := decodeJWKField(j.E)
		if err != nil || len(e) == 0 || len(e) > 4 {
			return Key{}, errors.New("bad e")
		}
		var exp int
		for _, b := range e {
			exp = exp<<8 | int(b)
		}
		if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
			return Key{}, errors.New("bad e")
		}
		k.Public = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return Key{}, fmt.Errorf("unsupported crv %q", j.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, errX := decodeJWKField(j.X)
		y, errY := decodeJWKField(j.Y)
		if errX != nil || errY != nil || len(x) != size || len(y) != size {
			return Key{}, errors.New("bad x or y")
		}
		point := make([]byte, 0, 1+2*size)
		point = append(append(append(point, 4), x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return Key{}, errors.New("point not on curve")
		}
		k.Public = pub
	case "OKP":
		if j.Crv != "Ed25519" {
			return Key{}, fmt.Errorf("unsupported crv %q", j.Crv)
		}
		x, err := decodeJWKField(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return Key{}, errors.New("bad x")
		}
		k.Public = ed25519.PublicKey(x)
	default:
		return Key{}, fmt.Errorf("unsupported kty %q", j.Kty)
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
