// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
)

// collect subscribes to topic and returns the channel fn delivers to.
// Nothing in these tests waits on a timer: each step waits for the
// notification it expects (the test's own deadline bounds a hang).
func collect(t *testing.T, s *redis.Store, topic string) (<-chan repository.Notification, func()) {
	t.Helper()
	ch := make(chan repository.Notification, 64)
	cancel, err := s.Subscribe(topic, func(n repository.Notification) { ch <- n })
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(cancel)
	return ch, cancel
}

// next returns the next notification; the test's deadline bounds the wait.
func next(t *testing.T, ch <-chan repository.Notification) repository.Notification {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-t.Context().Done():
		t.Fatal("no notification before the test's deadline")
		return repository.Notification{}
	}
}

func wantGap(t *testing.T, ch <-chan repository.Notification, when string) {
	t.Helper()
	if n := next(t, ch); !n.Gap || n.Msg != nil {
		t.Fatalf("%s: got %+v, want a gap", when, n)
	}
}

func wantMsg(t *testing.T, ch <-chan repository.Notification, want string) {
	t.Helper()
	if n := next(t, ch); n.Gap || string(n.Msg) != want {
		t.Fatalf("got %+v, want the message %q", n, want)
	}
}

// TestNotifier: two stores (two processes' clients) on one server: what
// either publishes reaches both subscribers, in order, and only on its
// topic and prefix.
func TestNotifier(t *testing.T) {
	srv := redisserver.Start(t, nil)
	ctx := t.Context()
	a := newStore(t, redis.Options{URL: srv.URL(), Prefix: "notify"})
	b := newStore(t, redis.Options{URL: srv.URL(), Prefix: "notify"})
	other := newStore(t, redis.Options{URL: srv.URL(), Prefix: "notify:other"})
	chA, _ := collect(t, a, "topic")
	chB, cancelB := collect(t, b, "topic")
	chOther, _ := collect(t, other, "topic")
	chTopic2, _ := collect(t, b, "topic2")
	for _, ch := range []<-chan repository.Notification{chA, chB, chOther, chTopic2} {
		wantGap(t, ch, "subscription in place")
	}
	msgs := []string{"first", "", "bin\x00\xff", strings.Repeat("x", 64<<10)}
	for _, m := range msgs {
		if err := a.Publish(ctx, "topic", []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Publish(ctx, "topic2", []byte("other topic")); err != nil {
		t.Fatal(err)
	}
	if err := other.Publish(ctx, "topic", []byte("other prefix")); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan repository.Notification{chA, chB} {
		for _, m := range msgs {
			wantMsg(t, ch, m)
		}
	}
	wantMsg(t, chTopic2, "other topic")
	wantMsg(t, chOther, "other prefix")

	// After cancel, nothing more is delivered, and cancel is idempotent.
	cancelB()
	cancelB()
	if err := a.Publish(ctx, "topic", []byte("after cancel")); err != nil {
		t.Fatal(err)
	}
	wantMsg(t, chA, "after cancel")
	select {
	case n := <-chB:
		t.Errorf("a cancelled subscription got %+v", n)
	default:
	}
}

// TestNotifierReconnect: when the server goes away the subscriber gets a
// gap, and when it is back the subscriber subscribes again by itself (a
// second gap) and receives what is published after.
func TestNotifierReconnect(t *testing.T) {
	srv := redisserver.Start(t, nil)
	ctx := t.Context()
	pub := newStore(t, redis.Options{Client: newClient(t, srv.Addr()), Prefix: "reconnect"})
	sub := newStore(t, redis.Options{Client: newClient(t, srv.Addr()), Prefix: "reconnect"})
	ch, _ := collect(t, sub, "t")
	wantGap(t, ch, "subscription in place")
	if err := pub.Publish(ctx, "t", []byte("before")); err != nil {
		t.Fatal(err)
	}
	wantMsg(t, ch, "before")

	srv.Kill()
	wantGap(t, ch, "server gone")
	if err := pub.Publish(ctx, "t", []byte("lost")); !errors.Is(err, redis.ErrUnavailable) {
		t.Errorf("Publish with the server down: got %v, want ErrUnavailable", err)
	}
	srv.Restart()
	wantGap(t, ch, "subscribed again")
	if err := pub.Publish(ctx, "t", []byte("after")); err != nil {
		t.Fatal(err)
	}
	wantMsg(t, ch, "after")
}

// TestNotifierClose: Close ends every subscription and waits for it;
// Subscribe and Publish on a closed store fail with ErrClosed.
func TestNotifierClose(t *testing.T) {
	srv := redisserver.Start(t, nil)
	s, err := redis.New(&redis.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ch, cancel := collect(t, s, "t")
	wantGap(t, ch, "subscription in place")
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
	ch, _ := collect(t, sub, "t")
	wantGap(t, ch, "subscription in place")

	hole.setSilent(true)
	wantGap(t, ch, "connection silent")
	hole.setSilent(false)
	wantGap(t, ch, "subscribed again")
	// With an interval this short, a loaded machine can stall long enough
	// for a healthy connection to look silent: such a break is a gap
	// (and a message published meanwhile may be lost), so publish again
	// after each gap until the message comes through.
	for {
		if err := pub.Publish(ctx, "t", []byte("after")); err != nil {
			t.Fatal(err)
		}
		n := next(t, ch)
		if n.Gap {
			continue
		}
		if string(n.Msg) != "after" {
			t.Fatalf("got %+v, want the message %q", n, "after")
		}
		break
	}
}
