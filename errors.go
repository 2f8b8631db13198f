// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"encoding/json"
	"errors"
)

// Sentinel errors. Their messages are part of the API and will not change.
var (
	// ErrUnauthenticated means the request carries no valid identity.
	ErrUnauthenticated = errors.New("mcpauth: unauthenticated")
	// ErrForbidden means the decision point denied the request.
	ErrForbidden = errors.New("mcpauth: forbidden")
	// ErrNoMapping means the request's method has no mapping rule.
	ErrNoMapping = errors.New("mcpauth: no mapping for method")
	// ErrMalformedRequest means the body is not a JSON-RPC message the
	// middleware can authorize safely.
	ErrMalformedRequest = errors.New("mcpauth: malformed request")
	// ErrDecisionFailed means the decision point could not decide (an
	// error or timeout); the request is denied.
	ErrDecisionFailed = errors.New("mcpauth: decision failed")
	// ErrUnknownSession means the request names an MCP session that the
	// middleware did not see created by the same identity (someone else's,
	// an expired one, or one it never saw). It is answered with HTTP 404, as
	// a server answers an unknown session, so the client starts a new one.
	ErrUnknownSession = errors.New("mcpauth: unknown session")
)

// Denial describes a request the middleware refuses. A [DenyHandler]
// receives it; [Middleware.Check] returns it as an error.
type Denial struct {
	// Status is the HTTP status the built-in handler answers with.
	Status int
	// Code and Message form the JSON-RPC error, when one is sent.
	Code    int
	Message string
	// Reason says why, for logs; it is shown to clients only when
	// DenyOptions.ExposeReason is set. It never holds internal error text.
	Reason string
	// Method is the JSON-RPC method, and ID the request id (nil for a
	// notification or an undecodable body).
	Method string
	ID     json.RawMessage
	// Check is the check that was denied, when there was one.
	Check *Check
	// Err wraps one of the sentinel errors (ErrForbidden, ErrUnauthenticated,
	// ...) and, for decision failures, the underlying cause.
	Err error

	protocol bool              // a malformed request rather than a policy denial
	tool     string            // the tool name of a denied tools/call
	batch    bool              // the request was a batch
	batchIDs []json.RawMessage // ids of the batch's requests
	// invalidToken: a credential was presented and rejected (RFC 6750
	// error="invalid_token"), as opposed to none presented.
	invalidToken bool
}

// Error implements error.
func (d *Denial) Error() string {
	if d.Err != nil {
		return d.Err.Error()
	}
	return ErrForbidden.Error()
}

// Unwrap returns the underlying error, so errors.Is(d, ErrForbidden) works.
func (d *Denial) Unwrap() error { return d.Err }
