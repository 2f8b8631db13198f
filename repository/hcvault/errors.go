// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package hcvault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/vault/api"
	"github.com/mcpauth/mcpauth/internal/storeerr"
)

// ErrPermissionDenied is wrapped by errors for requests Vault refused with
// HTTP 403: the token lacks a capability on the path, or is invalid or
// expired.
var ErrPermissionDenied = errors.New("hcvault: permission denied")

// ErrSealed is wrapped by errors for requests Vault refused because it is
// sealed (HTTP 503 "Vault is sealed").
var ErrSealed = errors.New("hcvault: vault is sealed")

// ErrMountNotFound is wrapped by errors for requests to a mount that does not
// exist (HTTP 404 "no handler for route"), or that is not a KV version 2
// engine (a KV version 1 engine answers without version metadata).
var ErrMountNotFound = errors.New("hcvault: mount not found")

// ErrMalformedRecord is wrapped by errors for a secret under the store's
// prefix whose data is not a complete record written by this package (for
// example written by another tool, or cut short). Such a secret is never
// returned as a value.
var ErrMalformedRecord = errors.New("hcvault: malformed record")

// errCASMismatch marks a write refused because the check-and-set version did
// not match; callers re-read and retry or report a conflict.
var errCASMismatch = errors.New("hcvault: check-and-set version mismatch")

// prefix starts the message of every error the store returns.
const prefix = "hcvault: "

// opError returns the error of a failed call op that has no cause to
// classify. Errors never name the key, the request URL (which holds the
// encoded key) or the token; see [storeerr.Op].
func opError(op string, kind error, msg string) error {
	return &storeerr.Op{Prefix: prefix, Name: op, Kind: kind, Msg: msg}
}

// classify turns an error from the api client into a *storeerr.Op. The
// original error (often an *api.ResponseError) stays reachable through
// errors.As.
func classify(ctx context.Context, op string, err error) error {
	e := storeerr.New(ctx, prefix, op, err)
	var re *api.ResponseError
	switch {
	case errors.As(err, &re):
		e.Kind, e.Msg = classifyResponse(re)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Msg = storeerr.ContextMessage(err)
	case ctx.Err() != nil:
		e.Msg = storeerr.ContextMessage(ctx.Err())
	default:
		e.Msg = transportMessage(err)
	}
	return e
}

// classifyResponse maps a Vault error response to a sentinel and a message
// without Vault's error strings, which can quote the request path.
func classifyResponse(re *api.ResponseError) (error, string) {
	switch {
	case re.StatusCode == http.StatusForbidden:
		return ErrPermissionDenied, "permission denied (HTTP 403)"
	case re.StatusCode == http.StatusServiceUnavailable && mentions(re, "sealed"):
		return ErrSealed, "vault is sealed (HTTP 503)"
	case re.StatusCode == http.StatusNotFound && mentions(re, "no handler for route"):
		return ErrMountNotFound, "mount not found (HTTP 404)"
	case re.StatusCode == http.StatusBadRequest && mentions(re, "check-and-set parameter did not match"):
		return errCASMismatch, "check-and-set version mismatch (HTTP 400)"
	case re.StatusCode == http.StatusBadRequest && mentions(re, "check-and-set parameter required"):
		return nil, "the mount or secret requires check-and-set on every write (cas_required), which this store does not support (HTTP 400)"
	default:
		return nil, fmt.Sprintf("vault returned HTTP %d", re.StatusCode)
	}
}

// mentions reports whether one of Vault's error strings contains s.
func mentions(re *api.ResponseError, s string) bool {
	for _, m := range re.Errors {
		if strings.Contains(strings.ToLower(m), s) {
			return true
		}
	}
	return false
}

// transportMessage describes a network failure without the request URL.
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err.Error()
	}
	var curl *api.OutputStringError
	var policy *api.OutputPolicyError
	if errors.As(err, &curl) || errors.As(err, &policy) {
		// These carry the whole request (curl's includes the token).
		return "client is in output-curl-string or output-policy mode"
	}
	return err.Error()
}

// notKVv2 reports a response without KV version 2 metadata: the mount
// exists but is another engine (often KV version 1).
func notKVv2(op string) error {
	return opError(op, ErrMountNotFound, "no KV version 2 engine at the mount")
}

// malformed reports a secret whose data is not one of our records.
func malformed(op string, detail error) error {
	return opError(op, ErrMalformedRecord, "malformed record: "+detail.Error())
}
