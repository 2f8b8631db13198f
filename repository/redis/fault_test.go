// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
)

// secretKey and secretValue must never appear in an error message.
const (
	secretKey   = "mcpc_secret-code-0123456789"
	secretValue = "value-secret-9876543210"
)

// checkDown checks that every call on s fails cleanly while the server is
// down: an error wrapping ErrUnavailable, never one that reads as absence
// or conflict, and never one that names the key or the value.
func checkDown(t *testing.T, s *redis.Store) {
	t.Helper()
	ctx := t.Context()
	calls := []struct {
		op   string
		call func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, secretKey); return err }},
		{"Set", func() error { return s.Set(ctx, secretKey, []byte(secretValue), time.Minute) }},
		{"Delete", func() error { return s.Delete(ctx, secretKey) }},
		{"Take", func() error { _, err := s.Take(ctx, secretKey); return err }},
		{"Create", func() error { return s.Create(ctx, secretKey, []byte(secretValue), 0) }},
		{"List", func() error { _, err := s.List(ctx, "mcpc_"); return err }},
	}
	for _, c := range calls {
		err := c.call()
		switch {
		case err == nil:
			t.Errorf("%s with the server down: got success", c.op)
		case errors.Is(err, repository.ErrNotFound), errors.Is(err, repository.ErrConflict):
			t.Errorf("%s with the server down: got %v, which reads as an answer from the server", c.op, err)
		case !errors.Is(err, redis.ErrUnavailable):
			t.Errorf("%s with the server down: got %v, want an error wrapping ErrUnavailable", c.op, err)
		case strings.Contains(err.Error(), secretKey), strings.Contains(err.Error(), secretValue), strings.Contains(err.Error(), "mcpc_"):
			t.Errorf("%s with the server down: the error %q names the key or the value", c.op, err)
		case !strings.HasPrefix(err.Error(), "mcpauth/redis: "+strings.ToLower(c.op)+": "):
			t.Errorf("%s with the server down: error %q does not name the operation", c.op, err)
		}
	}
}

// TestServerDown: a stopped server gives clean errors, and the same store
// works again once the server is back, without being rebuilt.
func TestServerDown(t *testing.T) {
	srv := redisserver.Start(t, nil)
	s := newStore(t, redis.Options{Client: newClient(t, srv.Addr()), Prefix: "down"})
	ctx := t.Context()
	if err := s.Set(ctx, "before", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	checkDown(t, s)

	// A deadline during an outage is reported as the caller's deadline.
	expired, cancel := context.WithDeadline(ctx, time.Unix(0, 0))
	defer cancel()
	if _, err := s.Get(expired, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get with an expired context: got %v, want DeadlineExceeded", err)
	}

	srv.Restart() // no persistence: the server comes back empty
	if _, err := s.Get(ctx, "before"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get after a restart without persistence: got %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, "after", []byte("v"), 0); err != nil {
		t.Errorf("Set after the restart: %v", err)
	}
}

// TestRestartKeepsAcknowledgedWrites stops the server with SIGKILL while a
// writer is mid-flow, restarts it, and checks that every write the store
// acknowledged survived: with appendfsync always the server answers a
// write only after it is on disk. The writes that failed are reported
// cleanly, and the Take and Create acknowledged before the crash stay done.
func TestRestartKeepsAcknowledgedWrites(t *testing.T) {
	srv := redisserver.Start(t, &redisserver.Options{Args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	s := newStore(t, redis.Options{Client: newClient(t, srv.Addr()), Prefix: "durable"})
	ctx := t.Context()

	if err := s.Set(ctx, "taken", []byte("code"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Take(ctx, "taken"); err != nil || string(v) != "code" {
		t.Fatalf("Take: %q, %v", v, err)
	}
	if err := s.Create(ctx, "created", []byte("c"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "deleted", []byte("d"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "deleted"); err != nil {
		t.Fatal(err)
	}

	const killAfter = 200 // acknowledged writes before the crash
	var (
		acked  = make(map[string][]byte)
		failed []error
		killed = make(chan struct{})
		done   = make(chan struct{})
	)
	go func() { // the writer
		defer close(done)
		for i := 0; len(failed) < 3; i++ {
			if i == killAfter {
				close(killed) // the main goroutine kills the server now
			}
			k, v := fmt.Sprintf("k%05d", i), fmt.Appendf(nil, "v%05d-%s", i, bytes.Repeat([]byte{'x'}, i%512))
			if err := s.Set(ctx, k, v, time.Hour); err != nil {
				failed = append(failed, err)
				continue
			}
			acked[k] = v
		}
	}()
	<-killed
	srv.Kill()
	<-done
	if len(acked) < killAfter {
		t.Fatalf("only %d writes were acknowledged before the crash, want at least %d", len(acked), killAfter)
	}
	for _, err := range failed {
		if !errors.Is(err, redis.ErrUnavailable) || strings.Contains(err.Error(), "k0") {
			t.Errorf("a write during the crash failed with %v, want a clean ErrUnavailable", err)
		}
	}
	checkDown(t, s)

	srv.Restart()
	for k, want := range acked {
		got, err := s.Get(ctx, k)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("after the restart: Get(%s) = %.20q, %v; the write was acknowledged", k, got, err)
		}
	}
	if _, err := s.Get(ctx, "taken"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("a record taken before the crash came back: %v", err)
	}
	if _, err := s.Get(ctx, "deleted"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("a record deleted before the crash came back: %v", err)
	}
	if err := s.Create(ctx, "created", []byte("again"), 0); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("Create over a record created before the crash: got %v, want ErrConflict", err)
	}
	t.Logf("%d acknowledged writes survived a SIGKILL; %d writes failed cleanly during the outage", len(acked), len(failed))
}
