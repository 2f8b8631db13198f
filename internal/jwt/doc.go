// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package jwt verifies JSON Web Tokens ([RFC 7519]) in the JWS compact
// serialization ([RFC 7515]) with the standard library only.
//
// A [Verifier] checks the signature with a [KeySource] (a fixed key from
// [StaticKey] or a [JWKS] fetched from a URL) and then the registered claims
// exp, nbf, iat, iss and aud.
//
// # Hardening
//
// The verifier accepts only the algorithms it was configured with ("none" is
// never one of them) and only keys of the type the token's algorithm needs,
// so an RSA public key can never be used as an HMAC secret (the classic
// algorithm-confusion attack). Tokens larger than [MaxTokenSize], with
// non-canonical base64url, duplicate header or claim names, or a "crit"
// header are rejected. Key URLs in token headers (jku, x5u, jwk) are never
// followed. ECDSA signatures must be the fixed-size r||s form of [RFC 7518]
// §3.4, RSASSA-PSS salts must equal the hash length, RSA keys must have at
// least 2048 bits.
//
// # Key sets
//
// A [JWKS] fetches its URL on first use and reuses the keys for its refresh
// interval. A token whose key id is unknown triggers at most one refetch per
// minimum interval, so forged key ids cannot make the verifier hammer the key
// server; concurrent refetches are coalesced into one request. When a
// refresh fails, the keys already fetched stay in use. There are no
// background goroutines: all fetching happens in callers' goroutines.
//
// # Verified-token cache
//
// With [Config].CacheSize set, a [Verifier] remembers tokens that verified,
// keyed by the exact token text, so that a client sending the same bearer
// token on every request pays for signature verification once. An entry is
// dropped when the token expires (leeway included) or after
// [Config].CacheTTL, whichever comes first; only tokens up to 4 KiB are
// cached, and the cache is bounded. Each caller gets its own copy of the
// claims map (nested values are shared and must be treated as read-only).
//
// [RFC 7515]: https://www.rfc-editor.org/rfc/rfc7515
// [RFC 7518]: https://www.rfc-editor.org/rfc/rfc7518
// [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519
package jwt
