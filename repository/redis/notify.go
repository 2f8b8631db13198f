// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/repository"
)

// Waits between attempts to set a broken subscription up again: doubling
// from the first to the last.
const (
	firstRetryWait = 50 * time.Millisecond
	lastRetryWait  = time.Second
)

// Channel returns the Redis pub/sub channel of a topic: the prefix, a
// colon and the escaped topic, like [Store.Key] (channels and keys are
// separate namespaces in Redis).
func (s *Store) Channel(topic string) string {
	return s.Key(topic)
}

// Publish implements [repository.Notifier] with PUBLISH.
func (s *Store) Publish(ctx context.Context, topic string, msg []byte) error {
	if err := s.begin(ctx, "publish"); err != nil {
		return err
	}
	if err := s.client.Publish(ctx, s.Channel(topic), msg).Err(); err != nil {
		return classify(ctx, "publish", err)
	}
	return nil
}

// Subscribe implements [repository.Notifier] with SUBSCRIBE on a
// connection of its own. A goroutine receives the messages and calls fn;
// it pings the server when the connection has been quiet for
// [Options.HealthCheckInterval], and treats a connection that stays silent
// for a second interval, or that fails, as broken: fn gets a gap, and the
// goroutine subscribes again on a new connection (waiting 50 ms, then
// twice as long after each failure, up to a second) until it succeeds,
// when fn gets another gap.
func (s *Store) Subscribe(topic string, fn func(repository.Notification)) (cancel func(), err error) {
	if fn == nil {
		return nil, errors.New("mcpauth/redis: subscribe: nil func")
	}
	ctx, stop := context.WithCancel(context.Background())
	sub := &subscription{
		store:   s,
		channel: s.Channel(topic),
		fn:      fn,
		ctx:     ctx,
		stop:    stop,
		done:    make(chan struct{}),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		stop()
		return nil, opError("subscribe", ErrClosed, "store closed")
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	go sub.run()
	return func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
		sub.cancel()
	}, nil
}

// subscription is one Subscribe: a goroutine and its connection.
type subscription struct {
	store   *Store
	channel string
	fn      func(repository.Notification)
	ctx     context.Context // done when cancelled
	stop    context.CancelFunc
	done    chan struct{} // closed when run returns

	mu sync.Mutex      // guards ps
	ps *goredis.PubSub // the current connection, closed by cancel
}

// cancel ends the subscription and waits for run to return.
func (sub *subscription) cancel() {
	sub.stop()
	sub.mu.Lock()
	if sub.ps != nil {
		// Unblocks a Receive in progress; run closes it again, which
		// go-redis ignores.
		_ = sub.ps.Close()
	}
	sub.mu.Unlock()
	<-sub.done
}

// run keeps the subscription up until it is cancelled.
func (sub *subscription) run() {
	defer close(sub.done)
	wait := firstRetryWait
	for sub.ctx.Err() == nil {
		up := sub.listen()
		if sub.ctx.Err() != nil {
			return
		}
		if up {
			// Messages published from now on are lost until the next
			// subscription is in place.
			sub.fn(repository.Notification{Gap: true})
			wait = firstRetryWait
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-sub.ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, lastRetryWait)
	}
}

// listen subscribes on a new connection and delivers notifications until
// the connection breaks or the subscription is cancelled. It reports
// whether the subscription was ever in place.
func (sub *subscription) listen() (up bool) {
	s := sub.store
	ps := s.client.Subscribe(sub.ctx, sub.channel) // an error resurfaces in Receive
	sub.mu.Lock()
	sub.ps = ps
	sub.mu.Unlock()
	defer ps.Close()
	if sub.ctx.Err() != nil {
		return false
	}
	pinged := false // a ping is waiting for its answer
	for {
		msg, err := ps.ReceiveTimeout(sub.ctx, s.interval)
		var nerr net.Error
		switch {
		case sub.ctx.Err() != nil:
			return up
		case err != nil && errors.As(err, &nerr) && nerr.Timeout() && up && !pinged:
			if err := ps.Ping(sub.ctx); err != nil {
				s.log.Warn("mcpauth/redis: subscription ping failed; subscribing again", "channel", sub.channel, "err", classify(sub.ctx, "ping", err))
				return up
			}
			pinged = true
			continue
		case err != nil:
			s.log.Warn("mcpauth/redis: subscription broken; subscribing again", "channel", sub.channel, "err", classify(sub.ctx, "subscribe", err))
			return up
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" && !up {
				up = true
				s.log.Info("mcpauth/redis: subscribed", "channel", sub.channel)
				sub.fn(repository.Notification{Gap: true})
			}
		case *goredis.Message:
			sub.fn(repository.Notification{Msg: []byte(m.Payload)})
		}
	}
}
