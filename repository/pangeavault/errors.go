// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel kinds of [*APIError], for errors.Is. Their messages are part of
// the API and will not change.
var (
	// ErrUnauthorized: the token is missing, wrong, expired, or lacks the
	// Vault service (status Unauthorized, HTTP 401).
	ErrUnauthorized = errors.New("pangeavault: unauthorized")
	// ErrForbidden: the token may not perform this operation (status
	// ForbiddenVaultOperation or another Forbidden…, HTTP 403).
	ErrForbidden = errors.New("pangeavault: forbidden")
	// ErrValidation: Pangea rejected the request (status ValidationError,
	// HTTP 400), for example a folder that does not match its pattern.
	ErrValidation = errors.New("pangeavault: validation error")
	// ErrItemNotFound: the item id does not exist (status
	// VaultItemNotFound, HTTP 404). The Store maps it away where it means
	// "absent"; callers rarely see it.
	ErrItemNotFound = errors.New("pangeavault: item not found")
	// ErrTooManyRequests: rate limited (status TooManyRequests, HTTP 429)
	// after the retries ran out.
	ErrTooManyRequests = errors.New("pangeavault: too many requests")
	// ErrServer: a server-side failure (status InternalError or any HTTP
	// 5xx) after the retries ran out.
	ErrServer = errors.New("pangeavault: server error")
	// ErrPending: a request answered 202 Accepted was still pending after
	// the polls allowed by [Options.MaxPolls].
	ErrPending = errors.New("pangeavault: request still pending")
	// ErrUnexpectedResponse: the answer was not a Pangea envelope, or its
	// status is unknown to this package.
	ErrUnexpectedResponse = errors.New("pangeavault: unexpected response")
	// ErrCorruptRecord: a Vault item under one of this package's names
	// does not hold a record this package wrote.
	ErrCorruptRecord = errors.New("pangeavault: corrupt record")
	// ErrRecordTooLarge: a record would exceed Pangea Vault's secret
	// limit ([MaxSecretLength] characters). Set refuses it before any
	// call; the error is a [*RecordTooLargeError].
	ErrRecordTooLarge = errors.New("pangeavault: record too large")
)

// RecordTooLargeError is the error of a Set whose record would not fit in
// a Pangea Vault secret. Nothing was sent or stored. errors.Is matches it
// against [ErrRecordTooLarge].
type RecordTooLargeError struct {
	// Length is the record's length in characters (code points), with
	// this package's envelope.
	Length int
	// Limit is [MaxSecretLength].
	Limit int
}

// Error names the length and the limit, never the key or the value.
func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("pangeavault: record of %d characters exceeds Pangea Vault's %d-character secret limit (values up to %d bytes always fit)", e.Length, e.Limit, MaxValueSize)
}

// Is reports whether target is ErrRecordTooLarge.
func (e *RecordTooLargeError) Is(target error) bool { return target == ErrRecordTooLarge }

// Pangea status names this package knows (wire values, not API).
const (
	statusSuccess                 = "Success"
	statusAccepted                = "Accepted"
	statusValidationError         = "ValidationError"
	statusUnauthorized            = "Unauthorized"
	statusForbiddenVaultOperation = "ForbiddenVaultOperation"
	statusVaultItemNotFound       = "VaultItemNotFound"
	statusTooManyRequests         = "TooManyRequests"
	statusInternalError           = "InternalError"
)

// FieldError is one entry of an error answer's result.errors.
type FieldError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Source string `json:"source,omitempty"`
	Path   string `json:"path,omitempty"`
}

// APIError is an answer from Pangea other than Success, or an HTTP answer
// that is not a Pangea envelope. Test its kind with errors.Is against the
// sentinels ([ErrUnauthorized], [ErrItemNotFound], …).
//
// Its Error string never contains the token, keys or values.
type APIError struct {
	// Status is the envelope's status ("ValidationError", …); empty when
	// the answer was not an envelope.
	Status string
	// Summary is the envelope's human-readable summary. It may quote the
	// request; Error leaves it out.
	Summary string
	// RequestID is Pangea's request id, for support requests.
	RequestID string
	// HTTPStatus is the HTTP status code.
	HTTPStatus int
	// Path is the API path called, such as "/v2/get_bulk".
	Path string
	// Errors are the details Pangea gave, if any. They may quote the
	// request; Error leaves them out.
	Errors []FieldError
}

// Error describes the failure by path, status, HTTP code and request id.
// It leaves out Summary and Errors: Pangea's text may quote the request
// (an item name, which encodes a key), and keys can be secrets.
func (e *APIError) Error() string {
	status := e.Status
	if status == "" {
		status = "non-envelope answer"
	}
	msg := fmt.Sprintf("pangeavault: %s: %s (HTTP %d)", e.Path, status, e.HTTPStatus)
	if e.RequestID != "" {
		msg += " [" + e.RequestID + "]"
	}
	return msg
}

// Is reports whether target is the sentinel for e's kind.
func (e *APIError) Is(target error) bool {
	return e.kind() == target
}

// kind maps a status (or, failing that, the HTTP code) to a sentinel.
func (e *APIError) kind() error {
	switch e.Status {
	case statusUnauthorized:
		return ErrUnauthorized
	case statusValidationError:
		return ErrValidation
	case statusVaultItemNotFound:
		return ErrItemNotFound
	case statusTooManyRequests:
		return ErrTooManyRequests
	case statusInternalError:
		return ErrServer
	case statusAccepted:
		return ErrPending
	}
	if len(e.Status) > len("Forbidden") && e.Status[:len("Forbidden")] == "Forbidden" {
		return ErrForbidden
	}
	switch {
	case e.HTTPStatus == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.HTTPStatus == http.StatusForbidden:
		return ErrForbidden
	case e.HTTPStatus == http.StatusTooManyRequests:
		return ErrTooManyRequests
	case e.HTTPStatus >= 500:
		return ErrServer
	case e.HTTPStatus == http.StatusBadRequest:
		return ErrValidation
	}
	return ErrUnexpectedResponse
}

// transient reports whether the failure may pass: rate limiting and
// server-side failures.
func (e *APIError) transient() bool {
	k := e.kind()
	return k == ErrTooManyRequests || k == ErrServer
}
