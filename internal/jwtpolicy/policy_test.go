// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
	"time"
)

// These tests pin the rules this package adds on top of go-jose, where
// go-jose alone would decide otherwise.

func TestShortHMACSecrets(t *testing.T) {
	claims := map[string]any{"sub": "a"}
	tests := []struct {
		name    string
		alg     string
		secret  []byte
		signKey []byte
		want    error
	}{
		// go-jose refuses secrets shorter than the hash; they verify
		// here, zero-padded to the block size, which HMAC does anyway.
		{"HS256 with permit-fastmcp's example secret", "HS256", []byte("mysecretkey"), []byte("mysecretkey"), nil},
		{"HS512 with a 32-byte secret", "HS512", []byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef"), nil},
		{"HS384 with a one-byte secret", "HS384", []byte("k"), []byte("k"), nil},
		{"short secret, other key", "HS256", []byte("mysecretkey"), []byte("mysecretkez"), ErrSignature},
		// HMAC itself treats a key and the key with trailing zero bytes
		// alike (RFC 2104 §2); the padding adds nothing to that.
		{"trailing zero bytes are the same HMAC key", "HS256", []byte("mysecretkey"), append([]byte("mysecretkey"), 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := sign(t, tt.alg, tt.signKey, map[string]any{"alg": tt.alg}, claims)
			v := newVerifier(t, Config{Keys: StaticKey(Key{Secret: tt.secret}), Algorithms: []string{tt.alg}})
			_, err := v.Verify(context.Background(), tok)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify: got %v, want %v", err, tt.want)
			}
		})
	}
	if got := MinSecretSize([]string{"RS256", "HS256", "HS384"}); got != 48 {
		t.Errorf("MinSecretSize: got %d, want 48", got)
	}
}

func TestHeaderExtensionsRefused(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}})
	// With "b64": false go-jose would verify the signature over the raw
	// payload bytes: a second spelling of the same signed claims.
	payload := `{"sub":"a"}`
	header := encodeSegment(t, map[string]any{"alg": "HS256", "b64": false})
	input := header + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	rawInput := header + "." + payload
	for name, tok := range map[string]string{
		"b64 false": input + "." + base64.RawURLEncoding.EncodeToString(signature(t, "HS256", k.secret, rawInput)),
		"b64 true":  sign(t, "HS256", k.secret, map[string]any{"alg": "HS256", "b64": true}, map[string]any{"sub": "a"}),
		"crit b64":  sign(t, "HS256", k.secret, map[string]any{"alg": "HS256", "b64": true, "crit": []string{"b64"}}, map[string]any{"sub": "a"}),
	} {
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrCritical) {
			t.Errorf("%s: got %v, want %v", name, err, ErrCritical)
		}
	}
	// A key embedded in the header (jwk) is never used: the token below
	// carries the public key that signed it.
	rs := newVerifier(t, Config{Keys: StaticKey(Key{Public: &k.rsa.PublicKey}), Algorithms: []string{"RS256"}})
	tok := sign(t, "RS256", k.rsa2, map[string]any{"alg": "RS256", "jwk": jwkOf(t, "", "", &k.rsa2.PublicKey)}, map[string]any{"sub": "a"})
	if _, err := rs.Verify(context.Background(), tok); !errors.Is(err, ErrSignature) {
		t.Errorf("embedded jwk: got %v, want %v", err, ErrSignature)
	}
}

func TestFractionalNumericDates(t *testing.T) {
	k := keys(t)
	c := newClock()
	v := newVerifier(t, Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}, Now: c.Now})
	tok := sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, map[string]any{
		"exp": json.Number(big.NewInt(testNow.Unix()).String() + ".75"),
		"nbf": json.Number(big.NewInt(testNow.Unix()-1).String() + ".25"),
	})
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := testNow.Add(750 * time.Millisecond); !got.Expiry.Equal(want) {
		t.Errorf("Expiry: got %v, want %v", got.Expiry, want)
	}
	c.Advance(750 * time.Millisecond)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrExpired) {
		t.Errorf("at exp: got %v, want %v", err, ErrExpired)
	}
	// nbf is rounded up for go-jose, never down: a token is not valid
	// before its nbf even within the second.
	early := sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, map[string]any{
		"nbf": json.Number(big.NewInt(testNow.Unix()).String() + ".5"),
	})
	v2 := newVerifier(t, Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}})
	if _, err := v2.Verify(context.Background(), early); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("before a fractional nbf: got %v, want %v", err, ErrNotYetValid)
	}
}

func TestParseJWKSRefusesPrivateKeys(t *testing.T) {
	k := keys(t)
	priv := jwkOf(t, "leaked", "RS256", &k.rsa.PublicKey)
	priv["d"] = b64int(k.rsa.D)
	priv["p"] = b64int(k.rsa.Primes[0])
	priv["q"] = b64int(k.rsa.Primes[1])
	cert := jwkOf(t, "cert", "", &k.rsa.PublicKey)
	cert["x5c"] = []string{base64.StdEncoding.EncodeToString(selfSigned(t))} // the certificate's key is another one
	data, err := json.Marshal(map[string]any{"keys": []any{priv, cert, jwkOf(t, "ok", "", &k.p256.PublicKey)}})
	if err != nil {
		t.Fatal(err)
	}
	got, skipped, err := ParseJWKS(data)
	if err != nil || len(got) != 1 || got[0].ID != "ok" {
		t.Fatalf("ParseJWKS: got %d keys, error %v; want only key ok", len(got), err)
	}
	want := []string{
		`key 0 (kid "leaked"): private key in a public key set`,
		`key 1 (kid "cert"): invalid JWK, public keys in key and x5c fields do not match`,
	}
	if len(skipped) != len(want) {
		t.Fatalf("skipped: got %q, want %q", skipped, want)
	}
	for i := range want {
		if skipped[i] != want[i] {
			t.Errorf("skipped[%d]: got %q, want %q", i, skipped[i], want[i])
		}
	}
}

// selfSigned returns a self-signed DER certificate for the P-384 test key.
func selfSigned(tb testing.TB) []byte {
	tb.Helper()
	k := keys(tb)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.p384.PublicKey, k.p384)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}
