// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// MaxTokenSize is the largest token accepted, in bytes.
const MaxTokenSize = 16 << 10

// Verification errors. Their messages never contain token text, so they may
// be logged; they are a closed vocabulary callers can report.
var (
	ErrTooLarge       = errors.New("jwt: token too large")
	ErrMalformed      = errors.New("jwt: malformed token")
	ErrAlgorithm      = errors.New("jwt: algorithm not allowed")
	ErrCritical       = errors.New("jwt: unsupported critical header")
	ErrNoKey          = errors.New("jwt: no key for token")
	ErrAmbiguousKey   = errors.New("jwt: token has no key id and several keys fit")
	ErrKeyMismatch    = errors.New("jwt: key does not fit the token's algorithm")
	ErrSignature      = errors.New("jwt: invalid signature")
	ErrExpired        = errors.New("jwt: token expired")
	ErrNotYetValid    = errors.New("jwt: token not yet valid")
	ErrIssuedInFuture = errors.New("jwt: token issued in the future")
	ErrMissingExpiry  = errors.New("jwt: token has no expiry")
	ErrIssuer         = errors.New("jwt: wrong issuer")
	ErrAudience       = errors.New("jwt: wrong audience")
)

// verificationErrors lists the sentinel errors, most specific first.
var verificationErrors = []error{
	ErrTooLarge, ErrMalformed, ErrAlgorithm, ErrCritical, ErrNoKey, ErrAmbiguousKey,
	ErrKeyMismatch, ErrSignature, ErrExpired, ErrNotYetValid, ErrIssuedInFuture,
	ErrMissingExpiry, ErrIssuer, ErrAudience,
}

// Reason returns the message of the sentinel error err wraps (such as
// "jwt: token expired"), or "jwt: invalid token" when it wraps none. Unlike
// err.Error() it never includes details such as a key server's address.
func Reason(err error) string {
	for _, s := range verificationErrors {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "jwt: invalid token"
}

// Header is the decoded JOSE header of a token.
type Header struct {
	// Algorithm is the "alg" member.
	Algorithm string
	// KeyID is the "kid" member, when present.
	KeyID string
	// Type is the "typ" member, when present.
	Type string
}

// Token is a verified token.
type Token struct {
	Header Header
	// Claims holds the payload; numbers are json.Number.
	Claims map[string]any
	// Expiry, NotBefore and IssuedAt are exp, nbf and iat; zero when absent.
	Expiry, NotBefore, IssuedAt time.Time
}

// parsed is a token go-jose has parsed, after the checks go-jose does not
// make: its size, its shape and the canonical encoding of every segment.
type parsed struct {
	header       Header
	signingInput string // base64url(header) "." base64url(payload)
	jws          *jose.JSONWebSignature
}

// b64Alphabet marks the base64url characters.
var b64Alphabet = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// canonicalSegment reports whether s is non-empty unpadded base64url with
// zero trailing bits: the only spelling base64.RawURLEncoding.Strict()
// decodes. go-jose decodes leniently (CR and LF skipped, trailing bits
// ignored), so without this check several strings would verify as one
// token.
func canonicalSegment(s string) bool {
	if s == "" || len(s)%4 == 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !b64Alphabet[s[i]] {
			return false
		}
	}
	// The last character of a 2- or 3-character group carries 4 or 2
	// bits that are not part of the data; they must be zero.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", s[len(s)-1])
	switch len(s) % 4 {
	case 2:
		return last&0x0f == 0
	case 3:
		return last&0x03 == 0
	}
	return true
}

// parse checks the size and shape of a compact JWS and the encoding of its
// segments, then lets go-jose parse it, admitting only the algorithms in
// allow. go-jose refuses duplicate header members; the header members that
// would change how go-jose verifies are refused here.
func parse(token string, allow []jose.SignatureAlgorithm) (parsed, error) {
	if len(token) > MaxTokenSize {
		return parsed{}, ErrTooLarge
	}
	h, rest, ok := strings.Cut(token, ".")
	if !ok {
		return parsed{}, ErrMalformed
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return parsed{}, ErrMalformed
	}
	if !canonicalSegment(h) || !canonicalSegment(p) || !canonicalSegment(s) {
		return parsed{}, ErrMalformed
	}
	jws, err := jose.ParseSignedCompact(token, allow)
	if err != nil {
		var unexpected *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &unexpected) && unexpected.Got != "" {
			return parsed{}, ErrAlgorithm
		}
		// No (string) alg, no JSON object, a duplicate member, a kid
		// that is not a string, ...
		return parsed{}, ErrMalformed
	}
	jh := jws.Signatures[0].Header
	// "crit" names extensions the verifier would have to understand. "b64"
	// (RFC 7797) is one go-jose honours even without "crit": it changes
	// the signing input, so it would give a second spelling of a payload.
	for _, name := range []jose.HeaderKey{"crit", "b64"} {
		if _, present := jh.ExtraHeaders[name]; present {
			return parsed{}, ErrCritical
		}
	}
	header := Header{Algorithm: jh.Algorithm, KeyID: jh.KeyID}
	if v, present := jh.ExtraHeaders[jose.HeaderType]; present {
		typ, ok := v.(string)
		if !ok {
			return parsed{}, ErrMalformed
		}
		header.Type = typ
	}
	return parsed{header: header, signingInput: token[:len(h)+1+len(p)], jws: jws}, nil
}

// decodeObject decodes a JSON object with numbers as json.Number, as
// encoding/json does with UseNumber, and refuses anything else: invalid
// JSON, trailing data, and duplicate member names (also when spelled with
// different escapes), which encoding/json would collapse silently.
//
// The payload is copied into one string, and member names, plain ASCII
// string values and numbers at the top level are slices of it: one
// allocation instead of one per name and value. The claims keep the whole
// payload (at most [MaxTokenSize]) alive while they are referenced.
func decodeObject(data []byte) (map[string]any, error) {
	if !jsonscan.Valid(data) {
		return nil, ErrMalformed
	}
	i := jsonscan.SkipSpace(data, 0)
	if data[i] != '{' {
		return nil, ErrMalformed
	}
	text := string(data)
	m := make(map[string]any, 8)
	dup := false
	jsonscan.Members(data, i, func(name, value int) int {
		key := plainString(data, text, name)
		_, seen := m[key]
		dup = dup || seen
		var (
			v   any
			end int
		)
		switch c := data[value]; {
		case c == '"':
			end, _ = jsonscan.SkipString(data, value)
			v = plainString(data, text, value)
		case c == '-' || '0' <= c && c <= '9':
			end = jsonscan.SkipScalar(data, value)
			v = json.Number(text[value:end])
		default:
			v, end = jsonscan.Value(data, value)
		}
		m[key] = v
		return end
	})
	if dup {
		return nil, ErrMalformed
	}
	return m, nil
}

// plainString decodes the string opening at data[i], a slice of text (a
// copy of data) when it has neither escapes nor non-ASCII bytes, decoded
// as [jsonscan.String] does otherwise.
func plainString(data []byte, text string, i int) string {
	raw, end, esc := jsonscan.StringSpan(data, i)
	if !esc && jsonscan.IsASCII(raw) {
		return text[i+1 : end-1]
	}
	return jsonscan.String(raw, esc)
}

// Config configures a [Verifier].
type Config struct {
	// Keys finds verification keys. Required.
	Keys KeySource
	// Algorithms are the accepted "alg" values. Required.
	Algorithms []string
	// Issuer, when set, must equal the "iss" claim.
	Issuer string
	// Audience, when set, must be the "aud" claim or one of its elements.
	Audience string
	// Leeway is the clock skew tolerated for exp, nbf and iat.
	Leeway time.Duration
	// RequireExpiry rejects tokens without "exp".
	RequireExpiry bool
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// CacheSize, when positive, keeps up to this many verified tokens so
	// that repeated tokens skip signature verification. Cached tokens are
	// re-checked against the clock and dropped at their expiry.
	CacheSize int
	// CacheTTL bounds how long a verified token is reused. Default
	// DefaultCacheTTL.
	CacheTTL time.Duration
}

// DefaultCacheTTL is the default Config.CacheTTL.
const DefaultCacheTTL = time.Minute

// Verifier verifies tokens. It is safe for concurrent use.
type Verifier struct {
	keys          KeySource
	algs          []*algorithm
	allow         []jose.SignatureAlgorithm // the names of algs, for go-jose
	issuer        string
	audience      string
	anyAudience   josejwt.Audience // {audience}, or nil when audience is empty
	leeway        time.Duration
	requireExpiry bool
	now           func() time.Time
	cache         *tokenCache // nil when disabled
}

// NewVerifier returns a verifier for c. It refuses an empty or unknown
// algorithm list, a static key that does not fit every algorithm, and HMAC
// algorithms with a [JWKS].
func NewVerifier(c Config) (*Verifier, error) {
	if c.Keys == nil {
		return nil, errors.New("jwt: no key source")
	}
	if len(c.Algorithms) == 0 {
		return nil, errors.New("jwt: no algorithms")
	}
	if c.Leeway < 0 {
		return nil, errors.New("jwt: negative leeway")
	}
	v := &Verifier{
		keys:          c.Keys,
		issuer:        c.Issuer,
		audience:      c.Audience,
		leeway:        c.Leeway,
		requireExpiry: c.RequireExpiry,
		now:           c.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.audience != "" {
		v.anyAudience = josejwt.Audience{v.audience}
	}
	for _, name := range c.Algorithms {
		a, ok := algorithms[name]
		if !ok {
			return nil, fmt.Errorf("jwt: unknown algorithm %q", name)
		}
		switch ks := c.Keys.(type) {
		case *staticKey:
			if !ks.k.fits(a) {
				return nil, fmt.Errorf("jwt: algorithm %s does not fit the %s", name, KeyType(&ks.k))
			}
		case *JWKS:
			if a.family == familyHMAC {
				return nil, fmt.Errorf("jwt: algorithm %s cannot be used with a JWKS", name)
			}
		}
		v.algs = append(v.algs, a)
		v.allow = append(v.allow, jose.SignatureAlgorithm(name))
	}
	if c.CacheSize > 0 {
		ttl := c.CacheTTL
		if ttl <= 0 {
			ttl = DefaultCacheTTL
		}
		v.cache = newTokenCache(c.CacheSize, ttl)
	}
	return v, nil
}

func (v *Verifier) algorithm(name string) *algorithm {
	for _, a := range v.algs {
		if a.name == name {
			return a
		}
	}
	return nil
}

// Verify parses token, checks its signature and its claims, and returns it.
// Errors wrap one of the package's sentinel errors.
func (v *Verifier) Verify(ctx context.Context, token string) (*Token, error) {
	if v.cache != nil && len(token) <= maxCachedTokenSize {
		if t := v.cache.get(token, v.now()); t != nil {
			return t, nil
		}
	}
	allow := v.allow
	if allow == nil { // a Verifier not made by NewVerifier
		for _, a := range v.algs {
			allow = append(allow, jose.SignatureAlgorithm(a.name))
		}
	}
	p, err := parse(token, allow)
	if err != nil {
		return nil, err
	}
	a := v.algorithm(p.header.Algorithm)
	if a == nil {
		return nil, ErrAlgorithm
	}
	k, vk, err := v.keys.key(ctx, p.header.KeyID, a)
	if err != nil {
		return nil, err
	}
	// Defence in depth: whatever the key source, never let a key verify
	// an algorithm of another kind.
	if !k.fits(a) {
		return nil, ErrKeyMismatch
	}
	payload, err := p.jws.Verify(vk)
	if err != nil {
		return nil, ErrSignature
	}
	claims, err := decodeObject(payload)
	if err != nil {
		return nil, err
	}
	t := &Token{Header: p.header, Claims: claims}
	now := v.now()
	if err := v.validate(t, now); err != nil {
		return nil, err
	}
	if v.cache != nil {
		var until time.Time
		if !t.Expiry.IsZero() {
			until = t.Expiry.Add(v.leeway)
		}
		v.cache.put(token, t, now, until)
	}
	return t, nil
}

// validate reads the registered claims strictly (a NumericDate must be a
// non-negative number below year 10000, exp is required unless allowed
// missing, and the token is expired from the instant exp+leeway on, as
// RFC 7519 §4.1.4 says) and then lets go-jose check the issuer, the
// audience and the three times with the leeway.
func (v *Verifier) validate(t *Token, now time.Time) error {
	var err error
	if t.Expiry, err = numericDate(t.Claims, "exp"); err != nil {
		return err
	}
	if t.NotBefore, err = numericDate(t.Claims, "nbf"); err != nil {
		return err
	}
	if t.IssuedAt, err = numericDate(t.Claims, "iat"); err != nil {
		return err
	}
	if t.Expiry.IsZero() {
		if v.requireExpiry {
			return ErrMissingExpiry
		}
	} else if !now.Before(t.Expiry.Add(v.leeway)) {
		// go-jose still accepts a token at exactly exp+leeway.
		return ErrExpired
	}
	var dates [3]josejwt.NumericDate // one allocation for the three
	c := josejwt.Claims{
		Expiry:    wholeSeconds(&dates[0], t.Expiry, math.Floor),
		NotBefore: wholeSeconds(&dates[1], t.NotBefore, math.Ceil),
		IssuedAt:  wholeSeconds(&dates[2], t.IssuedAt, math.Ceil),
	}
	// A non-string "iss" stays empty and fails a configured Issuer.
	c.Issuer, _ = t.Claims["iss"].(string)
	switch aud := t.Claims["aud"].(type) {
	case string:
		c.Audience = josejwt.Audience{aud}
	case []any:
		for _, a := range aud {
			if s, ok := a.(string); ok {
				c.Audience = append(c.Audience, s)
			}
		}
	}
	want := josejwt.Expected{Issuer: v.issuer, AnyAudience: v.anyAudience, Time: now}
	if want.AnyAudience == nil && v.audience != "" { // a Verifier not made by NewVerifier
		want.AnyAudience = josejwt.Audience{v.audience}
	}
	switch err := c.ValidateWithLeeway(want, v.leeway); {
	case err == nil:
		return nil
	case errors.Is(err, josejwt.ErrExpired):
		return ErrExpired
	case errors.Is(err, josejwt.ErrNotValidYet):
		return ErrNotYetValid
	case errors.Is(err, josejwt.ErrIssuedInTheFuture):
		return ErrIssuedInFuture
	case errors.Is(err, josejwt.ErrInvalidIssuer):
		return ErrIssuer
	case errors.Is(err, josejwt.ErrInvalidAudience):
		return ErrAudience
	default:
		return fmt.Errorf("%w: claims", ErrMalformed)
	}
}

// wholeSeconds converts t to go-jose's whole-second NumericDate, rounding
// with round (down for exp, up for nbf and iat, so that go-jose's check is
// never more lenient than the exact value), stored in *d; nil for the zero
// time.
func wholeSeconds(d *josejwt.NumericDate, t time.Time, round func(float64) float64) *josejwt.NumericDate {
	if t.IsZero() {
		return nil
	}
	*d = josejwt.NumericDate(round(float64(t.Unix()) + float64(t.Nanosecond())/1e9))
	return d
}

// maxNumericDate is 9999-12-31T23:59:59Z.
const maxNumericDate = 253402300799

// numericDate reads an RFC 7519 NumericDate claim; absent means zero time.
func numericDate(claims map[string]any, name string) (time.Time, error) {
	v, ok := claims[name]
	if !ok {
		return time.Time{}, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: %s is not a number", ErrMalformed, name)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, fmt.Errorf("%w: %s is out of range", ErrMalformed, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
