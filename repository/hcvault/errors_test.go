// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package hcvault

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/vault/api"
)

const secretURL = "http://127.0.0.1:8200/v1/secret/data/mcpauth/kc2VjcmV0LWNvZGU"

func response(status int, msgs ...string) *api.ResponseError {
	return &api.ResponseError{HTTPMethod: "GET", URL: secretURL, StatusCode: status, Errors: msgs}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantKind error // nil: no sentinel of this package
		wantMsg  string
	}{
		{"forbidden", response(403, "1 error occurred:\n\t* permission denied\n\n"), ErrPermissionDenied, "hcvault: get: permission denied (HTTP 403)"},
		{"sealed", response(503, "Vault is sealed"), ErrSealed, "hcvault: get: vault is sealed (HTTP 503)"},
		{"standby 503", response(503, "node is not active"), nil, "hcvault: get: vault returned HTTP 503"},
		{"no mount", response(404, `no handler for route "nope/data/mcpauth/kc2VjcmV0LWNvZGU". route entry not found.`), ErrMountNotFound, "hcvault: get: mount not found (HTTP 404)"},
		{"cas mismatch", response(400, "check-and-set parameter did not match the current version"), errCASMismatch, "hcvault: get: check-and-set version mismatch (HTTP 400)"},
		{"cas required", response(400, "check-and-set parameter required for this call"), nil, "hcvault: get: the mount or secret requires check-and-set on every write (cas_required), which this store does not support (HTTP 400)"},
		{"server error", response(500, "internal error at secret/data/mcpauth/kc2VjcmV0LWNvZGU"), nil, "hcvault: get: vault returned HTTP 500"},
		{"refused", &url.Error{Op: "Get", URL: secretURL, Err: syscall.ECONNREFUSED}, nil, "hcvault: get: connection refused"},
		{"curl mode", &api.OutputStringError{}, nil, "hcvault: get: client is in output-curl-string or output-policy mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(context.Background(), "get", tt.err)
			if got := err.Error(); got != tt.wantMsg {
				t.Errorf("message: got %q, want %q", got, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "kc2VjcmV0LWNvZGU") {
				t.Errorf("message %q contains the encoded key", err.Error())
			}
			for _, s := range []error{ErrPermissionDenied, ErrSealed, ErrMountNotFound, errCASMismatch} {
				if got, want := errors.Is(err, s), s == tt.wantKind; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("the api error is not wrapped")
			}
		})
	}
}

func TestClassifyContext(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		err     error
		want    error
		wantMsg string
	}{
		{"wrapped cancel", context.Background(), &url.Error{Op: "Get", URL: secretURL, Err: context.Canceled}, context.Canceled, "hcvault: set: context canceled"},
		{"deadline", context.Background(), context.DeadlineExceeded, context.DeadlineExceeded, "hcvault: set: context deadline exceeded"},
		{"cancelled ctx, other error", cancelled, errors.New("net/http: request canceled"), context.Canceled, "hcvault: set: context canceled"},
		{"cancelled ctx, response error", cancelled, response(503, "Vault is sealed"), context.Canceled, "hcvault: set: vault is sealed (HTTP 503)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.ctx, "set", tt.err)
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.want)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message: got %q, want %q", err.Error(), tt.wantMsg)
			}
		})
	}
}

func TestMalformedError(t *testing.T) {
	err := malformed("get", errors.New("got 1 fields, want 3"))
	if !errors.Is(err, ErrMalformedRecord) {
		t.Errorf("errors.Is(%v, ErrMalformedRecord) = false", err)
	}
	if want := "hcvault: get: malformed record: got 1 fields, want 3"; err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
}
