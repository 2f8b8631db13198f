// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
)

// MinRSABits is the smallest RSA modulus accepted, in bits.
const MinRSABits = 2048

// family groups algorithms that need the same kind of key.
type family int

const (
	familyHMAC family = iota + 1
	familyRSA         // RSASSA-PKCS1-v1_5
	familyPSS         // RSASSA-PSS
	familyECDSA
	familyEdDSA
)

// algorithm describes one JWS "alg" value.
type algorithm struct {
	name   string
	family family
	hash   crypto.Hash    // HMAC only: the hash whose size the secret needs
	curve  elliptic.Curve // ECDSA only
}

func alg(name string, f family, hash crypto.Hash, curve elliptic.Curve) *algorithm {
	return &algorithm{name: name, family: f, hash: hash, curve: curve}
}

var algorithms = map[string]*algorithm{
	"HS256": alg("HS256", familyHMAC, crypto.SHA256, nil),
	"HS384": alg("HS384", familyHMAC, crypto.SHA384, nil),
	"HS512": alg("HS512", familyHMAC, crypto.SHA512, nil),
	"RS256": alg("RS256", familyRSA, 0, nil),
	"RS384": alg("RS384", familyRSA, 0, nil),
	"RS512": alg("RS512", familyRSA, 0, nil),
	"PS256": alg("PS256", familyPSS, 0, nil),
	"PS384": alg("PS384", familyPSS, 0, nil),
	"PS512": alg("PS512", familyPSS, 0, nil),
	"ES256": alg("ES256", familyECDSA, 0, elliptic.P256()),
	"ES384": alg("ES384", familyECDSA, 0, elliptic.P384()),
	"ES512": alg("ES512", familyECDSA, 0, elliptic.P521()),
	"EdDSA": alg("EdDSA", familyEdDSA, 0, nil),
}

// Algorithms lists every supported "alg" value.
func Algorithms() []string {
	names := make([]string, 0, len(algorithms))
	for n := range algorithms {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Supported reports whether alg is a supported algorithm name. "none" is
// never supported.
func Supported(alg string) bool {
	_, ok := algorithms[alg]
	return ok
}

// IsHMAC reports whether alg is one of HS256, HS384 and HS512.
func IsHMAC(alg string) bool {
	a, ok := algorithms[alg]
	return ok && a.family == familyHMAC
}

// AsymmetricAlgorithms lists the supported public-key algorithms: the
// default set for a [JWKS].
func AsymmetricAlgorithms() []string {
	return []string{"EdDSA", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}
}

// Key is a verification key: an HMAC secret or a public key.
type Key struct {
	// ID is the key id ("kid"); empty for a key configured directly.
	ID string
	// Algorithm, when set, is the only algorithm the key may verify (the
	// JWK "alg" member).
	Algorithm string
	// Secret is the HMAC secret for HS256/384/512. A secret shorter than
	// the hash size is accepted (see verificationKey) but weak.
	Secret []byte
	// Public is an *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Public crypto.PublicKey
}

// Fits reports whether k may verify tokens signed with alg: the key type
// must be the one alg needs (and, for ECDSA, the curve alg names), and the
// key's own Algorithm, when set, must be alg.
func (k *Key) Fits(alg string) bool {
	a, ok := algorithms[alg]
	return ok && k.fits(a)
}

func (k *Key) fits(a *algorithm) bool {
	if k.Algorithm != "" && k.Algorithm != a.name {
		return false
	}
	switch a.family {
	case familyHMAC:
		return len(k.Secret) > 0 && k.Public == nil
	case familyRSA, familyPSS:
		pub, ok := k.Public.(*rsa.PublicKey)
		return ok && len(k.Secret) == 0 && pub.N != nil && pub.N.BitLen() >= MinRSABits
	case familyECDSA:
		pub, ok := k.Public.(*ecdsa.PublicKey)
		return ok && len(k.Secret) == 0 && pub.Curve == a.curve
	case familyEdDSA:
		pub, ok := k.Public.(ed25519.PublicKey)
		return ok && len(k.Secret) == 0 && len(pub) == ed25519.PublicKeySize
	}
	return false
}

// verificationKey is the key handed to go-jose for a, which k fits. A key
// source prepares it once per key, not per token: the conversion of a
// secret to an interface, and the padding below, both allocate.
//
// go-jose refuses HMAC secrets shorter than the hash output (RFC 7518
// §3.2). mcpauth accepts them with a warning at setup, for compatibility
// with issuers using short secrets (permit-fastmcp's examples do). Such a
// secret is passed zero-padded to the hash's block size: HMAC pads every
// key shorter than the block with zeros (RFC 2104 §2), so the MAC is the
// same and the secret is no weaker than it already was.
func (k *Key) verificationKey(a *algorithm) any {
	if a.family != familyHMAC {
		return k.Public
	}
	if len(k.Secret) >= a.hash.Size() {
		return k.Secret
	}
	padded := make([]byte, a.hash.New().BlockSize())
	copy(padded, k.Secret)
	return padded
}

// MinSecretSize returns the secret size RFC 7518 §3.2 requires for the
// HMAC algorithms among algs: the largest of their hash sizes, 0 if there
// are none.
func MinSecretSize(algs []string) int {
	n := 0
	for _, name := range algs {
		if a, ok := algorithms[name]; ok && a.family == familyHMAC {
			n = max(n, a.hash.Size())
		}
	}
	return n
}

// KeyAlgorithms returns the algorithms that fit a public key: RS* and PS*
// for RSA, the one ES* matching an ECDSA key's curve, EdDSA for Ed25519. It
// returns an error for other key types and for RSA keys shorter than
// [MinRSABits].
func KeyAlgorithms(pub crypto.PublicKey) ([]string, error) {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if pub == nil || pub.N == nil {
			return nil, errors.New("jwt: RSA public key is empty")
		}
		if pub.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("jwt: RSA public key has %d bits, fewer than %d", pub.N.BitLen(), MinRSABits)
		}
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, nil
	case *ecdsa.PublicKey:
		if pub == nil {
			return nil, errors.New("jwt: ECDSA public key is empty")
		}
		for _, name := range []string{"ES256", "ES384", "ES512"} {
			if algorithms[name].curve == pub.Curve {
				return []string{name}, nil
			}
		}
		return nil, errors.New("jwt: ECDSA public key is not on P-256, P-384 or P-521")
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return nil, errors.New("jwt: Ed25519 public key has the wrong size")
		}
		return []string{"EdDSA"}, nil
	default:
		return nil, fmt.Errorf("jwt: unsupported public key type %T", pub)
	}
}

// KeyType names the kind of a key for messages: "HMAC secret", "RSA public
// key", "P-256 public key", "Ed25519 public key".
func KeyType(k *Key) string {
	if k.Public == nil {
		return "HMAC secret"
	}
	switch pub := k.Public.(type) {
	case *rsa.PublicKey:
		return "RSA public key"
	case *ecdsa.PublicKey:
		return pub.Curve.Params().Name + " public key"
	case ed25519.PublicKey:
		return "Ed25519 public key"
	}
	return fmt.Sprintf("%T", k.Public)
}

// ParsePublicKeyPEM parses the single PEM block in data: a "PUBLIC KEY"
// (PKIX), "RSA PUBLIC KEY" (PKCS #1) or "CERTIFICATE" block. The key must be
// RSA (at least [MinRSABits] bits), ECDSA on P-256/384/521, or Ed25519.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("jwt: no PEM block found")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("jwt: more than one PEM block")
	}
	var (
		pub any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			pub = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("jwt: PEM block type %q is not a public key or certificate", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("jwt: parsing %s: %w", block.Type, err)
	}
	if _, err := KeyAlgorithms(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// A KeySource finds the key for a token. [StaticKey] and [*JWKS] implement
// it.
type KeySource interface {
	// key returns the key for a token with key id kid (possibly empty)
	// signed with a, and the value go-jose verifies a with (see
	// verificationKey). The key must fit a.
	key(ctx context.Context, kid string, a *algorithm) (*Key, any, error)
}

// StaticKey returns a [KeySource] that always uses k, whatever key id a
// token names. It prepares k for go-jose once, so k's Secret must not be
// modified afterwards.
func StaticKey(k Key) KeySource {
	s := &staticKey{k: k, verify: make(map[*algorithm]any)}
	for _, a := range algorithms {
		if k.fits(a) {
			s.verify[a] = k.verificationKey(a)
		}
	}
	return s
}

type staticKey struct {
	k Key
	// verify holds k.verificationKey(a) for each a that k fits.
	verify map[*algorithm]any
}

func (s *staticKey) key(_ context.Context, _ string, a *algorithm) (*Key, any, error) {
	if !s.k.fits(a) {
		return nil, nil, ErrKeyMismatch
	}
	return &s.k, s.verify[a], nil
}

// findKey selects the key for kid and a from keys: the key with that id when
// kid is set, otherwise the only key that fits a.
func findKey(keys []Key, kid string, a *algorithm) (*Key, error) {
	if kid != "" {
		found := false
		for i := range keys {
			if keys[i].ID != kid {
				continue
			}
			if keys[i].fits(a) {
				return &keys[i], nil
			}
			found = true
		}
		if found {
			return nil, ErrKeyMismatch
		}
		return nil, ErrNoKey
	}
	var match *Key
	for i := range keys {
		if !keys[i].fits(a) {
			continue
		}
		if match != nil {
			return nil, ErrAmbiguousKey
		}
		match = &keys[i]
	}
	if match == nil {
		return nil, ErrNoKey
	}
	return match, nil
}
