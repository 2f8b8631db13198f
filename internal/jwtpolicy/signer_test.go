// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
)

// testKeys are generated once per test binary: RSA generation is slow.
type testKeys struct {
	secret []byte
	rsa    *rsa.PrivateKey
	rsa2   *rsa.PrivateKey // a second, unrelated RSA key
	rsa1k  *rsa.PrivateKey // too short to be accepted
	p256   *ecdsa.PrivateKey
	p384   *ecdsa.PrivateKey
	p521   *ecdsa.PrivateKey
	ed     ed25519.PrivateKey
}

var keysOnce = sync.OnceValue(func() *testKeys {
	must := func(k any, err error) any {
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &testKeys{
		secret: []byte("0123456789abcdef0123456789abcdef-test-secret"),
		rsa:    must(rsa.GenerateKey(rand.Reader, 2048)).(*rsa.PrivateKey),
		rsa2:   must(rsa.GenerateKey(rand.Reader, 2048)).(*rsa.PrivateKey),
		rsa1k:  must(rsa.GenerateKey(rand.Reader, 1024)).(*rsa.PrivateKey),
		p256:   must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).(*ecdsa.PrivateKey),
		p384:   must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)).(*ecdsa.PrivateKey),
		p521:   must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)).(*ecdsa.PrivateKey),
		ed:     ed,
	}
})

func keys(tb testing.TB) *testKeys {
	tb.Helper()
	return keysOnce()
}

// signingKey returns the private key (or secret) that signs alg.
func (k *testKeys) signingKey(alg string) any {
	switch alg {
	case "HS256", "HS384", "HS512":
		return k.secret
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return k.rsa
	case "ES256":
		return k.p256
	case "ES384":
		return k.p384
	case "ES512":
		return k.p521
	case "EdDSA":
		return k.ed
	}
	panic("unknown alg " + alg)
}

// publicKey returns the verification key for alg.
func (k *testKeys) publicKey(alg string) Key {
	switch priv := k.signingKey(alg).(type) {
	case []byte:
		return Key{Secret: priv}
	case crypto.Signer:
		return Key{Public: priv.Public()}
	}
	panic("unreachable")
}

// encodeSegment base64url-encodes v, or the raw JSON when v is a string.
func encodeSegment(tb testing.TB, v any) string {
	tb.Helper()
	var data []byte
	switch v := v.(type) {
	case string:
		data = []byte(v)
	default:
		var err error
		data, err = json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// sign builds a compact JWS. header and claims are JSON-marshalled maps or
// raw JSON strings; header's "alg" is used as given. key is an HMAC secret
// ([]byte), *rsa.PrivateKey (PKCS #1 v1.5 for RS*, PSS for PS*),
// *ecdsa.PrivateKey (raw r||s) or ed25519.PrivateKey.
func sign(tb testing.TB, alg string, key any, header, claims any) string {
	tb.Helper()
	input := encodeSegment(tb, header) + "." + encodeSegment(tb, claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(signature(tb, alg, key, input))
}

func hashFor(alg string) crypto.Hash {
	switch alg[2:] {
	case "256":
		return crypto.SHA256
	case "384":
		return crypto.SHA384
	default:
		return crypto.SHA512
	}
}

func signature(tb testing.TB, alg string, key any, input string) []byte {
	tb.Helper()
	if alg == "EdDSA" {
		return ed25519.Sign(key.(ed25519.PrivateKey), []byte(input))
	}
	h := hashFor(alg)
	if alg[:2] == "HS" {
		mac := hmac.New(h.New, key.([]byte))
		mac.Write([]byte(input))
		return mac.Sum(nil)
	}
	hh := h.New()
	hh.Write([]byte(input))
	d := hh.Sum(nil)
	switch alg[:2] {
	case "RS":
		sig, err := rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), h, d)
		if err != nil {
			tb.Fatal(err)
		}
		return sig
	case "PS":
		sig, err := rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			tb.Fatal(err)
		}
		return sig
	case "ES":
		priv := key.(*ecdsa.PrivateKey)
		r, s, err := ecdsa.Sign(rand.Reader, priv, d)
		if err != nil {
			tb.Fatal(err)
		}
		size := (priv.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	}
	tb.Fatalf("sign: unknown alg %q", alg)
	return nil
}

// asn1Signature signs input with ES* but returns the ASN.1 DER form that
// JWS forbids.
func asn1Signature(tb testing.TB, priv *ecdsa.PrivateKey, input string) []byte {
	tb.Helper()
	hh := crypto.SHA256.New()
	hh.Write([]byte(input))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, hh.Sum(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// b64int encodes a big integer for a JWK.
func b64int(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.Bytes()) }

// jwkOf returns the JWK JSON object for a public key.
func jwkOf(tb testing.TB, kid, alg string, pub crypto.PublicKey) map[string]any {
	tb.Helper()
	m := map[string]any{"kid": kid}
	if alg != "" {
		m["alg"] = alg
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64int(pub.N)
		m["e"] = b64int(big.NewInt(int64(pub.E)))
	case *ecdsa.PublicKey:
		m["kty"] = "EC"
		m["crv"] = pub.Curve.Params().Name
		size := (pub.Curve.Params().BitSize + 7) / 8
		raw, err := pub.Bytes()
		if err != nil {
			tb.Fatal(err)
		}
		m["x"] = base64.RawURLEncoding.EncodeToString(raw[1 : 1+size])
		m["y"] = base64.RawURLEncoding.EncodeToString(raw[1+size:])
	case ed25519.PublicKey:
		m["kty"] = "OKP"
		m["crv"] = "Ed25519"
		m["x"] = base64.RawURLEncoding.EncodeToString(pub)
	default:
		tb.Fatalf("jwkOf: %T", pub)
	}
	return m
}
