// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repository

import "context"

// Notifier is an optional ability of a store that several processes share:
// it carries short messages to every process subscribed to a topic, the
// publisher's own included. The provider and the middleware use it to keep
// their in-process caches (verified tokens, decisions) in step across
// replicas: a revocation or a purge on one replica reaches the others
// within a network round trip instead of after a cache TTL.
//
// Delivery is best effort and at most once: a subscriber whose connection
// breaks misses what is published until it is back. A Notifier therefore
// tells each subscriber when it may have missed messages (see
// [Notification.Gap]), and a subscriber that caches what messages
// invalidate must then drop its whole cache.
//
// Implementations are safe for concurrent use.
type Notifier interface {
	// Publish sends msg to the current subscribers of topic, in every
	// process. It returns once the backend has accepted the message, or
	// with an error; it never waits for the subscribers.
	Publish(ctx context.Context, topic string, msg []byte) error
	// Subscribe calls fn with every notification for topic, one at a time
	// from a goroutine of the Notifier's, in the order they arrive, until
	// cancel is called. fn must return quickly and must not call cancel.
	// The first notification is a gap, once the subscription is in place:
	// messages published after that reach fn. Subscribe fails only when
	// the Notifier cannot subscribe at all (it is closed, for example); a
	// backend that is down is retried in the background. cancel stops the
	// subscription and waits until fn has returned for the last time; it
	// is idempotent.
	Subscribe(topic string, fn func(Notification)) (cancel func(), err error)
}

// Notification is one delivery to a [Notifier] subscriber.
type Notification struct {
	// Msg is the published message; nil for a gap.
	Msg []byte
	// Gap reports that messages published before this notification may
	// never reach the subscriber: the subscription has just been set up,
	// broken off, or set up again after a break. A subscriber that caches
	// what messages invalidate drops its whole cache on a gap.
	Gap bool
}
