// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package doubletest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/mcpauth/mcpauth/internal/gate"
)

// Base is a test double's server and request record; R is the double's
// record of one request. Its methods are safe for concurrent use once
// [Base.Serve] has returned; the zero value is ready for Serve.
type Base[R any] struct {
	srv    *httptest.Server
	gate   *gate.Gate
	record bool

	mu       sync.Mutex // guards the fields below and the recorded R values
	requests []*R
	calls    map[string]int
	conns    int
	closed   bool
}

// Serve starts h on 127.0.0.1 and returns the server's URL. When record
// is false, [Base.Record] only counts calls (for benchmarks).
func (b *Base[R]) Serve(h http.Handler, record bool) string {
	b.gate, b.record, b.calls = gate.New(), record, map[string]int{}
	b.srv = httptest.NewUnstartedServer(h)
	b.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			b.mu.Lock()
			b.conns++
			b.mu.Unlock()
		}
	}
	b.srv.Start()
	return b.srv.URL
}

// Close releases parked requests and shuts the server down. It is safe to
// call more than once.
func (b *Base[R]) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	b.gate.Close()
	b.srv.Close()
}

// Client returns an HTTP client that reaches the server.
func (b *Base[R]) Client() *http.Client { return b.srv.Client() }

// Record counts a call to path and keeps rec (unless recording is off).
// Later changes to rec's fields must be made inside [Base.Locked].
func (b *Base[R]) Record(path string, rec *R) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[path]++
	if b.record {
		b.requests = append(b.requests, rec)
	}
}

// Locked runs f with the record locked, to change a recorded request; f
// must not call the other methods of b.
func (b *Base[R]) Locked(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f()
}

// Records returns the recorded requests since the start or the last
// [Base.Reset], in arrival order. Read their fields while no request is
// in flight, or copy them with [Base.Snapshot].
func (b *Base[R]) Records() []*R {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*R(nil), b.requests...)
}

// Snapshot returns a copy of every recorded request, in arrival order.
func (b *Base[R]) Snapshot() []R {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]R, len(b.requests))
	for i, r := range b.requests {
		out[i] = *r
	}
	return out
}

// Calls reports how many requests were received for path; an empty path
// counts every request.
func (b *Base[R]) Calls(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if path == "" {
		n := 0
		for _, c := range b.calls {
			n += c
		}
		return n
	}
	return b.calls[path]
}

// Conns reports how many TCP connections clients opened to the server, to
// check that a client reuses them (keep-alive).
func (b *Base[R]) Conns() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns
}

// Reset forgets recorded requests and call counts.
func (b *Base[R]) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests = nil
	b.calls = map[string]int{}
}

// Hold closes the gate: later requests that reach [Base.Park] wait there
// until [Base.Release] (or until their client goes away).
func (b *Base[R]) Hold() { b.gate.Hold() }

// Release opens the gate and lets every parked request proceed.
func (b *Base[R]) Release() { b.gate.Release() }

// Held reports how many requests are parked at the gate.
func (b *Base[R]) Held() int { return b.gate.Held() }

// WaitHeld blocks until at least n requests are parked at the gate.
func (b *Base[R]) WaitHeld(n int) { b.gate.WaitHeld(n) }

// Park waits at the gate while it is held, until Release, Close or until
// ctx is done.
func (b *Base[R]) Park(ctx context.Context) { b.gate.Wait(ctx) }
