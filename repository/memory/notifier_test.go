// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
)

func TestNotifier(t *testing.T) {
	ctx := t.Context()
	n := memory.NewNotifier()
	defer n.Close()
	type got struct {
		sub string
		n   repository.Notification
	}
	ch := make(chan got, 16)
	subscribe := func(name, topic string) func() {
		cancel, err := n.Subscribe(topic, func(m repository.Notification) { ch <- got{name, m} })
		if err != nil {
			t.Fatal(err)
		}
		return cancel
	}
	cancelA := subscribe("a", "t")
	subscribe("b", "other")
	gaps := map[string]bool{}
	for range 2 {
		g := <-ch
		if !g.n.Gap {
			t.Fatalf("first notification of %s: %+v, want a gap", g.sub, g.n)
		}
		gaps[g.sub] = true
	}
	if !gaps["a"] || !gaps["b"] {
		t.Fatalf("gaps for %v, want a and b", gaps)
	}
	msg := []byte("m1")
	if err := n.Publish(ctx, "t", msg); err != nil {
		t.Fatal(err)
	}
	msg[0] = 'X' // the notifier keeps its own copy
	if g := <-ch; g.sub != "a" || string(g.n.Msg) != "m1" || g.n.Gap {
		t.Errorf("got %s %+v, want a's message m1", g.sub, g.n)
	}
	cancelA()
	cancelA()
	if err := n.Publish(ctx, "t", []byte("m2")); err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(ctx, "other", []byte("m3")); err != nil {
		t.Fatal(err)
	}
	if g := <-ch; g.sub != "b" || string(g.n.Msg) != "m3" {
		t.Errorf("got %s %+v, want b's message m3 (a was cancelled)", g.sub, g.n)
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
}
