// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeaauthntest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/internal/pangeawire"
)

// Service API statuses. Success is pangea-response's; ValidationError is
// the status of the spec's 400 answers; Unauthorized and
// InvalidPayloadReceived are statuses the Pangea SDKs know (pangea-python
// response.py ResponseStatus, pangea-javascript request.ts).
const (
	StatusSuccess                = "Success"
	StatusValidationError        = "ValidationError"
	StatusUnauthorized           = "Unauthorized"
	StatusInvalidPayloadReceived = "InvalidPayloadReceived"
)

// FieldError is one entry of result.errors (pangea-validation-errors:
// code, detail and source are required; the codes are the spec's enum).
type FieldError = pangeawire.FieldError

func fieldError(code, detail, source string) FieldError {
	return FieldError{Code: code, Detail: detail, Source: source}
}

func writeEnvelope(w http.ResponseWriter, code int, status, summary string, result any) {
	now := pangeawire.Stamp(time.Now())
	pangeawire.Write(w, code, pangeawire.Envelope{
		RequestID:    "prq_" + randBase32(),
		RequestTime:  now,
		ResponseTime: now,
		Status:       status,
		Summary:      summary,
		Result:       result,
	})
}

func validationError(w http.ResponseWriter, errs ...FieldError) {
	writeEnvelope(w, http.StatusBadRequest, StatusValidationError, "There was an error validating the payload", pangeawire.Errors(errs))
}

// serviceCall checks what every service API call needs: POST, the service
// token, and a JSON object body whose members are all in allowed (the
// request schemas say additionalProperties: false). It writes the error
// answer and returns nil when the call must stop.
func (s *Server) serviceCall(w http.ResponseWriter, r *http.Request, allowed ...string) map[string]json.RawMessage {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeEnvelope(w, http.StatusMethodNotAllowed, "NotFound", "POST only", nil)
		return nil
	}
	want := "Bearer " + s.ServiceToken
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
		writeEnvelope(w, http.StatusUnauthorized, StatusUnauthorized, "Not authorized to access this resource", nil)
		return nil
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	if !json.Valid(body.Bytes()) {
		writeEnvelope(w, http.StatusBadRequest, StatusInvalidPayloadReceived, "Invalid payload received: the body is not JSON", nil)
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(body.Bytes(), &members) != nil || members == nil {
		validationError(w, fieldError("InvalidObject", "the body must be a JSON object", "/"))
		return nil
	}
	var errs []FieldError
	for name := range members {
		if !slices.Contains(allowed, name) {
			errs = append(errs, fieldError("UnexpectedProperty", "unexpected property "+name, "/"+name))
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Source, b.Source) })
		validationError(w, errs...)
		return nil
	}
	return members
}

// tokenCheck is POST /v2/client/token/check: {"token"} (required,
// authn-token), answered with authn-token-info-nocreds.
func (s *Server) tokenCheck(w http.ResponseWriter, r *http.Request) {
	m := s.serviceCall(w, r, "token")
	if m == nil {
		return
	}
	raw, ok := m["token"]
	var tok string
	switch {
	case !ok:
		validationError(w, fieldError("FieldRequired", "token is required", "/token"))
		return
	case string(raw) == "null":
		validationError(w, fieldError("InvalidNull", "token must not be null", "/token"))
		return
	case json.Unmarshal(raw, &tok) != nil:
		validationError(w, fieldError("InvalidString", "token must be a string", "/token"))
		return
	case !TokenPattern.MatchString(tok):
		validationError(w, fieldError("DoesNotMatchPattern", "token does not match "+TokenPattern.String(), "/token"))
		return
	}
	s.mu.Lock()
	ti := s.tokens[tok]
	s.mu.Unlock()
	if ti == nil || ti.oauth && s.opts.TokenCheckUnaware {
		// The spec does not say how a well-formed unknown token is
		// answered; the double says it does not exist.
		validationError(w, fieldError("DoesNotExist", "token does not exist or has expired", "/token"))
		return
	}
	exp := ti.issued.Add(AccessTokenLife * time.Second).UTC()
	res := map[string]any{
		"id":         "pmt_" + randBase32(),
		"type":       "user",
		"life":       int(time.Until(exp).Seconds()),
		"expire":     exp.Format(time.RFC3339Nano),
		"enabled":    true,
		"identity":   ti.user.ID,
		"email":      ti.user.Email,
		"scopes":     strings.Fields(ti.scope),
		"profile":    map[string]string{"first_name": "Test", "last_name": "User"},
		"created_at": ti.issued.UTC().Format(time.RFC3339Nano),
	}
	if ti.clientID != "" {
		res["client_id"] = ti.clientID
	}
	writeEnvelope(w, http.StatusOK, StatusSuccess, "Token is valid", res)
}

// jwks is POST /v2/client/jwks: {} answered with {"keys":[JWK…]}.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	if s.serviceCall(w, r) == nil {
		return
	}
	writeEnvelope(w, http.StatusOK, StatusSuccess, "JWKS retrieved", map[string]any{"keys": []any{s.publicJWK()}})
}

// JWKS returns the public key set of the JWTs the server signs, as a plain
// RFC 7517 JWK Set document, for tests that publish it at a URL of their
// own.
func (s *Server) JWKS() []byte {
	b, _ := json.Marshal(map[string]any{"keys": []any{s.publicJWK()}})
	return b
}

func (s *Server) publicJWK() map[string]string {
	pub, err := s.key.PublicKey.ECDH()
	if err != nil {
		panic(err)
	}
	b := pub.Bytes() // 0x04 || X || Y, 32 bytes each
	return map[string]string{
		"kid": s.kid, "kty": "EC", "alg": "ES256", "crv": "P-256", "use": "sig",
		"x": base64.RawURLEncoding.EncodeToString(b[1:33]),
		"y": base64.RawURLEncoding.EncodeToString(b[33:]),
	}
}

// sign returns an ES256 JWS compact serialization of claims.
func (s *Server) sign(claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": s.kid, "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	h := sha256.Sum256([]byte(input))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, h[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64) // r || s, 32 bytes each (RFC 7518 §3.4)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
