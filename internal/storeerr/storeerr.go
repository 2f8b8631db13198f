// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package storeerr is the error the storage backends (repository/hcvault,
// repository/redis) return for a failed call, so that each backend only
// classifies its client's errors.
package storeerr

import (
	"context"
	"errors"
)

// Op is the error a backend returns for a failed call. Its message names
// the backend, the operation and the kind of failure only: never a key, a
// value, a request URL or a credential. The causes stay reachable through
// errors.Is and errors.As.
type Op struct {
	Prefix string // the backend's message prefix, such as "hcvault: "
	Name   string // the operation
	Kind   error  // a sentinel of the backend, or nil
	Msg    string
	Causes []error
}

func (e *Op) Error() string { return e.Prefix + e.Name + ": " + e.Msg }

// Unwrap returns Kind, when set, and the causes.
func (e *Op) Unwrap() []error {
	if e.Kind == nil {
		return e.Causes
	}
	return append([]error{e.Kind}, e.Causes...)
}

// New returns an *Op for the call name that failed with err. ctx is the
// context of the call: when it is done and err does not already wrap its
// error, that error is a cause too, so callers can test for
// context.Canceled and context.DeadlineExceeded. The caller sets Kind and
// Msg.
func New(ctx context.Context, prefix, name string, err error) *Op {
	e := &Op{Prefix: prefix, Name: name, Causes: []error{err}}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		e.Causes = append(e.Causes, ctxErr)
	}
	return e
}

// ContextMessage describes a failure of the call's context: "context
// deadline exceeded" when err wraps context.DeadlineExceeded, "context
// canceled" otherwise.
func ContextMessage(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "context deadline exceeded"
	}
	return "context canceled"
}
