// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package memory

import (
	"context"
	"errors"
	"sync"

	"github.com/mcpauth/mcpauth/repository"
)

var _ repository.Notifier = (*Notifier)(nil)

// ErrNotifierClosed is returned by Publish and Subscribe after
// [Notifier.Close].
var ErrNotifierClosed = errors.New("memory: notifier closed")

// Notifier is an in-process [repository.Notifier]: a message reaches the
// subscribers of this Notifier value only, never another process. It is
// the reference implementation of the contract, for tests and for several
// providers or middlewares in one process; replicas in separate processes
// need a shared backend's Notifier (repository/redis). Nothing is ever
// lost, so a subscriber's only gap is its first notification. It is safe
// for concurrent use; the zero value is not usable, create it with
// [NewNotifier].
type Notifier struct {
	mu     sync.Mutex // guards subs, closed
	subs   map[*subscriber]string
	closed bool
}

// NewNotifier returns an empty Notifier.
func NewNotifier() *Notifier {
	return &Notifier{subs: make(map[*subscriber]string)}
}

// subscriber delivers one subscription's notifications in order from a
// goroutine of its own, so that Publish never waits for fn.
type subscriber struct {
	fn   func(repository.Notification)
	done chan struct{} // closed when deliver returns

	mu      sync.Mutex // guards queue, stopped
	wake    *sync.Cond // signalled when queue grows or stopped is set
	queue   []repository.Notification
	stopped bool
}

// Publish implements [repository.Notifier]: msg is copied into the queue
// of every current subscriber of topic.
func (n *Notifier) Publish(ctx context.Context, topic string, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrNotifierClosed
	}
	for s, t := range n.subs {
		if t == topic {
			s.push(repository.Notification{Msg: append([]byte{}, msg...)})
		}
	}
	return nil
}

// Subscribe implements [repository.Notifier]. The subscription is in
// place when Subscribe returns; fn's first notification is a gap.
func (n *Notifier) Subscribe(topic string, fn func(repository.Notification)) (cancel func(), err error) {
	if fn == nil {
		return nil, errors.New("memory: subscribe: nil func")
	}
	s := &subscriber{fn: fn, done: make(chan struct{})}
	s.wake = sync.NewCond(&s.mu)
	s.push(repository.Notification{Gap: true})
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrNotifierClosed
	}
	n.subs[s] = topic
	n.mu.Unlock()
	go s.deliver()
	return func() {
		n.mu.Lock()
		delete(n.subs, s)
		n.mu.Unlock()
		s.stop()
	}, nil
}

// Close ends every subscription and waits for their last deliveries.
// Publish and Subscribe fail afterwards. Close is idempotent.
func (n *Notifier) Close() error {
	n.mu.Lock()
	subs := n.subs
	n.subs, n.closed = nil, true
	n.mu.Unlock()
	for s := range subs {
		s.stop()
	}
	return nil
}

func (s *subscriber) push(m repository.Notification) {
	s.mu.Lock()
	s.queue = append(s.queue, m)
	s.mu.Unlock()
	s.wake.Signal()
}

// stop ends deliver, dropping what is still queued, and waits for it.
func (s *subscriber) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.wake.Signal()
	<-s.done
}

func (s *subscriber) deliver() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.stopped {
			s.wake.Wait()
		}
		if s.stopped {
			s.mu.Unlock()
			return
		}
		m := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		s.fn(m)
	}
}
