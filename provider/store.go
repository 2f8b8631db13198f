// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// Record keys. Every secret value (token, code, state, CSRF token, browser
// binding) is stored only as its SHA-256 hash; keys derived from secrets use
// the hex hash, so they are safe in any backend.
const (
	keyClient   = "mcpauth/provider/client/"   // + client_id
	keyConsent  = "mcpauth/provider/consent/"  // + hash(consent id)
	keyPending  = "mcpauth/provider/pending/"  // + hash(upstream state)
	keyCode     = "mcpauth/provider/code/"     // + hash(code)
	keyCodeUsed = "mcpauth/provider/codeused/" // + hash(code)
	keyAccess   = "mcpauth/provider/access/"   // + hash(access token)
	keyRefresh  = "mcpauth/provider/refresh/"  // + hash(refresh token)
	keyRTUsed   = "mcpauth/provider/rtused/"   // + hash(refresh token)
	keyFamily   = "mcpauth/provider/family/"   // + family id
	keyRevoked  = "mcpauth/provider/revoked/"  // + family id (tombstone)
	keyGrantAT  = "mcpauth/provider/grantat/"  // + family id: its access tokens
)

// Token prefixes.
const (
	prefixAccess  = "mcp_"
	prefixRefresh = "mcpr_"
	prefixCode    = "mcpc_"
)

// clientRecord is a registered client (dynamic or static).
type clientRecord struct {
	ClientID     string    `json:"client_id"`
	SecretHash   string    `json:"client_secret_sha256,omitempty"`
	AuthMethod   string    `json:"token_endpoint_auth_method"`
	Name         string    `json:"client_name,omitempty"`
	ClientURI    string    `json:"client_uri,omitempty"`
	RedirectURIs []string  `json:"redirect_uris"`
	GrantTypes   []string  `json:"grant_types"`
	Scopes       []string  `json:"scopes"`
	IssuedAt     time.Time `json:"client_id_issued_at,omitzero"`
	Kind         string    `json:"kind"` // "dynamic", "static" or "cimd"
	// ExpiresAt ends a registration (RegistrationOptions.ClientTTL).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// UnusedUntil is when a registration that has not yet completed an
	// authorization is refused (RegistrationOptions.UnusedClientTTL); zero
	// once it has.
	UnusedUntil time.Time `json:"unused_until,omitzero"`
}

// expired reports whether a registered client has passed its expiry or
// the deadline for its first authorization. The store's TTL deletes such
// records too; this check does not depend on how promptly it does.
func (c *clientRecord) expired(now time.Time) bool {
	return (!c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)) ||
		(!c.UnusedUntil.IsZero() && !now.Before(c.UnusedUntil))
}

// authRequest is a validated authorization request waiting for consent.
type authRequest struct {
	ClientID         string    `json:"client_id"`
	RedirectURI      string    `json:"redirect_uri"`
	RedirectExplicit bool      `json:"redirect_uri_explicit"`
	State            string    `json:"state,omitempty"`
	Challenge        string    `json:"code_challenge"`
	Scopes           []string  `json:"scopes"`
	Resource         string    `json:"resource"`
	CSRFHash         string    `json:"csrf_sha256"`
	BrowserHash      string    `json:"browser_sha256"`
	ExpiresAt        time.Time `json:"expires_at"`
}

// pendingLogin is an approved request waiting for the upstream callback.
type pendingLogin struct {
	Request     authRequest `json:"request"`
	Verifier    string      `json:"upstream_code_verifier"`
	Nonce       string      `json:"upstream_nonce"`
	BrowserHash string      `json:"browser_sha256"`
	ExpiresAt   time.Time   `json:"expires_at"`
}

// codeRecord is an issued authorization code.
type codeRecord struct {
	ClientID         string    `json:"client_id"`
	RedirectURI      string    `json:"redirect_uri"`
	RedirectExplicit bool      `json:"redirect_uri_explicit"`
	Challenge        string    `json:"code_challenge"`
	Scopes           []string  `json:"scopes"`
	Resource         string    `json:"resource"`
	Family           string    `json:"family"`
	ExpiresAt        time.Time `json:"expires_at"`
}

// familyRecord is one grant: the user, the client and the upstream token.
// Every access and refresh token belongs to a family; deleting the family
// revokes them all.
type familyRecord struct {
	ClientID       string    `json:"client_id"`
	Subject        string    `json:"subject,omitempty"`
	Email          string    `json:"email,omitempty"`
	IdentitySource string    `json:"identity_source"`
	Upstream       string    `json:"upstream_token_aesgcm"` // base64(nonce|ciphertext)
	CreatedAt      time.Time `json:"created_at"`
}

// tokenRecord is an access or refresh token.
type tokenRecord struct {
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	Resource  string    `json:"resource"`
	Family    string    `json:"family"`
	ExpiresAt time.Time `json:"expires_at"`
	// Grant copies the grant's identity into an access token's record, so
	// that verifying the token reads this record only; revoking the grant
	// deletes the record (see grantTokens). Nil in records written before.
	Grant *grantIdentity `json:"grant,omitempty"`
}

// grantIdentity is the user a grant was issued for.
type grantIdentity struct {
	Subject        string `json:"subject,omitempty"`
	Email          string `json:"email,omitempty"`
	IdentitySource string `json:"identity_source"`
}

// grantTokens lists the access tokens issued in a grant, so that revoking
// the grant can delete their records. Only minting writes it, and a grant
// mints one token at a time (a code is redeemed once; refresh tokens are
// single-use and rotate).
type grantTokens struct {
	Access []issuedToken `json:"access"`
}

// issuedToken is one entry of grantTokens.
type issuedToken struct {
	Hash      string    `json:"sha256"`
	ExpiresAt time.Time `json:"expires_at"`
}

// usedRecord marks a redeemed code or rotated refresh token.
type usedRecord struct {
	Family string `json:"family"`
}

func getJSON[V any](ctx context.Context, s repository.Store, key string) (*V, error) {
	b, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	v := new(V)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("provider: corrupt record: %w", err)
	}
	return v, nil
}

func takeJSON[V any](ctx context.Context, t repository.Taker, key string) (*V, error) {
	b, err := t.Take(ctx, key)
	if err != nil {
		return nil, err
	}
	v := new(V)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("provider: corrupt record: %w", err)
	}
	return v, nil
}

func setJSON(ctx context.Context, s repository.Store, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("provider: encode record: %w", err)
	}
	return s.Set(ctx, key, b, ttl)
}

func isNotFound(err error) bool { return errors.Is(err, repository.ErrNotFound) }

// randomToken returns prefix + 64 hex characters (32 random bytes).
func randomToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("provider: crypto/rand failed: " + err.Error())
	}
	return prefix + hex.EncodeToString(b[:])
}

// hashSecret returns the hex SHA-256 of a secret.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// equalHash compares a secret against a stored hash in constant time.
func equalHash(secret, hash string) bool {
	got := hashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// sealer encrypts upstream tokens with AES-GCM.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("provider: generate encryption key: %w", err)
		}
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("provider: EncryptionKey must be 32 bytes (AES-256), got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("provider: encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("provider: encryption key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts plaintext bound to aad (the family id).
func (s *sealer) seal(plaintext []byte, aad string) string {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("provider: crypto/rand failed: " + err.Error())
	}
	out := s.aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return base64.RawStdEncoding.EncodeToString(out)
}

func (s *sealer) open(sealed, aad string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return nil, errors.New("provider: malformed sealed upstream token")
	}
	n := s.aead.NonceSize()
	out, err := s.aead.Open(nil, b[:n], b[n:], []byte(aad))
	if err != nil {
		return nil, errors.New("provider: cannot decrypt upstream token (wrong EncryptionKey?)")
	}
	return out, nil
}
