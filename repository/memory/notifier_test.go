// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

func TestNotifierConformance(t *testing.T) {
	repositorytest.RunNotifier(t, repositorytest.NotifierHarness{
		New: func(t *testing.T) (repository.Notifier, repository.Notifier) {
			n := memory.NewNotifier()
			t.Cleanup(func() { n.Close() })
			return n, n
		},
	})
}

// TestNotifierEdges: Publish keeps its own copy of the message and honours
// ctx; Close ends the subscriptions and makes Publish and Subscribe fail.
func TestNotifierEdges(t *testing.T) {
	ctx := t.Context()
	n := memory.NewNotifier()
	rec := repositorytest.NewRecorder(n)
	if _, err := rec.Subscribe("t", func(repository.Notification) {}); err != nil {
		t.Fatal(err)
	}
	rec.WaitFor(t, "t", "", true)
	msg := []byte("m1")
	if err := n.Publish(ctx, "t", msg); err != nil {
		t.Fatal(err)
	}
	msg[0] = 'X'
	if d := rec.Next(t); string(d.Msg) != "m1" {
		t.Errorf("got %q, want the message as published", d.Msg)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := n.Publish(done, "t", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a done context: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(ctx, "t", nil); !errors.Is(err, memory.ErrNotifierClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, err := n.Subscribe("t", func(repository.Notification) {}); !errors.Is(err, memory.ErrNotifierClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	if _, err := n.Subscribe("t", nil); err == nil {
		t.Errorf("Subscribe with a nil func: no error")
	}
}
