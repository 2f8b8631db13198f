// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package storeerr

import (
	"context"
	"errors"
	"testing"
)

var errKind = errors.New("kind")

func TestOp(t *testing.T) {
	cause := errors.New("secret key k1 in the server's text")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := New(ctx, "b: ", "get", cause)
	e.Kind, e.Msg = errKind, "refused"
	if got, want := e.Error(), "b: get: refused"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for _, target := range []error{errKind, cause, context.Canceled} {
		if !errors.Is(e, target) {
			t.Errorf("errors.Is(e, %v) = false", target)
		}
	}

	// A cause that already wraps the context's error is not doubled, and
	// a live context adds nothing.
	if e := New(ctx, "b: ", "get", context.Canceled); len(e.Causes) != 1 {
		t.Errorf("causes = %v, want the one cause", e.Causes)
	}
	if e := New(context.Background(), "b: ", "get", cause); len(e.Causes) != 1 || errors.Is(e, errKind) {
		t.Errorf("live context: causes = %v, kind %v", e.Causes, e.Kind)
	}
}

func TestContextMessage(t *testing.T) {
	for err, want := range map[error]string{
		context.Canceled:         "context canceled",
		context.DeadlineExceeded: "context deadline exceeded",
		errors.Join(context.Canceled, context.DeadlineExceeded): "context deadline exceeded",
		errors.Join(context.Canceled, nil):                      "context canceled",
	} {
		if got := ContextMessage(err); got != want {
			t.Errorf("ContextMessage(%v) = %q, want %q", err, got, want)
		}
	}
}
