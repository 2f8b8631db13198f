// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jwtpolicy

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testNow is the fixed "current time" of the tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

func unix(t time.Time) json.Number { return json.Number(big.NewInt(t.Unix()).String()) }

func newVerifier(tb testing.TB, c Config) *Verifier {
	tb.Helper()
	if c.Now == nil {
		c.Now = fixedNow
	}
	v, err := NewVerifier(c)
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func TestVerifyEveryAlgorithm(t *testing.T) {
	k := keys(t)
	for _, alg := range Algorithms() {
		t.Run(alg, func(t *testing.T) {
			claims := map[string]any{
				"sub": "alice",
				"exp": unix(testNow.Add(time.Hour)),
				"iat": unix(testNow.Add(-time.Minute)),
				"nbf": unix(testNow.Add(-time.Minute)),
				"n":   json.Number("1.5"),
			}
			tok := sign(t, alg, k.signingKey(alg), map[string]any{"alg": alg, "typ": "JWT", "kid": "k1"}, claims)
			v := newVerifier(t, Config{Keys: StaticKey(k.publicKey(alg)), Algorithms: []string{alg}})
			got, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := &Token{
				Header:    Header{Algorithm: alg, KeyID: "k1", Type: "JWT"},
				Claims:    claims,
				Expiry:    testNow.Add(time.Hour),
				IssuedAt:  testNow.Add(-time.Minute),
				NotBefore: testNow.Add(-time.Minute),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Verify mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// pemOf returns the PKIX PEM encoding of pub.
func pemOf(tb testing.TB, pub any) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestVerifyRejects(t *testing.T) {
	k := keys(t)
	valid := func() map[string]any {
		return map[string]any{"sub": "alice", "exp": unix(testNow.Add(time.Hour)), "iss": "https://issuer.example", "aud": "mcp"}
	}
	with := func(name string, v any) map[string]any {
		c := valid()
		if v == nil {
			delete(c, name)
		} else {
			c[name] = v
		}
		return c
	}
	hs := func(claims any) string {
		return sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, claims)
	}
	rs := func(claims any) string {
		return sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256"}, claims)
	}
	hsConfig := Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}, Issuer: "https://issuer.example", Audience: "mcp", Leeway: 30 * time.Second}
	rsConfig := Config{Keys: StaticKey(Key{Public: &k.rsa.PublicKey}), Algorithms: []string{"RS256"}}

	good := hs(valid())
	parts := strings.Split(good, ".")
	tamperedPayload := parts[0] + "." + encodeSegment(t, with("sub", "mallory")) + "." + parts[2]
	rsaPEM := pemOf(t, &k.rsa.PublicKey)

	esInput := encodeSegment(t, map[string]any{"alg": "ES256"}) + "." + encodeSegment(t, valid())
	esASN1 := esInput + "." + base64.RawURLEncoding.EncodeToString(asn1Signature(t, k.p256, esInput))
	esConfig := Config{Keys: StaticKey(Key{Public: &k.p256.PublicKey}), Algorithms: []string{"ES256"}}

	tests := []struct {
		name   string
		token  string
		config Config
		want   error // nil means the token must verify
	}{
		{"valid", good, hsConfig, nil},
		{"expired", hs(with("exp", unix(testNow.Add(-31*time.Second)))), hsConfig, ErrExpired},
		{"expired within leeway", hs(with("exp", unix(testNow.Add(-29*time.Second)))), hsConfig, nil},
		{"expiry exactly at leeway", hs(with("exp", unix(testNow.Add(-30*time.Second)))), hsConfig, ErrExpired},
		{"nbf in the future", hs(with("nbf", unix(testNow.Add(time.Minute)))), hsConfig, ErrNotYetValid},
		{"nbf within leeway", hs(with("nbf", unix(testNow.Add(20*time.Second)))), hsConfig, nil},
		{"iat in the future", hs(with("iat", unix(testNow.Add(time.Minute)))), hsConfig, ErrIssuedInFuture},
		{"iat within leeway", hs(with("iat", unix(testNow.Add(20*time.Second)))), hsConfig, nil},
		{"exp not a number", hs(with("exp", "tomorrow")), hsConfig, ErrMalformed},
		{"exp negative", hs(with("exp", json.Number("-1"))), hsConfig, ErrMalformed},
		{"exp absurd", hs(with("exp", json.Number("1e300"))), hsConfig, ErrMalformed},
		{"no exp allowed", hs(with("exp", nil)), hsConfig, nil},
		{"no exp required", hs(with("exp", nil)), func() Config { c := hsConfig; c.RequireExpiry = true; return c }(), ErrMissingExpiry},
		{"wrong issuer", hs(with("iss", "https://evil.example")), hsConfig, ErrIssuer},
		{"missing issuer", hs(with("iss", nil)), hsConfig, ErrIssuer},
		{"issuer not a string", hs(with("iss", 5)), hsConfig, ErrIssuer},
		{"wrong audience", hs(with("aud", "other")), hsConfig, ErrAudience},
		{"audience array without ours", hs(with("aud", []string{"a", "b"})), hsConfig, ErrAudience},
		{"audience array with ours", hs(with("aud", []any{"a", "mcp"})), hsConfig, nil},
		{"missing audience", hs(with("aud", nil)), hsConfig, ErrAudience},
		{"alg none without signature", encodeSegment(t, map[string]any{"alg": "none"}) + "." + encodeSegment(t, valid()) + ".", hsConfig, ErrMalformed},
		{"alg none with signature", encodeSegment(t, map[string]any{"alg": "none"}) + "." + encodeSegment(t, valid()) + ".AAAA", hsConfig, ErrAlgorithm},
		{"alg not pinned", sign(t, "HS384", k.secret, map[string]any{"alg": "HS384"}, valid()), hsConfig, ErrAlgorithm},
		{"alg unknown", sign(t, "HS256", k.secret, map[string]any{"alg": "XS256"}, valid()), hsConfig, ErrAlgorithm},
		{"alg missing", sign(t, "HS256", k.secret, map[string]any{"typ": "JWT"}, valid()), hsConfig, ErrMalformed},
		{"alg confusion: RSA public key as HMAC secret", sign(t, "HS256", rsaPEM, map[string]any{"alg": "HS256"}, valid()), rsConfig, ErrAlgorithm},
		{"alg confusion: DER public key as HMAC secret", sign(t, "HS256", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey), map[string]any{"alg": "HS256"}, valid()), rsConfig, ErrAlgorithm},
		{"RS256 valid", rs(valid()), rsConfig, nil},
		{"wrong key", sign(t, "RS256", k.rsa2, map[string]any{"alg": "RS256"}, valid()), rsConfig, ErrSignature},
		{"wrong secret", sign(t, "HS256", []byte("another secret of sufficient length!!"), map[string]any{"alg": "HS256"}, valid()), hsConfig, ErrSignature},
		{"tampered payload", tamperedPayload, hsConfig, ErrSignature},
		{"tampered header", encodeSegment(t, map[string]any{"alg": "HS256", "kid": "x"}) + "." + parts[1] + "." + parts[2], hsConfig, ErrSignature},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4], hsConfig, ErrSignature},
		{"ES256 ASN.1 signature", esASN1, esConfig, ErrSignature},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], hsConfig, ErrMalformed},
		{"standard base64 alphabet", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+", hsConfig, ErrMalformed},
		{"newline in segment", parts[0][:4] + "\n" + parts[0][4:] + "." + parts[1] + "." + parts[2], hsConfig, ErrMalformed},
		{"non-canonical trailing bits", parts[0] + "." + parts[1] + "." + nonCanonical(parts[2]), hsConfig, ErrMalformed},
		{"two segments", parts[0] + "." + parts[1], hsConfig, ErrMalformed},
		{"four segments", good + ".AAAA", hsConfig, ErrMalformed},
		{"JWE-like five segments", good + ".AAAA.AAAA", hsConfig, ErrMalformed},
		{"empty payload segment", parts[0] + ".." + parts[2], hsConfig, ErrMalformed},
		{"empty", "", hsConfig, ErrMalformed},
		{"too large", hs(with("pad", strings.Repeat("x", MaxTokenSize))), hsConfig, ErrTooLarge},
		{"crit header", sign(t, "HS256", k.secret, map[string]any{"alg": "HS256", "crit": []string{"b64"}, "b64": false}, valid()), hsConfig, ErrCritical},
		{"duplicate header member", sign(t, "HS256", k.secret, `{"alg":"HS256","alg":"HS256"}`, valid()), hsConfig, ErrMalformed},
		{"duplicate claim", sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, `{"sub":"alice","sub":"admin","exp":1e10}`), hsConfig, ErrMalformed},
		{"duplicate claim spelled with an escape", sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, `{"sub":"alice","s\u0075b":"admin"}`), hsConfig, ErrMalformed},
		{"header null", sign(t, "HS256", k.secret, `null`, valid()), hsConfig, ErrMalformed},
		{"kid not a string", sign(t, "HS256", k.secret, map[string]any{"alg": "HS256", "kid": 1}, valid()), hsConfig, ErrMalformed},
		{"header not an object", sign(t, "HS256", k.secret, `["HS256"]`, valid()), hsConfig, ErrMalformed},
		{"claims not an object", sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, `["alice"]`), hsConfig, ErrMalformed},
		{"claims with trailing data", sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, `{"sub":"a"} {}`), hsConfig, ErrMalformed},
		{"claims not JSON", sign(t, "HS256", k.secret, map[string]any{"alg": "HS256"}, `sub=alice`), hsConfig, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, tt.config)
			_, err := v.Verify(context.Background(), tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: got %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: got error %v, want %v", err, tt.want)
			}
		})
	}
}

// nonCanonical changes the unused low bits of the last base64 character of
// s (length ≡ 2 or 3 mod 4), giving a second encoding of the same bytes.
func nonCanonical(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last^1])
}

// TestAlgorithmConfusionKeyCheck shows that even a verifier configured (by
// mistake, bypassing NewVerifier's checks) to accept both RS256 and HS256
// never uses an RSA key as an HMAC secret.
func TestAlgorithmConfusionKeyCheck(t *testing.T) {
	k := keys(t)
	rsaPEM := pemOf(t, &k.rsa.PublicKey)
	tok := sign(t, "HS256", rsaPEM, map[string]any{"alg": "HS256"}, map[string]any{"sub": "admin"})
	for _, key := range []Key{{Public: &k.rsa.PublicKey}, {Public: &k.rsa.PublicKey, Secret: rsaPEM}} {
		v := &Verifier{keys: StaticKey(key), algs: []*algorithm{algorithms["RS256"], algorithms["HS256"]}, now: fixedNow}
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrKeyMismatch) {
			t.Errorf("Verify with %s: got %v, want %v", KeyType(&key), err, ErrKeyMismatch)
		}
		if _, err := NewVerifier(Config{Keys: StaticKey(key), Algorithms: []string{"RS256", "HS256"}}); err == nil {
			t.Errorf("NewVerifier accepted HS256 with %s", KeyType(&key))
		}
	}
}

func TestKeyAlgorithmRestriction(t *testing.T) {
	k := keys(t)
	key := Key{Public: &k.rsa.PublicKey, Algorithm: "RS256"}
	v := &Verifier{keys: StaticKey(key), algs: []*algorithm{algorithms["RS256"], algorithms["PS256"]}, now: fixedNow}
	claims := map[string]any{"sub": "a"}
	if _, err := v.Verify(context.Background(), sign(t, "RS256", k.rsa, map[string]any{"alg": "RS256"}, claims)); err != nil {
		t.Errorf("RS256: got %v, want success", err)
	}
	if _, err := v.Verify(context.Background(), sign(t, "PS256", k.rsa, map[string]any{"alg": "PS256"}, claims)); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("PS256 with an RS256-only key: got %v, want %v", err, ErrKeyMismatch)
	}
}

func TestNewVerifierErrors(t *testing.T) {
	k := keys(t)
	jwks, err := NewJWKS(JWKSOptions{URL: "https://keys.example/jwks"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		config Config
		want   string
	}{
		{"no keys", Config{Algorithms: []string{"HS256"}}, "jwt: no key source"},
		{"no algorithms", Config{Keys: StaticKey(Key{Secret: k.secret})}, "jwt: no algorithms"},
		{"negative leeway", Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS256"}, Leeway: -time.Second}, "jwt: negative leeway"},
		{"none", Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"none"}}, `jwt: unknown algorithm "none"`},
		{"unknown", Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"HS1024"}}, `jwt: unknown algorithm "HS1024"`},
		{"HS256 with RSA", Config{Keys: StaticKey(Key{Public: &k.rsa.PublicKey}), Algorithms: []string{"HS256"}}, "jwt: algorithm HS256 does not fit the RSA public key"},
		{"RS256 with secret", Config{Keys: StaticKey(Key{Secret: k.secret}), Algorithms: []string{"RS256"}}, "jwt: algorithm RS256 does not fit the HMAC secret"},
		{"ES384 with P-256", Config{Keys: StaticKey(Key{Public: &k.p256.PublicKey}), Algorithms: []string{"ES384"}}, "jwt: algorithm ES384 does not fit the P-256 public key"},
		{"RS256 with short RSA", Config{Keys: StaticKey(Key{Public: &k.rsa1k.PublicKey}), Algorithms: []string{"RS256"}}, "jwt: algorithm RS256 does not fit the RSA public key"},
		{"HS256 with JWKS", Config{Keys: jwks, Algorithms: []string{"HS256"}}, "jwt: algorithm HS256 cannot be used with a JWKS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.config)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("NewVerifier: got error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrExpired, "jwt: token expired"},
		{errors.Join(errors.New("dial tcp 10.0.0.1: refused"), ErrNoKey), "jwt: no key for token"},
		{errors.New("secret detail"), "jwt: invalid token"},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v): got %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestKeyAlgorithms(t *testing.T) {
	k := keys(t)
	tests := []struct {
		name    string
		pub     any
		want    []string
		wantErr string
	}{
		{"RSA", &k.rsa.PublicKey, []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, ""},
		{"P-256", &k.p256.PublicKey, []string{"ES256"}, ""},
		{"P-384", &k.p384.PublicKey, []string{"ES384"}, ""},
		{"P-521", &k.p521.PublicKey, []string{"ES512"}, ""},
		{"Ed25519", k.ed.Public(), []string{"EdDSA"}, ""},
		{"short RSA", &k.rsa1k.PublicKey, nil, "jwt: RSA public key has 1024 bits, fewer than 2048"},
		{"P-224", func() any { p, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader); return &p.PublicKey }(), nil, "jwt: ECDSA public key is not on P-256, P-384 or P-521"},
		{"private key", k.rsa, nil, "jwt: unsupported public key type *rsa.PrivateKey"},
		{"short Ed25519", ed25519.PublicKey{1, 2}, nil, "jwt: Ed25519 public key has the wrong size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KeyAlgorithms(tt.pub)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("algorithms (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	k := keys(t)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	certDER, err := x509.CreateCertificate(rand.Reader, template, template, &k.p384.PublicKey, k.p384)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	privDER, err := x509.MarshalPKCS8PrivateKey(k.p256)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})

	tests := []struct {
		name    string
		data    []byte
		want    any
		wantErr string
	}{
		{"PKIX RSA", pemOf(t, &k.rsa.PublicKey), &k.rsa.PublicKey, ""},
		{"PKIX P-256", pemOf(t, &k.p256.PublicKey), &k.p256.PublicKey, ""},
		{"PKIX Ed25519", pemOf(t, k.ed.Public()), k.ed.Public(), ""},
		{"PKCS1 RSA", pkcs1, &k.rsa.PublicKey, ""},
		{"certificate", certPEM, &k.p384.PublicKey, ""},
		{"private key", privPEM, nil, `jwt: PEM block type "PRIVATE KEY" is not a public key or certificate`},
		{"two blocks", append(pemOf(t, &k.rsa.PublicKey), pkcs1...), nil, "jwt: more than one PEM block"},
		{"not PEM", []byte("-----BEGIN nothing"), nil, "jwt: no PEM block found"},
		{"short RSA", pemOf(t, &k.rsa1k.PublicKey), nil, "jwt: RSA public key has 1024 bits, fewer than 2048"},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), nil, "jwt: parsing PUBLIC KEY: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKeyPEM(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.want) {
				t.Errorf("got key %T, want %T equal to the original", got, tt.want)
			}
		})
	}
}

func TestKeyFitsRSAPrivateKeyIsNot(t *testing.T) {
	k := keys(t)
	// A private key handed over as "public" must not verify anything.
	key := Key{Public: k.rsa}
	for _, alg := range Algorithms() {
		if key.Fits(alg) {
			t.Errorf("private RSA key fits %s", alg)
		}
	}
	if (&Key{Secret: k.secret}).Fits("none") {
		t.Error(`secret fits "none"`)
	}
}

// TestDecodeObjectDuplicates replaces TestTopLevelMembers (the member
// counter it tested is gone): the same documents, checked for what the
// counter was for, refusing duplicate names at the top level only.
func TestDecodeObjectDuplicates(t *testing.T) {
	tests := []struct {
		json    string
		members int // -1: refused
	}{
		{`{}`, 0},
		{`{"a":1}`, 1},
		{`{"a":{"b":1,"c":[{"d":2}]},"e":"x:y"}`, 2},
		{`{"a\":b":"}:{","c":"\\","d":[":"]}`, 3},
		{` { "a" : 1 , "a" : 2 } `, -1},
		{`{"a":1,"\u0061":2}`, -1},
		{`{"a":{"b":1,"b":2}}`, 1}, // nested duplicates are the claim's business
	}
	for _, tt := range tests {
		m, err := decodeObject([]byte(tt.json))
		switch {
		case tt.members < 0 && !errors.Is(err, ErrMalformed):
			t.Errorf("decodeObject(%s): got %v, want %v", tt.json, err, ErrMalformed)
		case tt.members >= 0 && (err != nil || len(m) != tt.members):
			t.Errorf("decodeObject(%s): got %d members, error %v; want %d", tt.json, len(m), err, tt.members)
		}
	}
}
