// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// idNow is the fixed clock of the identity tests.
var idNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// idExpiry is the default expiry of test tokens (see signJWT), and idExp its
// claim.
var (
	idExpiry = idNow.Add(time.Hour)
	idExp    = idNum(idExpiry)
)

var idSecret = []byte("an HS256 test secret of 32 bytes or more")

type idKeys struct {
	rsa  *rsa.PrivateKey
	p256 *ecdsa.PrivateKey
}

var idKeysOnce = sync.OnceValue(func() *idKeys {
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return &idKeys{rsa: r, p256: e}
})

// signJWT is a test-only JWS signer for HS256 (key []byte), RS256
// (*rsa.PrivateKey) and ES256 (*ecdsa.PrivateKey). header may be nil.
func signJWT(tb testing.TB, alg string, key any, header, claims map[string]any) string {
	tb.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	for k, v := range header {
		h[k] = v
	}
	enc := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(data)
	}
	// Tokens expire an hour after idNow unless the test says otherwise; an
	// "exp" of nil leaves the claim out.
	c := map[string]any{"exp": idExp}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	input := enc(h) + "." + enc(c)
	d := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "HS256":
		mac := hmac.New(sha256.New, key.([]byte))
		mac.Write([]byte(input))
		sig = mac.Sum(nil)
	case "RS256":
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, d[:]); err != nil {
			tb.Fatal(err)
		}
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), d[:])
		if err != nil {
			tb.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	default:
		tb.Fatalf("signJWT: unsupported alg %s", alg)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func idNum(t time.Time) json.Number { return json.Number(strconv.FormatInt(t.Unix(), 10)) }

func idPublicPEM(tb testing.TB, pub any) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func mustIdentifier(tb testing.TB, id IdentitySource, tenant TenantOptions) *identifier {
	tb.Helper()
	return newTestIdentifier(tb, id, false, tenant)
}

// mustUnknownIdentifier is mustIdentifier with Options.AllowUnknownUser.
func mustUnknownIdentifier(tb testing.TB, id IdentitySource, tenant TenantOptions) *identifier {
	tb.Helper()
	return newTestIdentifier(tb, id, true, tenant)
}

func newTestIdentifier(tb testing.TB, id IdentitySource, allowUnknown bool, tenant TenantOptions) *identifier {
	tb.Helper()
	i, err := newIdentifier(id, allowUnknown, tenant, nil)
	if err != nil {
		tb.Fatalf("newIdentifier: %v", err)
	}
	i.now = func() time.Time { return idNow }
	return i
}

// request builds a request with the given header lines ("Name: value").
func idRequest(headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		r.Header.Add(name, value)
	}
	return r
}

func idWithPrincipal(r *http.Request, p *Principal) *http.Request {
	return r.WithContext(ContextWithPrincipal(r.Context(), p))
}

func TestNewIdentifierErrors(t *testing.T) {
	k := idKeysOnce()
	hs := func(o JWTOptions) IdentitySource { return JWTIdentity(o) }
	tests := []struct {
		name   string
		id     IdentitySource
		tenant TenantOptions
		want   string
	}{
		{"empty secret", hs(JWTOptions{Secret: []byte{}}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.Secret is empty"},
		{"no key", hs(JWTOptions{}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions: set exactly one of Secret, PublicKey, JWKSURL"},
		{"two keys", hs(JWTOptions{Secret: idSecret, JWKSURL: "https://idp.example/jwks"}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions: set exactly one of Secret, PublicKey, JWKSURL"},
		{"empty secret and a key", hs(JWTOptions{Secret: []byte{}, PublicKey: &k.rsa.PublicKey}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions: set exactly one of Secret, PublicKey, JWKSURL"},
		{"unknown algorithm", hs(JWTOptions{Secret: idSecret, Algorithms: []string{"HS256", "XS1"}}), TenantOptions{}, `mcpauth: Options.Identity: JWTOptions.Algorithms: unknown algorithm "XS1"`},
		{"alg none", hs(JWTOptions{Secret: idSecret, Algorithms: []string{"none"}}), TenantOptions{}, `mcpauth: Options.Identity: JWTOptions.Algorithms: unknown algorithm "none"`},
		{"HS256 with RSA key", hs(JWTOptions{PublicKey: &k.rsa.PublicKey, Algorithms: []string{"RS256", "HS256"}}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.Algorithms: HS256 does not fit the RSA public key"},
		{"RS256 with secret", hs(JWTOptions{Secret: idSecret, Algorithms: []string{"RS256"}}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.Algorithms: RS256 does not fit the HMAC secret"},
		{"ES384 with P-256 key", hs(JWTOptions{PublicKey: &k.p256.PublicKey, Algorithms: []string{"ES384"}}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.Algorithms: ES384 does not fit the P-256 public key"},
		{"HS256 with JWKS", hs(JWTOptions{JWKSURL: "https://idp.example/jwks", Algorithms: []string{"HS256"}}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.Algorithms: HS256 needs JWTOptions.Secret, not a JWKS"},
		{"private key as public key", hs(JWTOptions{PublicKey: k.rsa}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.PublicKey: unsupported public key type *rsa.PrivateKey"},
		{"JWKS over http", hs(JWTOptions{JWKSURL: "http://idp.example/jwks"}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.JWKSURL must use https (http only for loopback hosts)"},
		{"JWKS relative", hs(JWTOptions{JWKSURL: "/jwks"}), TenantOptions{}, `mcpauth: Options.Identity: JWTOptions.JWKSURL "/jwks" is not an absolute URL`},
		{"negative leeway", hs(JWTOptions{Secret: idSecret, Leeway: -time.Second}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.Leeway is negative"},
		{"negative refresh", hs(JWTOptions{JWKSURL: "https://idp.example/jwks", JWKSRefresh: -time.Second}), TenantOptions{}, "mcpauth: Options.Identity: JWTOptions.JWKSRefresh is negative"},
		{"regex without group", HeaderIdentity("", `^Token \S+$`), TenantOptions{}, "mcpauth: Options.Identity: HeaderRegex \"^Token \\\\S+$\" has no capture group"},
		{"regex invalid", JWTIdentity(JWTOptions{HeaderRegex: `(`, Secret: idSecret}), TenantOptions{}, "mcpauth: Options.Identity: HeaderRegex: error parsing regexp: missing closing ): `(`"},
		{"func identity without func", FuncIdentity(nil), TenantOptions{}, "mcpauth: Options.Identity: FuncIdentity with a nil IdentityFunc"},
		{"tenant claim and header", ContextIdentity(), TenantOptions{Claim: "org", Header: "X-Tenant"}, "mcpauth: Options.Tenant: set at most one of Claim and Header"},
		{"tenant claim in fixed mode", IdentitySource{}, TenantOptions{Claim: "org"}, "mcpauth: Options.Tenant.Claim needs JWTIdentity or ContextIdentity"},
		{"tenant claim in header mode", HeaderIdentity("", ""), TenantOptions{Claim: "org"}, "mcpauth: Options.Tenant.Claim needs JWTIdentity or ContextIdentity"},
		{"tenant required without source", IdentitySource{}, TenantOptions{Required: true}, "mcpauth: Options.Tenant.Required needs Claim or Header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newIdentifier(tt.id, false, tt.tenant, nil)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("newIdentifier: got error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewIdentifierAccepts(t *testing.T) {
	k := idKeysOnce()
	tests := []struct {
		name string
		id   IdentitySource
	}{
		{"zero value", IdentitySource{}},
		{"JWKS on loopback http", JWTIdentity(JWTOptions{JWKSURL: "http://127.0.0.1:8080/jwks"})},
		{"JWKS on localhost http", JWTIdentity(JWTOptions{JWKSURL: "http://localhost/jwks"})},
		{"RSA key with PS256 only", JWTIdentity(JWTOptions{PublicKey: &k.rsa.PublicKey, Algorithms: []string{"PS256"}})},
		{"HS512", JWTIdentity(JWTOptions{Secret: idSecret, Algorithms: []string{"HS512"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newIdentifier(tt.id, false, TenantOptions{}, nil); err != nil {
				t.Fatalf("newIdentifier: %v", err)
			}
		})
	}
}

func TestIdentify(t *testing.T) {
	k := idKeysOnce()
	exp := idNow.Add(time.Hour)
	claims := map[string]any{"sub": "alice", "exp": idNum(exp), "scope": "tools:read  tools:call", "org": "acme"}
	hsJWT := JWTIdentity(JWTOptions{Secret: idSecret})
	hsToken := func(c map[string]any) string { return signJWT(t, "HS256", idSecret, nil, c) }
	principal := &Principal{
		Subject: "user-1", Email: "u@example.com", ClientID: "client-9",
		Scopes: []string{"mcp"}, Expiry: exp, Attributes: map[string]any{"tier": 3, "org": "acme"},
	}
	custom := func(id *Identity, err error) IdentitySource {
		return FuncIdentity(func(*http.Request) (*Identity, error) { return id, err })
	}

	tests := []struct {
		name    string
		id      IdentitySource
		req     *http.Request
		want    *Identity
		wantErr error  // wrapped sentinel, when an error is expected
		errText string // expected error text, when an error is expected
	}{
		{
			name: "fixed default",
			req:  idRequest(),
			want: &Identity{User: User{Key: "client", Attributes: map[string]any{"type": "fixed_identity"}}, Tenant: "default"},
		},
		{
			name: "fixed user",
			id:   FixedIdentity("svc"),
			req:  idRequest("Authorization: Bearer ignored"),
			want: &Identity{User: User{Key: "svc", Attributes: map[string]any{"type": "fixed_identity"}}, Tenant: "default"},
		},
		{
			name: "header",
			id:   HeaderIdentity("x-user-id", ""),
			req:  idRequest("X-User-Id: bob"),
			want: &Identity{User: User{Key: "bob", Attributes: map[string]any{"header": "x-user-id"}}, Tenant: "default"},
		},
		{
			name: "header Authorization strips Bearer",
			id:   HeaderIdentity("", ""),
			req:  idRequest("Authorization: Bearer api-key-1"),
			want: &Identity{User: User{Key: "api-key-1", Attributes: map[string]any{"header": "Authorization"}}, Tenant: "default"},
		},
		{
			name: "header Authorization lower-case bearer",
			id:   HeaderIdentity("", ""),
			req:  idRequest("authorization: bearer api-key-1"),
			want: &Identity{User: User{Key: "api-key-1", Attributes: map[string]any{"header": "Authorization"}}, Tenant: "default"},
		},
		{
			name: "header with regex",
			id:   HeaderIdentity("X-Caller", `^user=(\w+)$`),
			req:  idRequest("X-Caller: user=carol"),
			want: &Identity{User: User{Key: "carol", Attributes: map[string]any{"header": "X-Caller"}}, Tenant: "default"},
		},
		{
			name: "header regex mismatch", id: HeaderIdentity("X-Caller", `^user=(\w+)$`),
			req: idRequest("X-Caller: admin"), wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: malformed X-Caller header",
		},
		{
			name: "header Authorization without scheme", id: HeaderIdentity("", ""),
			req: idRequest("Authorization: api-key-1"), wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: malformed Authorization header",
		},
		{
			name: "header missing", id: HeaderIdentity("X-User", ""),
			req: idRequest(), wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: missing X-User header",
		},
		{
			name: "header empty", id: HeaderIdentity("X-User", ""),
			req: idRequest("X-User: "), wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: missing X-User header",
		},
		{
			name: "header twice", id: HeaderIdentity("X-User", ""),
			req: idRequest("X-User: a", "X-User: b"), wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: more than one X-User header",
		},
		{
			name: "jwt",
			id:   hsJWT,
			req:  idRequest("Authorization: Bearer " + hsToken(claims)),
			want: &Identity{
				User:   User{Key: "alice", Attributes: map[string]any{"jwt": claims}},
				Tenant: "default", Scopes: []string{"tools:read", "tools:call"}, Expiry: exp,
			},
		},
		{
			name: "jwt numeric subject and scp array",
			id:   hsJWT,
			req:  idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": json.Number("42"), "scp": []any{"a", "b"}})),
			want: &Identity{
				User:   User{Key: "42", Attributes: map[string]any{"jwt": map[string]any{"sub": json.Number("42"), "scp": []any{"a", "b"}, "exp": idExp}}},
				Tenant: "default", Scopes: []string{"a", "b"}, Expiry: idExpiry,
			},
		},
		{
			name: "jwt other claim and scp string",
			id:   JWTIdentity(JWTOptions{Secret: idSecret, Claim: "email"}),
			req:  idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": "1", "email": "a@example.com", "scp": "x y"})),
			want: &Identity{
				User:   User{Key: "a@example.com", Attributes: map[string]any{"jwt": map[string]any{"sub": "1", "email": "a@example.com", "scp": "x y", "exp": idExp}}},
				Tenant: "default", Scopes: []string{"x", "y"}, Expiry: idExpiry,
			},
		},
		{
			name: "jwt custom header and regex",
			id:   JWTIdentity(JWTOptions{Header: "X-Token", HeaderRegex: `^JWT (.+)$`, Secret: idSecret}),
			req:  idRequest("X-Token: JWT " + hsToken(map[string]any{"sub": "dan"})),
			want: &Identity{User: User{Key: "dan", Attributes: map[string]any{"jwt": map[string]any{"sub": "dan", "exp": idExp}}}, Tenant: "default", Expiry: idExpiry},
		},
		{
			name: "jwt without subject", id: hsJWT, req: idRequest("Authorization: Bearer " + hsToken(map[string]any{"name": "x"})),
			wantErr: ErrUnauthenticated, errText: `mcpauth: unauthenticated: token has no string "sub" claim`,
		},
		{
			name: "jwt with empty subject", id: hsJWT, req: idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": ""})),
			wantErr: ErrUnauthenticated, errText: `mcpauth: unauthenticated: token has no string "sub" claim`,
		},
		{
			name: "jwt with object subject", id: hsJWT, req: idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": map[string]any{"id": 1}})),
			wantErr: ErrUnauthenticated, errText: `mcpauth: unauthenticated: token has no string "sub" claim`,
		},
		{
			name: "jwt expired", id: hsJWT, req: idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": "a", "exp": idNum(idNow.Add(-time.Minute))})),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: invalid token: jwt: token expired",
		},
		{
			name: "jwt expired within a configured leeway",
			id:   JWTIdentity(JWTOptions{Secret: idSecret, Leeway: 2 * time.Minute}),
			req:  idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": "a", "exp": idNum(idNow.Add(-time.Minute))})),
			want: &Identity{
				User:   User{Key: "a", Attributes: map[string]any{"jwt": map[string]any{"sub": "a", "exp": idNum(idNow.Add(-time.Minute))}}},
				Tenant: "default", Expiry: idNow.Add(-time.Minute),
			},
		},
		{
			name: "jwt wrong issuer", id: JWTIdentity(JWTOptions{Secret: idSecret, Issuer: "https://idp.example"}),
			req:     idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": "a", "iss": "https://evil.example"})),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: invalid token: jwt: wrong issuer",
		},
		{
			name: "jwt wrong audience", id: JWTIdentity(JWTOptions{Secret: idSecret, Audience: "mcp"}),
			req:     idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": "a", "aud": []string{"other"}})),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: invalid token: jwt: wrong audience",
		},
		{
			name: "jwt required expiry by default", id: JWTIdentity(JWTOptions{Secret: idSecret}),
			req:     idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": "a", "exp": nil})),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: invalid token: jwt: token has no expiry",
		},
		{
			name: "jwt without expiry allowed", id: JWTIdentity(JWTOptions{Secret: idSecret, AllowNoExpiry: true}),
			req:  idRequest("Authorization: Bearer " + hsToken(map[string]any{"sub": "a", "exp": nil})),
			want: &Identity{User: User{Key: "a", Attributes: map[string]any{"jwt": map[string]any{"sub": "a"}}}, Tenant: "default"},
		},
		{
			name: "jwt bearer scheme in capitals", id: hsJWT,
			req:  idRequest("Authorization: BEARER " + hsToken(map[string]any{"sub": "a"})),
			want: &Identity{User: User{Key: "a", Attributes: map[string]any{"jwt": map[string]any{"sub": "a", "exp": idExp}}}, Tenant: "default", Expiry: idExpiry},
		},
		{
			name: "jwt missing header", id: hsJWT, req: idRequest(),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: missing Authorization header",
		},
		{
			name: "jwt wrong scheme", id: hsJWT, req: idRequest("Authorization: Basic dXNlcjpwYXNz"),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: malformed Authorization header",
		},
		{
			name: "jwt two Authorization headers", id: hsJWT, req: idRequest("Authorization: Bearer "+hsToken(claims), "Authorization: Bearer x"),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: more than one Authorization header",
		},
		{
			name:    "jwt alg confusion with the PEM as HMAC secret",
			id:      JWTIdentity(JWTOptions{PublicKey: &k.rsa.PublicKey}),
			req:     idRequest("Authorization: Bearer " + signJWT(t, "HS256", idPublicPEM(t, &k.rsa.PublicKey), nil, map[string]any{"sub": "admin"})),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: invalid token: jwt: algorithm not allowed",
		},
		{
			name: "jwt RS256 with a PEM key",
			id:   JWTIdentity(JWTOptions{PublicKey: &k.rsa.PublicKey}),
			req:  idRequest("Authorization: Bearer " + signJWT(t, "RS256", k.rsa, nil, map[string]any{"sub": "rsa-user"})),
			want: &Identity{User: User{Key: "rsa-user", Attributes: map[string]any{"jwt": map[string]any{"sub": "rsa-user", "exp": idExp}}}, Tenant: "default", Expiry: idExpiry},
		},
		{
			name: "jwt ES256 with a public key",
			id:   JWTIdentity(JWTOptions{PublicKey: &k.p256.PublicKey}),
			req:  idRequest("Authorization: Bearer " + signJWT(t, "ES256", k.p256, nil, map[string]any{"sub": "ec-user"})),
			want: &Identity{User: User{Key: "ec-user", Attributes: map[string]any{"jwt": map[string]any{"sub": "ec-user", "exp": idExp}}}, Tenant: "default", Expiry: idExpiry},
		},
		{
			name: "context",
			id:   ContextIdentity(),
			req:  idWithPrincipal(idRequest(), principal),
			want: &Identity{
				User: User{Key: "user-1", Attributes: map[string]any{
					"tier": 3, "org": "acme", "email": "u@example.com", "client_id": "client-9",
				}},
				Tenant: "default", Scopes: []string{"mcp"}, Expiry: exp, Principal: principal,
			},
		},
		{
			name: "context minimal principal",
			id:   ContextIdentity(),
			req:  idWithPrincipal(idRequest(), &Principal{Subject: "s"}),
			want: &Identity{User: User{Key: "s", Attributes: map[string]any{}}, Tenant: "default", Principal: &Principal{Subject: "s"}},
		},
		{
			name: "context without principal", id: ContextIdentity(), req: idRequest("Authorization: Bearer x"),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: no principal in the request context",
		},
		{
			name: "context with empty subject", id: ContextIdentity(), req: idWithPrincipal(idRequest(), &Principal{Email: "x@example.com"}),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: no principal in the request context",
		},
		{
			name: "custom",
			id:   custom(&Identity{User: User{Key: "f"}, Scopes: []string{"s"}}, nil),
			req:  idRequest(),
			want: &Identity{User: User{Key: "f"}, Scopes: []string{"s"}, Tenant: "default"},
		},
		{
			name: "custom keeps its tenant",
			id:   custom(&Identity{User: User{Key: "f"}, Tenant: "t1"}, nil),
			req:  idRequest(),
			want: &Identity{User: User{Key: "f"}, Tenant: "t1"},
		},
		{
			name: "custom unauthenticated", id: custom(nil, fmt.Errorf("%w: bad api key", ErrUnauthenticated)), req: idRequest(),
			wantErr: ErrUnauthenticated, errText: "mcpauth: unauthenticated: bad api key",
		},
		{
			name: "custom failure", id: custom(nil, errors.New("db down")), req: idRequest(),
			errText: "mcpauth: identity func: db down",
		},
		{
			name: "custom returns nothing", id: custom(nil, nil), req: idRequest(),
			errText: "mcpauth: identity func returned no user and no error",
		},
		{
			name: "custom returns an empty key", id: custom(&Identity{}, nil), req: idRequest(),
			errText: "mcpauth: identity func returned no user and no error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := mustIdentifier(t, tt.id, TenantOptions{})
			got, err := i.identify(tt.req)
			if tt.errText != "" {
				if err == nil || err.Error() != tt.errText {
					t.Fatalf("identify: got error %v, want %q", err, tt.errText)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("identify: got error %v, want it to wrap %v", err, tt.wantErr)
				}
				if tt.wantErr == nil && errors.Is(err, ErrUnauthenticated) {
					t.Errorf("identify: got error %v wrapping ErrUnauthenticated, want another error", err)
				}
				if got != nil {
					t.Errorf("identify: got identity %+v with the error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("identify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("identify mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIdentifyDoesNotMutateInputs checks that identities do not share the
// maps and slices of the principal or of a custom function's result.
func TestNewIdentifierWarnings(t *testing.T) {
	tests := []struct {
		name string
		jwt  JWTOptions
		want []string
	}{
		{"short secret, no audience", JWTOptions{Secret: []byte("short")}, []string{
			"JWTOptions.Secret is shorter than 32 bytes", "JWTOptions.Audience is empty",
		}},
		{"good secret and audience", JWTOptions{Secret: idSecret, Audience: "mcp"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf strings.Builder
			logger := slog.New(slog.NewTextHandler(&buf, nil))
			if _, err := newIdentifier(JWTIdentity(tt.jwt), false, TenantOptions{}, logger); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("log: got %q, want it to contain %q", out, w)
				}
			}
			if tt.want == nil && out != "" {
				t.Errorf("log: got %q, want nothing", out)
			}
			if strings.Contains(out, "=short") || strings.Contains(out, string(idSecret)) {
				t.Errorf("log: got %q, which contains the secret", out)
			}
		})
	}
}

func TestIdentifyDoesNotMutateInputs(t *testing.T) {
	p := &Principal{Subject: "s", Email: "e@example.com", Scopes: []string{"a"}, Attributes: map[string]any{"k": "v"}}
	i := mustIdentifier(t, ContextIdentity(), TenantOptions{})
	id, err := i.identify(idWithPrincipal(idRequest(), p))
	if err != nil {
		t.Fatal(err)
	}
	id.User.Attributes["k"] = "changed"
	id.Scopes[0] = "changed"
	want := &Principal{Subject: "s", Email: "e@example.com", Scopes: []string{"a"}, Attributes: map[string]any{"k": "v"}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("principal changed (-want +got):\n%s", diff)
	}

	orig := &Identity{User: User{Key: "f"}}
	ci := mustIdentifier(t, FuncIdentity(func(*http.Request) (*Identity, error) { return orig, nil }), TenantOptions{Fixed: "t"})
	if _, err := ci.identify(idRequest()); err != nil {
		t.Fatal(err)
	}
	if orig.Tenant != "" {
		t.Errorf("custom identity's Tenant: got %q, want it untouched", orig.Tenant)
	}
}

func TestIdentifyAllowUnknown(t *testing.T) {
	hsJWT := JWTIdentity(JWTOptions{Secret: idSecret})
	expired := signJWT(t, "HS256", idSecret, nil, map[string]any{"sub": "a", "exp": idNum(idNow.Add(-time.Hour))})
	forged := signJWT(t, "HS256", []byte("not the secret, but long enough to pass"), nil, map[string]any{"sub": "admin"})
	noSub := map[string]any{"name": "n", "exp": idNum(idNow.Add(time.Hour))}
	unknown := func(attrs map[string]any) *Identity {
		return &Identity{User: User{Key: "unknown", Attributes: attrs}, Tenant: "default"}
	}
	tests := []struct {
		name  string
		id    IdentitySource
		req   *http.Request
		token string // must not appear anywhere in the identity
		want  *Identity
	}{
		{"missing jwt header", hsJWT, idRequest(), "", unknown(map[string]any{"type": "missing_jwt_header"})},
		{"bad jwt header format", hsJWT, idRequest("Authorization: Token abc"), "abc", unknown(map[string]any{"type": "invalid_jwt_header_format"})},
		{"expired jwt", hsJWT, idRequest("Authorization: Bearer " + expired), expired, unknown(map[string]any{"type": "jwt_error", "error": "jwt: token expired"})},
		{"forged jwt", hsJWT, idRequest("Authorization: Bearer " + forged), forged, unknown(map[string]any{"type": "jwt_error", "error": "jwt: invalid signature"})},
		{"garbage jwt", hsJWT, idRequest("Authorization: Bearer secret-api-key"), "secret-api-key", unknown(map[string]any{"type": "jwt_error", "error": "jwt: malformed token"})},
		{
			"valid jwt without subject", hsJWT,
			idRequest("Authorization: Bearer " + signJWT(t, "HS256", idSecret, nil, noSub)), "",
			&Identity{User: User{Key: "unknown", Attributes: map[string]any{"jwt": map[string]any{"name": "n", "exp": idNum(idNow.Add(time.Hour))}}}, Tenant: "default", Expiry: idNow.Add(time.Hour)},
		},
		{"missing identity header", HeaderIdentity("X-User", ""), idRequest(), "", unknown(map[string]any{"type": "missing_identity_header"})},
		{"bad identity header", HeaderIdentity("", ""), idRequest("Authorization: key"), "key", unknown(map[string]any{"type": "invalid_identity_header_format"})},
		{"missing principal", ContextIdentity(), idRequest(), "", unknown(map[string]any{"type": "missing_principal"})},
		{
			"custom unauthenticated",
			FuncIdentity(func(*http.Request) (*Identity, error) { return nil, ErrUnauthenticated }),
			idRequest(), "", unknown(map[string]any{"type": "identity_func_error"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := mustUnknownIdentifier(t, tt.id, TenantOptions{})
			got, err := i.identify(tt.req)
			if err != nil {
				t.Fatalf("identify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("identify mismatch (-want +got):\n%s", diff)
			}
			if tt.token != "" && strings.Contains(fmt.Sprintf("%#v", got.User), tt.token) {
				t.Errorf("identity %#v contains the credential", got.User)
			}
		})
	}

	// AllowUnknown never hides a custom function's own failure.
	i := mustUnknownIdentifier(t, FuncIdentity(func(*http.Request) (*Identity, error) {
		return nil, errors.New("db down")
	}), TenantOptions{})
	if id, err := i.identify(idRequest()); err == nil {
		t.Errorf("identify with a failing Func: got %+v, want an error", id)
	}
}

func TestInvalidCredential(t *testing.T) {
	hsJWT := JWTIdentity(JWTOptions{Secret: idSecret})
	tests := []struct {
		name string
		id   IdentitySource
		req  *http.Request
		want bool
	}{
		{"missing bearer token", hsJWT, idRequest(), false},
		{"bad bearer token", hsJWT, idRequest("Authorization: Bearer x.y.z"), true},
		{"wrong scheme", hsJWT, idRequest("Authorization: Basic eA=="), true},
		{"missing header", HeaderIdentity("X-User", ""), idRequest(), false},
		{"missing principal", ContextIdentity(), idRequest(), false},
		{"custom", FuncIdentity(func(*http.Request) (*Identity, error) { return nil, ErrUnauthenticated }), idRequest(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustIdentifier(t, tt.id, TenantOptions{}).identify(tt.req)
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("identify: got %v, want ErrUnauthenticated", err)
			}
			if got := invalidCredential(err); got != tt.want {
				t.Errorf("invalidCredential(%v): got %v, want %v", err, got, tt.want)
			}
		})
	}
	if invalidCredential(errors.New("other")) {
		t.Error("invalidCredential(other error): got true, want false")
	}
}

func TestIdentifyErrorsNeverContainTheToken(t *testing.T) {
	i := mustIdentifier(t, JWTIdentity(JWTOptions{Secret: idSecret}), TenantOptions{})
	for _, tok := range []string{
		"not-a-jwt-SECRETVALUE",
		signJWT(t, "HS256", []byte("some other secret that is long enough"), nil, map[string]any{"sub": "SECRETVALUE"}),
		signJWT(t, "HS256", idSecret, nil, map[string]any{"sub": "SECRETVALUE", "exp": idNum(idNow.Add(-time.Hour))}),
	} {
		_, err := i.identify(idRequest("Authorization: Bearer " + tok))
		if err == nil || strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), tok) {
			t.Errorf("identify error: got %v, want an error without token content", err)
		}
	}
}

func TestIdentifyTenant(t *testing.T) {
	hsJWT := JWTIdentity(JWTOptions{Secret: idSecret})
	tok := func(c map[string]any) string { return "Authorization: Bearer " + signJWT(t, "HS256", idSecret, nil, c) }
	tests := []struct {
		name    string
		id      IdentitySource
		tenant  TenantOptions
		req     *http.Request
		want    string
		errText string
	}{
		{"default", IdentitySource{}, TenantOptions{}, idRequest(), "default", ""},
		{"fixed", IdentitySource{}, TenantOptions{Fixed: "acme"}, idRequest(), "acme", ""},
		{"claim", hsJWT, TenantOptions{Claim: "org"}, idRequest(tok(map[string]any{"sub": "a", "org": "acme"})), "acme", ""},
		{"numeric claim", hsJWT, TenantOptions{Claim: "org"}, idRequest(tok(map[string]any{"sub": "a", "org": 7})), "7", ""},
		{"claim missing falls back", hsJWT, TenantOptions{Claim: "org", Fixed: "fallback"}, idRequest(tok(map[string]any{"sub": "a"})), "fallback", ""},
		{"claim empty falls back", hsJWT, TenantOptions{Claim: "org"}, idRequest(tok(map[string]any{"sub": "a", "org": ""})), "default", ""},
		{"claim missing required", hsJWT, TenantOptions{Claim: "org", Required: true}, idRequest(tok(map[string]any{"sub": "a"})), "", `mcpauth: forbidden: tenant claim "org" is missing`},
		{"claim not a string required", hsJWT, TenantOptions{Claim: "org", Required: true}, idRequest(tok(map[string]any{"sub": "a", "org": []string{"x"}})), "", `mcpauth: forbidden: tenant claim "org" is missing`},
		{
			"context claim", ContextIdentity(), TenantOptions{Claim: "org"},
			idWithPrincipal(idRequest(), &Principal{Subject: "s", Attributes: map[string]any{"org": "acme"}}), "acme", "",
		},
		{
			"context claim missing required", ContextIdentity(), TenantOptions{Claim: "org", Required: true},
			idWithPrincipal(idRequest(), &Principal{Subject: "s"}), "", `mcpauth: forbidden: tenant claim "org" is missing`,
		},
		{"header", IdentitySource{}, TenantOptions{Header: "x-tenant"}, idRequest("X-Tenant: acme"), "acme", ""},
		{"header missing falls back", IdentitySource{}, TenantOptions{Header: "X-Tenant"}, idRequest(), "default", ""},
		{"header missing required", IdentitySource{}, TenantOptions{Header: "X-Tenant", Required: true}, idRequest(), "", "mcpauth: forbidden: tenant header X-Tenant is missing"},
		{"header empty required", IdentitySource{}, TenantOptions{Header: "X-Tenant", Required: true}, idRequest("X-Tenant: "), "", "mcpauth: forbidden: tenant header X-Tenant is missing"},
		{"header twice", IdentitySource{}, TenantOptions{Header: "X-Tenant"}, idRequest("X-Tenant: a", "X-Tenant: b"), "", "mcpauth: forbidden: more than one X-Tenant header"},
		{
			"custom tenant wins over header",
			FuncIdentity(func(*http.Request) (*Identity, error) { return &Identity{User: User{Key: "u"}, Tenant: "mine"}, nil }),
			TenantOptions{Header: "X-Tenant"}, idRequest("X-Tenant: theirs"), "mine", "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := mustIdentifier(t, tt.id, tt.tenant)
			got, err := i.identify(tt.req)
			if tt.errText != "" {
				if err == nil || err.Error() != tt.errText || !errors.Is(err, ErrForbidden) {
					t.Fatalf("identify: got error %v, want %q wrapping ErrForbidden", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("identify: %v", err)
			}
			if got.Tenant != tt.want {
				t.Errorf("tenant: got %q, want %q", got.Tenant, tt.want)
			}
		})
	}

	// A required tenant claim is required of the unknown user too.
	i := mustUnknownIdentifier(t, JWTIdentity(JWTOptions{Secret: idSecret}), TenantOptions{Claim: "org", Required: true})
	const want = `mcpauth: forbidden: tenant claim "org" is missing`
	if _, err := i.identify(idRequest()); err == nil || err.Error() != want || !errors.Is(err, ErrForbidden) {
		t.Errorf("claim required with unknown user: got error %v, want %q wrapping ErrForbidden", err, want)
	}
}

// jwksServer serves one EC key as a JWKS and counts requests.
func idJWKSServer(t *testing.T, kid string, pub *ecdsa.PublicKey) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	raw, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
		"x": base64.RawURLEncoding.EncodeToString(raw[1:33]),
		"y": base64.RawURLEncoding.EncodeToString(raw[33:]),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestIdentifyJWKS(t *testing.T) {
	k := idKeysOnce()
	srv, requests := idJWKSServer(t, "key-1", &k.p256.PublicKey)
	i := mustIdentifier(t, JWTIdentity(JWTOptions{JWKSURL: srv.URL + "/jwks", HTTPClient: srv.Client(), Issuer: "https://idp.example", Audience: "https://mcp.example"}), TenantOptions{Claim: "tid", Required: true})
	claims := map[string]any{"sub": "u1", "iss": "https://idp.example", "aud": "https://mcp.example", "tid": "t-9", "exp": idNum(idNow.Add(time.Minute))}
	tok := signJWT(t, "ES256", k.p256, map[string]any{"kid": "key-1"}, claims)
	for range 3 {
		got, err := i.identify(idRequest("Authorization: Bearer " + tok))
		if err != nil {
			t.Fatalf("identify: %v", err)
		}
		want := &Identity{User: User{Key: "u1", Attributes: map[string]any{"jwt": claims}}, Tenant: "t-9", Expiry: idNow.Add(time.Minute)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("identify mismatch (-want +got):\n%s", diff)
		}
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("JWKS requests: got %d, want 1", got)
	}
	// The injected clock drives expiry.
	i.now = func() time.Time { return idNow.Add(2 * time.Minute) }
	if _, err := i.identify(idRequest("Authorization: Bearer " + tok)); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("identify after expiry: got %v, want ErrUnauthenticated", err)
	}
	// Unknown kid: refused without a refetch inside the minimum interval.
	other := signJWT(t, "ES256", k.p256, map[string]any{"kid": "key-2"}, claims)
	i.now = func() time.Time { return idNow }
	if _, err := i.identify(idRequest("Authorization: Bearer " + other)); err == nil || err.Error() != "mcpauth: unauthenticated: invalid token: jwt: no key for token" {
		t.Errorf("identify with unknown kid: got %v", err)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("JWKS requests after an unknown kid: got %d, want 1", got)
	}
}

func TestIdentifyConcurrent(t *testing.T) {
	k := idKeysOnce()
	srv, requests := idJWKSServer(t, "key-1", &k.p256.PublicKey)
	i := mustIdentifier(t, JWTIdentity(JWTOptions{JWKSURL: srv.URL, HTTPClient: srv.Client()}), TenantOptions{Claim: "org"})
	var toks []string
	for n := range 8 {
		toks = append(toks, signJWT(t, "ES256", k.p256, map[string]any{"kid": "key-1"}, map[string]any{"sub": fmt.Sprint("u", n), "org": fmt.Sprint("o", n)}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(toks))
	for n, tok := range toks {
		wg.Go(func() {
			for range 50 {
				id, err := i.identify(idRequest("Authorization: Bearer " + tok))
				if err != nil {
					errs <- err
					return
				}
				if want := fmt.Sprint("u", n); id.User.Key != want || id.Tenant != fmt.Sprint("o", n) {
					errs <- fmt.Errorf("got user %q tenant %q, want %s", id.User.Key, id.Tenant, want)
					return
				}
				// Callers may modify what they get.
				id.User.Attributes["jwt"].(map[string]any)["sub"] = "changed"
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("JWKS requests: got %d, want 1", got)
	}
}

var identitySink *Identity

func BenchmarkIdentifyJWT(b *testing.B) {
	k := idKeysOnce()
	claims := map[string]any{
		"sub": "alice", "iss": "https://idp.example", "aud": "https://mcp.example",
		"exp": idNum(idNow.Add(time.Hour)), "iat": idNum(idNow), "scope": "tools:read tools:call",
		"email": "alice@example.com", "org": "acme", "client_id": "c-1",
	}
	cases := []struct {
		name string
		jwt  JWTOptions
		tok  string
	}{
		{"HS256", JWTOptions{Secret: idSecret}, signJWT(b, "HS256", idSecret, nil, claims)},
		{"ES256", JWTOptions{PublicKey: &k.p256.PublicKey}, signJWT(b, "ES256", k.p256, nil, claims)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.jwt.Issuer, c.jwt.Audience = "https://idp.example", "https://mcp.example"
			i := mustIdentifier(b, JWTIdentity(c.jwt), TenantOptions{Claim: "org"})
			r := idRequest("Authorization: Bearer " + c.tok)
			b.ReportAllocs()
			for b.Loop() {
				id, err := i.identify(r)
				if err != nil {
					b.Fatal(err)
				}
				identitySink = id
			}
		})
	}
}

// TestJWTIdentityCopies checks that JWTIdentity keeps its own copy of the
// secret and algorithms: changing the caller's slices afterwards must not
// change what New verifies with.
func TestJWTIdentityCopies(t *testing.T) {
	secret := append([]byte(nil), idSecret...)
	algs := []string{"HS256"}
	src := JWTIdentity(JWTOptions{Secret: secret, Algorithms: algs})
	secret[0] ^= 0xff
	algs[0] = "HS512"
	i := mustIdentifier(t, src, TenantOptions{})
	tok := signJWT(t, "HS256", idSecret, nil, map[string]any{"sub": "a", "exp": idNum(idNow.Add(time.Hour))})
	if _, err := i.identify(idRequest("Authorization: Bearer " + tok)); err != nil {
		t.Errorf("identify with the secret given to JWTIdentity: %v", err)
	}
}
