// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package jwtpolicy verifies JSON Web Tokens ([RFC 7519]) in the JWS compact
// serialization ([RFC 7515]): the cryptography is go-jose's
// (github.com/go-jose/go-jose/v4), the rules are mcpauth's.
//
// A [Verifier] finds the key with a [KeySource] (a fixed key from
// [StaticKey] or a [JWKS] fetched from a URL), lets go-jose parse the token
// (with an allow-list of the one configured algorithm the token names) and
// check its signature, and checks the registered claims exp, nbf, iat, iss
// and aud with go-jose's claim validation plus the stricter rules below.
//
// # What go-jose does
//
// Base64url and JOSE header parsing (with the algorithm allow-list, and
// refusing duplicate header members), signature verification for HS*, RS*,
// PS*, ES* and EdDSA, JWK parsing (RSA, EC, OKP; point-on-curve, coordinate
// sizes, weak Ed25519 keys, x5c consistency), and the comparison of
// issuer, audience and times with a leeway.
//
// # What this package adds
//
//   - Only configured algorithms, and only keys of the type the token's
//     algorithm needs, so an RSA public key can never be used as an HMAC
//     secret (the classic algorithm-confusion attack); "none" is never an
//     algorithm. RSA keys must have at least [MinRSABits] bits.
//   - One spelling per token: tokens larger than [MaxTokenSize], with
//     padding, non-base64url characters or non-zero trailing bits in a
//     segment (go-jose decodes those leniently), duplicate claim names
//     (decoded with internal/jsonscan), trailing data after the claims, or a
//     "crit" or "b64" header
//     (RFC 7797, which go-jose honours even without "crit") are rejected.
//     Key URLs and keys in token headers (jku, x5u, jwk) are never used.
//   - Claims: exp, nbf and iat must be non-negative numbers below year
//     10000; exp is required when configured so; a token is expired from
//     exp+leeway on (RFC 7519 §4.1.4; go-jose still accepts it at that
//     instant); a non-string iss never matches. go-jose compares whole
//     seconds, so it gets exp rounded down and nbf and iat rounded up.
//   - HMAC secrets shorter than the hash size, which go-jose refuses, are
//     accepted (callers warn about them): see [Key].
//   - Errors are a closed vocabulary of sentinels ([Reason]) that never
//     contain token text or key server details.
//
// # Key sets
//
// A [JWKS] fetches its URL on first use and reuses the keys for its refresh
// interval. A token whose key id is unknown triggers at most one refetch per
// minimum interval, so forged key ids cannot make the verifier hammer the key
// server; concurrent refetches are coalesced into one request
// (golang.org/x/sync/singleflight) that no caller's cancellation ends. When
// a refresh fails, the keys already fetched stay in use. Keys go-jose
// cannot parse, and keys against the rules above (symmetric, private,
// encryption, weak, unsupported curve, an "alg" that does not fit), are
// skipped one by one with a logged reason. No goroutine runs between
// fetches.
//
// # Verified-token cache
//
// With [Config].CacheSize set, a [Verifier] remembers tokens that verified,
// keyed by the exact token text, so that a client sending the same bearer
// token on every request pays for signature verification once. The cache is
// a golang-lru expirable LRU (bounded, least recently used dropped first,
// entries gone after [Config].CacheTTL); each entry also keeps the token's
// expiry (leeway included) and is dropped once the verifier's clock reaches
// it. Only tokens up to 4 KiB are cached. Each caller gets its own copy of
// the claims map (nested values are shared and must be treated as
// read-only). The LRU runs one cleanup goroutine per verifier for the life
// of the process.
//
// [RFC 7515]: https://www.rfc-editor.org/rfc/rfc7515
// [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519
package jwtpolicy
