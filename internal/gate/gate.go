// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package gate parks the requests of a test double until a test releases
// them, so that tests can observe concurrent callers without sleeping.
package gate

import (
	"context"
	"sync"
)

// Gate is open until Hold and again after Release. Its methods are safe
// for concurrent use; the zero value is not: use [New].
type Gate struct {
	mu     sync.Mutex // guards the fields below
	cond   *sync.Cond // signalled when held or closed changes
	ch     chan struct{}
	held   int
	closed bool
}

// New returns an open gate.
func New() *Gate {
	g := &Gate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// Hold closes the gate: later Wait calls park.
func (g *Gate) Hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil && !g.closed {
		g.ch = make(chan struct{})
	}
}

// Release opens the gate and lets every parked caller proceed.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.releaseLocked()
}

func (g *Gate) releaseLocked() {
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}

// Close releases the parked callers for good: the gate never holds again
// and WaitHeld returns at once.
func (g *Gate) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	g.releaseLocked()
	g.cond.Broadcast()
}

// Wait parks while the gate is held, until Release or until ctx is done.
func (g *Gate) Wait(ctx context.Context) {
	g.mu.Lock()
	ch := g.ch
	if ch != nil {
		g.held++
		g.cond.Broadcast()
	}
	g.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
	g.mu.Lock()
	g.held--
	g.cond.Broadcast()
	g.mu.Unlock()
}

// WaitHeld waits until n callers are parked (or the gate is closed).
func (g *Gate) WaitHeld(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.held < n && !g.closed {
		g.cond.Wait()
	}
}

// Held reports how many requests are parked at the gate.
func (g *Gate) Held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held
}
