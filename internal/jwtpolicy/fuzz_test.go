// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzParse feeds arbitrary strings to the parser and to verifiers for
// HS256 and EdDSA. It must never panic, and the verifiers must accept
// exactly the tokens this test signed: any other accepted string would be a
// forgery or a second encoding of a signed token. (ECDSA is left out on
// purpose: (r, s) and (r, n-s) are both valid, a malleability JWS allows.)
func FuzzParse(f *testing.F) {
	k := keys(f)
	claims := map[string]any{"sub": "alice", "exp": unix(testNow.Add(time.Hour)), "aud": []string{"mcp"}}
	signed := map[string]bool{}
	for _, tok := range []string{
		sign(f, "HS256", k.secret, map[string]any{"alg": "HS256", "typ": "JWT"}, claims),
		sign(f, "HS256", k.secret, map[string]any{"alg": "HS256", "kid": "k"}, map[string]any{"sub": "bob"}),
		sign(f, "EdDSA", k.ed, map[string]any{"alg": "EdDSA"}, claims),
	} {
		signed[tok] = true
		f.Add(tok)
	}
	for _, seed := range []string{
		"", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
		sign(f, "HS256", k.secret, map[string]any{"alg": "HS256", "crit": []string{"x"}}, claims),
		sign(f, "HS256", k.secret, `{"alg":"HS256","alg":"none"}`, claims),
		sign(f, "HS256", k.secret, map[string]any{"alg": "HS256"}, `{"exp":"x"}`),
		strings.Repeat("A", 100) + "." + strings.Repeat("B", 100) + "." + strings.Repeat("C", 43),
	} {
		f.Add(seed)
	}
	verifiers := []*Verifier{
		newVerifier(f, Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}, Audience: "mcp"}),
		newVerifier(f, Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}}),
		newVerifier(f, Config{Keys: StaticKey(Key{Public: k.ed.Public()}), Algorithms: []string{"EdDSA"}}),
		newVerifier(f, Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}, CacheSize: 16}),
	}
	f.Fuzz(func(t *testing.T, token string) {
		if p, err := parse(token, allAlgorithms); err == nil {
			if p.header.Algorithm == "" || !strings.HasPrefix(token, p.signingInput+".") {
				t.Fatalf("parse(%q) accepted a header without alg or split wrongly", token)
			}
		}
		for _, v := range verifiers {
			tok, err := v.Verify(context.Background(), token)
			if err != nil {
				if tok != nil {
					t.Fatalf("Verify returned a token with error %v", err)
				}
				continue
			}
			if !signed[token] {
				t.Fatalf("Verify accepted a token the test did not sign: %q", token)
			}
		}
	})
}

// allAlgorithms admits every supported algorithm.
var allAlgorithms = func() (l []jose.SignatureAlgorithm) {
	for _, name := range Algorithms() {
		l = append(l, jose.SignatureAlgorithm(name))
	}
	return l
}()

func BenchmarkVerify(b *testing.B) {
	k := keys(b)
	claims := map[string]any{
		"sub": "alice", "iss": "https://issuer.example", "aud": "mcp",
		"exp": unix(testNow.Add(time.Hour)), "iat": unix(testNow), "scope": "tools:read tools:call",
		"email": "alice@example.com", "tenant": "acme",
	}
	for _, alg := range []string{"HS256", "RS256", "PS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			tok := sign(b, alg, k.signingKey(alg), map[string]any{"alg": alg, "typ": "JWT"}, claims)
			for _, cache := range []int{0, 16} {
				b.Run("cache="+strconv.Itoa(cache), func(b *testing.B) {
					v := newVerifier(b, Config{Keys: StaticKey(k.publicKey(alg)), Algorithms: []string{alg}, Issuer: "https://issuer.example", Audience: "mcp", CacheSize: cache})
					ctx := context.Background()
					b.ReportAllocs()
					for b.Loop() {
						if _, err := v.Verify(ctx, tok); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// BenchmarkGoJOSE measures go-jose alone on BenchmarkVerify's HS256 token:
// ParseSignedCompact and Verify, the part of an uncached verification that
// this package leaves to go-jose (without its policy checks and claims).
func BenchmarkGoJOSE(b *testing.B) {
	k := keys(b)
	claims := map[string]any{
		"sub": "alice", "iss": "https://issuer.example", "aud": "mcp",
		"exp": unix(testNow.Add(time.Hour)), "iat": unix(testNow), "scope": "tools:read tools:call",
		"email": "alice@example.com", "tenant": "acme",
	}
	tok := sign(b, "HS256", k.secret, map[string]any{"alg": "HS256", "typ": "JWT"}, claims)
	allow := []jose.SignatureAlgorithm{jose.HS256}
	var key any = k.secret
	b.Run("HS256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			jws, err := jose.ParseSignedCompact(tok, allow)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := jws.Verify(key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzParseJWKS feeds arbitrary documents to the key set parser: it must
// never panic, and every key it returns must be usable with at least one
// supported algorithm.
func FuzzParseJWKS(f *testing.F) {
	k := keys(f)
	for _, set := range [][]map[string]any{
		{jwkOf(f, "r", "RS256", &k.rsa.PublicKey)},
		{jwkOf(f, "e", "", &k.p384.PublicKey), jwkOf(f, "d", "EdDSA", k.ed.Public())},
		{{"kty": "oct", "k": "AAAA"}},
	} {
		data, err := json.Marshal(map[string]any{"keys": set})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, _, err := ParseJWKS(data)
		if err != nil {
			if keys != nil {
				t.Fatalf("ParseJWKS returned keys with error %v", err)
			}
			return
		}
		for _, key := range keys {
			if _, err := KeyAlgorithms(key.Public); err != nil {
				t.Fatalf("ParseJWKS returned an unusable key: %v", err)
			}
			if key.Algorithm != "" && !key.Fits(key.Algorithm) {
				t.Fatalf("ParseJWKS returned a key that does not fit its own alg %q", key.Algorithm)
			}
		}
	})
}
