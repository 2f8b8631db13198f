// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// replica returns a middleware that identifies users by the X-User header
// and shares its purges through n.
func replica(t *testing.T, authz Authorizer, n repository.Notifier, logger *slog.Logger) *Middleware {
	t.Helper()
	m, err := New(authz, &Options{
		Identity: HeaderIdentity("X-User", ""),
		Notifier: n,
		Logger:   logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// call sends one tools/call as user and reports whether the authorizer was
// asked (rather than the cache).
func call(t *testing.T, m *Middleware, authz *recorder, user, tool string) (asked bool) {
	t.Helper()
	authz.mu.Lock()
	before := len(authz.checks)
	authz.mu.Unlock()
	r := postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `"}}`)
	r.Header.Set("X-User", user)
	if w := serve(t, m, &echoHandler{}, r); w.Code != 200 {
		t.Fatalf("%s calls %s: got %d", user, tool, w.Code)
	}
	authz.mu.Lock()
	defer authz.mu.Unlock()
	return len(authz.checks) > before
}

// TestPurgeReachesReplicas: Purge and InvalidateUser on one instance reach
// another through the Notifier: once the other has handled the message
// (the recorder says so; nothing waits on a timer), its cache no longer
// answers for what was purged, and still answers for the rest.
func TestPurgeReachesReplicas(t *testing.T) {
	bus := memory.NewNotifier()
	t.Cleanup(func() { bus.Close() })
	recB := repositorytest.NewRecorder(bus)
	authzA, authzB := &recorder{}, &recorder{}
	a := replica(t, authzA, bus, nil)
	b := replica(t, authzB, recB, nil)
	recB.WaitFor(t, NotifyTopic, "", true) // b's subscription is in place

	warm := func() {
		t.Helper()
		for _, u := range []string{"alice", "bob"} {
			call(t, b, authzB, u, "greet")
			if call(t, b, authzB, u, "greet") {
				t.Fatalf("%s's second call was not answered by the cache", u)
			}
		}
	}
	warm()
	a.InvalidateUser("alice")
	recB.WaitFor(t, NotifyTopic, userMessagePrefix+"alice", false)
	if !call(t, b, authzB, "alice", "greet") {
		t.Errorf("alice's decision survived InvalidateUser on another instance")
	}
	if call(t, b, authzB, "bob", "greet") {
		t.Errorf("bob's decision was dropped by InvalidateUser(alice)")
	}

	warm()
	a.Purge()
	recB.WaitFor(t, NotifyTopic, purgeMessage, false)
	if n := b.Stats().Entries; n != 0 {
		t.Errorf("after Purge on another instance: %d cached decisions, want 0", n)
	}
	// After Close, b no longer hears the others.
	warm()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	a.Purge()
	if call(t, b, authzB, "alice", "greet") {
		t.Errorf("a closed instance still applied a purge")
	}
}

// TestNotificationsPurge: a gap, or a message of an unknown kind, purges
// the whole cache.
func TestNotificationsPurge(t *testing.T) {
	var logs bytes.Buffer
	authz := &recorder{}
	m := replica(t, authz, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	for _, n := range []repository.Notification{{Gap: true}, {Msg: []byte("purge-tenant t1")}, {Msg: nil}} {
		call(t, m, authz, "alice", "greet")
		m.onNotification(n)
		if got := m.Stats().Entries; got != 0 {
			t.Errorf("after %+v: %d cached decisions, want 0", n, got)
		}
	}
	if !strings.Contains(logs.String(), "unknown decision-cache message") {
		t.Errorf("an unknown message was not logged:\n%s", logs.String())
	}
}

// failingNotifier refuses every publication.
type failingNotifier struct{ repository.Notifier }

func (failingNotifier) Publish(context.Context, string, []byte) error {
	return errors.New("backend down")
}

// TestPurgeWhenPublishFails: the local purge happens, and the failure to
// tell the others is logged.
func TestPurgeWhenPublishFails(t *testing.T) {
	bus := memory.NewNotifier()
	t.Cleanup(func() { bus.Close() })
	var logs bytes.Buffer
	authz := &recorder{}
	m := replica(t, authz, failingNotifier{bus}, slog.New(slog.NewTextHandler(&logs, nil)))
	call(t, m, authz, "alice", "greet")
	m.Purge()
	if got := m.Stats().Entries; got != 0 {
		t.Errorf("Purge left %d decisions", got)
	}
	if !strings.Contains(logs.String(), "backend down") {
		t.Errorf("the failed publication was not logged:\n%s", logs.String())
	}
}

// closedNotifier cannot subscribe.
type closedNotifier struct{ repository.Notifier }

func (closedNotifier) Subscribe(string, func(repository.Notification)) (func(), error) {
	return nil, errors.New("notifier closed")
}

func TestNewFailsWhenSubscribeFails(t *testing.T) {
	_, err := New(&recorder{}, &Options{Notifier: closedNotifier{}})
	if err == nil || !strings.Contains(err.Error(), "Options.Notifier") {
		t.Errorf("New: got %v, want an error naming Options.Notifier", err)
	}
}
