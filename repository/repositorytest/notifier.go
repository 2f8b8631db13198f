// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repositorytest

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/repository"
)

// NotifierHarness describes a [repository.Notifier] backend under test.
type NotifierHarness struct {
	// New returns two Notifiers that share one backend, as two processes
	// would (for an in-process Notifier, the same one twice), on a
	// namespace no other call of New sees. New registers any cleanup with
	// t.Cleanup. Required.
	New func(t *testing.T) (a, b repository.Notifier)
}

// RunNotifier runs the conformance checks of [repository.Notifier]: the
// first notification of a subscription is a gap; a message reaches every
// subscriber of its topic, the publisher's process included, in order and
// byte for byte; topics do not mix; after cancel nothing more is delivered.
// Every wait is for a notification, never for time (the test's deadline
// bounds a hang).
func RunNotifier(t *testing.T, h NotifierHarness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("repositorytest: NotifierHarness.New is required")
	}
	t.Run("Delivery", func(t *testing.T) {
		a, b := h.New(t)
		recA, recB := NewRecorder(a), NewRecorder(b)
		other := NewRecorder(b)
		subscribe(t, recA, "topic")
		cancelB := subscribe(t, recB, "topic")
		subscribe(t, other, "other topic")
		for _, r := range []*Recorder{recA, recB, other} {
			if n := r.Next(t); !n.Gap || n.Msg != nil {
				t.Fatalf("first notification %+v, want a gap", n.Notification)
			}
		}
		msgs := [][]byte{[]byte("first"), {}, []byte("bin\x00\xff"), bytes.Repeat([]byte("x"), 64<<10), []byte("last")}
		for _, m := range msgs {
			if err := a.Publish(t.Context(), "topic", m); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
		if err := b.Publish(t.Context(), "other topic", []byte("other")); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		for name, r := range map[string]*Recorder{"publisher's": recA, "other process's": recB} {
			for i, want := range msgs {
				if n := r.Next(t); n.Gap || !bytes.Equal(n.Msg, want) || n.Topic != "topic" {
					t.Fatalf("%s subscriber, message %d: got %q (gap %v) on %q, want %q", name, i, short(string(n.Msg)), n.Gap, n.Topic, short(string(want)))
				}
			}
		}
		if n := other.Next(t); string(n.Msg) != "other" {
			t.Errorf("other topic: got %+v, want its own message only", n.Notification)
		}
		cancelB()
		cancelB()
		if err := a.Publish(t.Context(), "topic", []byte("after cancel")); err != nil {
			t.Fatal(err)
		}
		if n := recA.Next(t); string(n.Msg) != "after cancel" {
			t.Fatalf("got %+v, want the message published after the other's cancel", n.Notification)
		}
		if n, ok := recB.TryNext(); ok {
			t.Errorf("a cancelled subscription got %+v", n.Notification)
		}
	})
	t.Run("ManySubscribers", func(t *testing.T) {
		a, b := h.New(t)
		var recs []*Recorder
		for i := range 6 {
			r := NewRecorder([]repository.Notifier{a, b}[i%2])
			subscribe(t, r, "fan-out")
			if n := r.Next(t); !n.Gap {
				t.Fatalf("first notification %+v, want a gap", n.Notification)
			}
			recs = append(recs, r)
		}
		if err := b.Publish(t.Context(), "fan-out", []byte("m")); err != nil {
			t.Fatal(err)
		}
		for i, r := range recs {
			if n := r.Next(t); string(n.Msg) != "m" {
				t.Errorf("subscriber %d: got %+v", i, n.Notification)
			}
		}
	})
}

func subscribe(t *testing.T, r *Recorder, topic string) func() {
	t.Helper()
	cancel, err := r.Subscribe(topic, func(repository.Notification) {})
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", topic, err)
	}
	t.Cleanup(cancel)
	return cancel
}

// Recorder wraps a [repository.Notifier] for tests: its Subscribe calls the
// subscriber's fn and then records the notification, so a test can wait
// until a message has been handled (by [Recorder.Next] or
// [Recorder.WaitFor]) instead of sleeping. Publish passes through. It is
// safe for concurrent use.
type Recorder struct {
	repository.Notifier

	mu      sync.Mutex    // guards handled, newOne
	handled []Delivery    // recorded, not yet returned by Next
	newOne  chan struct{} // closed and replaced when one is recorded
}

// Delivery is a notification a [Recorder] saw handled.
type Delivery struct {
	Topic string
	repository.Notification
}

// NewRecorder returns a Recorder around n.
func NewRecorder(n repository.Notifier) *Recorder {
	return &Recorder{Notifier: n, newOne: make(chan struct{})}
}

// Subscribe subscribes fn through the wrapped Notifier, and records each
// notification once fn has returned.
func (r *Recorder) Subscribe(topic string, fn func(repository.Notification)) (func(), error) {
	return r.Notifier.Subscribe(topic, func(n repository.Notification) {
		fn(n)
		r.mu.Lock()
		r.handled = append(r.handled, Delivery{Topic: topic, Notification: n})
		close(r.newOne)
		r.newOne = make(chan struct{})
		r.mu.Unlock()
	})
}

// Next returns the oldest handled notification not yet returned, waiting
// for one until the test's context is done.
func (r *Recorder) Next(t testing.TB) Delivery {
	t.Helper()
	for {
		r.mu.Lock()
		wait := r.newOne
		if len(r.handled) > 0 {
			d := r.handled[0]
			r.handled = r.handled[1:]
			r.mu.Unlock()
			return d
		}
		r.mu.Unlock()
		select {
		case <-wait:
		case <-t.Context().Done():
			t.Fatal("repositorytest: no notification before the test's deadline")
		}
	}
}

// TryNext is Next without waiting.
func (r *Recorder) TryNext() (Delivery, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.handled) == 0 {
		return Delivery{}, false
	}
	d := r.handled[0]
	r.handled = r.handled[1:]
	return d, true
}

// WaitFor returns the first handled notification on topic whose message
// starts with prefix (a gap when gap is true), discarding the ones before
// it.
func (r *Recorder) WaitFor(t testing.TB, topic, prefix string, gap bool) Delivery {
	t.Helper()
	for {
		d := r.Next(t)
		if d.Topic == topic && d.Gap == gap && strings.HasPrefix(string(d.Msg), prefix) {
			return d
		}
	}
}
