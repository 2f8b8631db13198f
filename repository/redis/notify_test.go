// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// TestNotifierConformance runs the Notifier suite with two stores, each
// with a client of its own, on one server.
func TestNotifierConformance(t *testing.T) {
	srv := redisserver.Start(t, nil)
	repositorytest.RunNotifier(t, repositorytest.NotifierHarness{
		New: func(t *testing.T) (repository.Notifier, repository.Notifier) {
			p := nextPrefix("notify")
			return newStore(t, redis.Options{URL: srv.URL(), Prefix: p}), newStore(t, redis.Options{URL: srv.URL(), Prefix: p})
		},
	})
	// Stores whose prefixes nest share no channel.
	outer := repositorytest.NewRecorder(newStore(t, redis.Options{URL: srv.URL(), Prefix: "app"}))
	inner := newStore(t, redis.Options{URL: srv.URL(), Prefix: "app:x"})
	subscribeRec(t, outer, "x:t")
	outer.WaitFor(t, "x:t", "", true)
	if err := inner.Publish(t.Context(), "t", []byte("inner")); err != nil {
		t.Fatal(err)
	}
	if err := newStore(t, redis.Options{URL: srv.URL(), Prefix: "app"}).Publish(t.Context(), "x:t", []byte("outer")); err != nil {
		t.Fatal(err)
	}
	if d := outer.Next(t); string(d.Msg) != "outer" {
		t.Errorf("got %q: a store with the prefix app:x reached the prefix app", d.Msg)
	}
}

// subscribeRec subscribes a Recorder to topic until the test ends.
func subscribeRec(t *testing.T, r *repositorytest.Recorder, topic string) {
	t.Helper()
	cancel, err := r.Subscribe(topic, func(repository.Notification) {})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(cancel)
}

// TestNotifierReconnect: when the server goes away the subscriber gets a
// gap, and when it is back the subscriber subscribes again by itself (a
// second gap) and receives what is published after.
func TestNotifierReconnect(t *testing.T) {
	srv := redisserver.Start(t, nil)
	ctx := t.Context()
	pub := newStore(t, redis.Options{Client: newClient(t, srv.Addr()), Prefix: "reconnect"})
	sub := newStore(t, redis.Options{Client: newClient(t, srv.Addr()), Prefix: "reconnect"})
	rec := repositorytest.NewRecorder(sub)
	subscribeRec(t, rec, "t")
	wantGap(t, rec, "subscription in place")
	if err := pub.Publish(ctx, "t", []byte("before")); err != nil {
		t.Fatal(err)
	}
	wantMsg(t, rec, "before")

	srv.Kill()
	wantGap(t, rec, "server gone")
	if err := pub.Publish(ctx, "t", []byte("lost")); !errors.Is(err, redis.ErrUnavailable) {
		t.Errorf("Publish with the server down: got %v, want ErrUnavailable", err)
	}
	srv.Restart()
	wantGap(t, rec, "subscribed again")
	if err := pub.Publish(ctx, "t", []byte("after")); err != nil {
		t.Fatal(err)
	}
	wantMsg(t, rec, "after")
}

func wantGap(t *testing.T, r *repositorytest.Recorder, when string) {
	t.Helper()
	if d := r.Next(t); !d.Gap || d.Msg != nil {
		t.Fatalf("%s: got %+v, want a gap", when, d.Notification)
	}
}

func wantMsg(t *testing.T, r *repositorytest.Recorder, want string) {
	t.Helper()
	if d := r.Next(t); d.Gap || string(d.Msg) != want {
		t.Fatalf("got %+v, want the message %q", d.Notification, want)
	}
}

// TestNotifierClose: Close ends every subscription and waits for it;
// Subscribe and Publish on a closed store fail with ErrClosed.
func TestNotifierClose(t *testing.T) {
	srv := redisserver.Start(t, nil)
	s, err := redis.New(&redis.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	rec := repositorytest.NewRecorder(s)
	cancel, err := rec.Subscribe("t", func(repository.Notification) {})
	if err != nil {
		t.Fatal(err)
	}
	wantGap(t, rec, "subscription in place")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cancel() // after Close: nothing left to do
	if _, err := s.Subscribe("t", func(repository.Notification) {}); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("Subscribe after Close: got %v, want ErrClosed", err)
	}
	if err := s.Publish(t.Context(), "t", nil); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("Publish after Close: got %v, want ErrClosed", err)
	}
	if _, err := s.Subscribe("t", nil); err == nil {
		t.Errorf("Subscribe with a nil func: got no error")
	}
}

// blackhole is a TCP proxy to a server that can turn silent: while it is
// silent it keeps every connection open but forwards nothing, as a network
// partition without resets does.
type blackhole struct {
	ln     net.Listener
	target string

	mu     sync.Mutex // guards silent, conns
	silent bool
	conns  []net.Conn
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, target: target}
	go b.serve()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.conns {
			c.Close()
		}
	})
	return b
}

func (b *blackhole) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", b.target)
		if err != nil {
			c.Close()
			continue
		}
		b.mu.Lock()
		b.conns = append(b.conns, c, s)
		b.mu.Unlock()
		go b.pipe(c, s)
		go b.pipe(s, c)
	}
}

// pipe copies from src to dst, dropping what it reads while silent.
func (b *blackhole) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		b.mu.Lock()
		silent := b.silent
		b.mu.Unlock()
		if !silent {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

// setSilent turns silence on or off; turning it off also drops the
// connections opened before, so that only new ones carry traffic.
func (b *blackhole) setSilent(silent bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.silent = silent
	if !silent {
		for _, c := range b.conns {
			c.Close()
		}
		b.conns = nil
	}
}

// TestNotifierSilentPartition: a connection that goes silent without an
// error is found out by the health check (a ping with no answer within a
// second interval): the subscriber gets a gap, and subscribes again once
// the network carries traffic.
func TestNotifierSilentPartition(t *testing.T) {
	srv := redisserver.Start(t, nil)
	ctx := t.Context()
	hole := newBlackhole(t, srv.Addr())
	pub := newStore(t, redis.Options{URL: srv.URL(), Prefix: "partition"})
	sub := newStore(t, redis.Options{Client: newClient(t, hole.ln.Addr().String()), Prefix: "partition", HealthCheckInterval: 100 * time.Millisecond})
	rec := repositorytest.NewRecorder(sub)
	subscribeRec(t, rec, "t")
	wantGap(t, rec, "subscription in place")

	hole.setSilent(true)
	wantGap(t, rec, "connection silent")
	hole.setSilent(false)
	wantGap(t, rec, "subscribed again")
	// With an interval this short, a loaded machine can stall long enough
	// for a healthy connection to look silent: such a break is a gap
	// (and a message published meanwhile may be lost), so publish again
	// after each gap until the message comes through.
	for {
		if err := pub.Publish(ctx, "t", []byte("after")); err != nil {
			t.Fatal(err)
		}
		d := rec.Next(t)
		if d.Gap {
			continue
		}
		if string(d.Msg) != "after" {
			t.Fatalf("got %+v, want the message %q", d.Notification, "after")
		}
		break
	}
}
