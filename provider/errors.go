// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// ErrorCode is an OAuth 2.0 error code, the "error" member of an error
// response.
type ErrorCode string

// The error codes the provider sends. Every OAuth error the provider writes
// uses one of them.
const (
	// RFC 6749 §4.1.2.1 (authorization endpoint) and §5.2 (token endpoint).
	CodeInvalidRequest          ErrorCode = "invalid_request"
	CodeInvalidClient           ErrorCode = "invalid_client"
	CodeInvalidGrant            ErrorCode = "invalid_grant"
	CodeUnauthorizedClient      ErrorCode = "unauthorized_client"
	CodeUnsupportedGrantType    ErrorCode = "unsupported_grant_type"
	CodeUnsupportedResponseType ErrorCode = "unsupported_response_type"
	CodeInvalidScope            ErrorCode = "invalid_scope"
	CodeAccessDenied            ErrorCode = "access_denied"
	CodeServerError             ErrorCode = "server_error"
	CodeTemporarilyUnavailable  ErrorCode = "temporarily_unavailable"

	// RFC 8707 §2: a resource the request may not name.
	CodeInvalidTarget ErrorCode = "invalid_target"

	// RFC 6750 §3.1: bearer token errors of the protected resource.
	CodeInvalidToken      ErrorCode = "invalid_token"
	CodeInsufficientScope ErrorCode = "insufficient_scope"

	// RFC 7591 §3.2.2: dynamic client registration errors.
	CodeInvalidRedirectURI    ErrorCode = "invalid_redirect_uri"
	CodeInvalidClientMetadata ErrorCode = "invalid_client_metadata"
)

// Status returns the HTTP status that goes with c when an [Error] does not
// set one: 401 for invalid_client and invalid_token, 403 for
// insufficient_scope and access_denied, 500 for server_error, 503 for
// temporarily_unavailable and 400 for every other code.
func (c ErrorCode) Status() int {
	switch c {
	case CodeInvalidClient, CodeInvalidToken:
		return http.StatusUnauthorized
	case CodeInsufficientScope, CodeAccessDenied:
		return http.StatusForbidden
	case CodeServerError:
		return http.StatusInternalServerError
	case CodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

// Error is an OAuth 2.0 error response: the JSON body of RFC 6749 §5.2,
// RFC 6750 §3 and RFC 7591 §3.2.2, or the error parameters of an
// authorization response (RFC 6749 §4.1.2.1). Code, Description and URI are
// what the client receives; Status and Err never leave the process.
//
// Functions of this package return *Error where the failure has an OAuth
// meaning (see [Grant.UpstreamToken]); use [errors.As] to read it. Hooks may
// return one to choose what the client is told (see [IdentifyFunc]), and
// [Provider.WriteError] writes one. The provider checks every Error it did
// not build itself before sending it: a code outside the RFC 6749 §5.2
// character set turns the whole error into server_error with a generic
// description, characters outside that set are dropped from the
// description, and a URI that is not an absolute URL is left out.
type Error struct {
	// Code is the error code, one of the Code constants for errors the
	// provider builds.
	Code ErrorCode `json:"error"`
	// Description is human-readable text for the client developer. It is
	// sent to the client: never put secrets or internal details in it.
	Description string `json:"error_description,omitempty"`
	// URI is an optional absolute URL of a page about the error.
	URI string `json:"error_uri,omitempty"`
	// Status is the HTTP status of the response; 0 means Code.Status().
	Status int `json:"-"`
	// Err is the underlying cause, for logs and [errors.Is]; it is never
	// sent to the client.
	Err error `json:"-"`
}

// Error returns "provider: " followed by the code, the description and the
// cause, for logs.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("provider: ")
	b.WriteString(string(e.Code))
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error that sets only Code, to the same
// code, so that errors.Is(err, &provider.Error{Code:
// provider.CodeInvalidToken}) tests for a code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Description == "" && t.URI == "" && t.Status == 0 && t.Err == nil
}

// status is the HTTP status to send: Status if it is a 4xx or 5xx status,
// else the code's.
func (e *Error) status() int {
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	return e.Code.Status()
}

// errInternal is what a client is told of a failure that is not an *Error.
var errInternal = &Error{Code: CodeServerError, Description: "the request could not be completed"}

// wireError returns what the client may see of err: the fields of the
// *Error it wraps, checked and cleaned (see [Error]), or a generic
// server_error. The result is a new value without a cause.
func wireError(err error) *Error {
	var e *Error
	if !errors.As(err, &e) || e == nil || !validErrorText(string(e.Code)) {
		return &Error{Code: errInternal.Code, Description: errInternal.Description, Status: errInternal.Code.Status()}
	}
	out := &Error{Code: e.Code, Description: cleanErrorText(e.Description), Status: e.status()}
	if validErrorURI(e.URI) {
		out.URI = e.URI
	}
	return out
}

// validErrorText reports whether s is a non-empty RFC 6749 §5.2 error or
// error_description value: %x20-21 / %x23-5B / %x5D-7E.
func validErrorText(s string) bool {
	return s != "" && cleanErrorText(s) == s
}

// cleanErrorText drops the characters RFC 6749 §5.2 does not allow in
// error_description (anything but %x20-21 / %x23-5B / %x5D-7E).
func cleanErrorText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}

// validErrorURI reports whether s is an absolute http(s) URL made of the
// characters RFC 6749 §5.2 allows in error_uri (%x21 / %x23-5B / %x5D-7E).
func validErrorURI(s string) bool {
	if s == "" || strings.ContainsAny(s, " ") || cleanErrorText(s) != s {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// WriteError writes err as an OAuth error response with a JSON body, for
// handlers that use this provider, such as MCP tool code that failed to get
// the upstream token ([Grant.UpstreamToken]). If err wraps an *[Error], its
// code, description and URI are sent (checked as described at [Error])
// with its status; invalid_token and insufficient_scope also get the RFC
// 6750/9728 WWW-Authenticate challenge. Any other error is logged and sent
// as server_error with a generic description: its text never reaches the
// client.
func (p *Provider) WriteError(w http.ResponseWriter, err error) {
	e := wireError(err)
	if e.Code == errInternal.Code && e.Description == errInternal.Description {
		p.logger.Error("provider: request failed", "err", err)
	}
	switch e.Code {
	case CodeInvalidToken, CodeInsufficientScope:
		p.challenge(w, e, p.scopes)
	default:
		writeError(w, e)
	}
}

// writeError writes e, which the provider built, as a JSON error response
// that no cache keeps.
func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, e.status(), &Error{Code: e.Code, Description: cleanErrorText(e.Description), URI: e.URI})
}

// hookError is an error returned by a caller's hook (see [IdentifyFunc]):
// the *Error it wraps, if any, is what the client is told.
type hookError struct {
	hook string
	err  error
}

func (e *hookError) Error() string { return "provider: " + e.hook + ": " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

// oauthErr builds an error of the provider's own.
func oauthErr(code ErrorCode, desc string) *Error {
	return &Error{Code: code, Description: desc}
}
