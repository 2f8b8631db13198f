// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// NotifyTopic is the [repository.Notifier] topic on which middleware
// instances share [Middleware.Purge] and [Middleware.InvalidateUser]. A
// message is "purge", or "user " followed by a user key.
const NotifyTopic = "mcpauth/decisions"

const (
	purgeMessage      = "purge"
	userMessagePrefix = "user "
)

// notifyTimeout bounds the publication of a purge or an invalidation.
const notifyTimeout = 5 * time.Second

// listen subscribes the decision cache to Options.Notifier.
func (m *Middleware) listen() error {
	if m.opts.Notifier == nil {
		return nil
	}
	cancel, err := m.opts.Notifier.Subscribe(NotifyTopic, m.onNotification)
	if err != nil {
		return fmt.Errorf("mcpauth: Options.Notifier: subscribe: %w", err)
	}
	m.unsubscribe = cancel
	return nil
}

// onNotification applies a purge or an invalidation published by an
// instance (this one included). A gap, or a message it does not
// understand (from a newer version, say), purges: when in doubt, ask the
// decision point again.
func (m *Middleware) onNotification(n repository.Notification) {
	msg := string(n.Msg)
	switch {
	case n.Gap, msg == purgeMessage:
		m.cache.purge()
	case strings.HasPrefix(msg, userMessagePrefix):
		m.cache.invalidateUser(strings.TrimPrefix(msg, userMessagePrefix))
	default:
		m.logger.Warn("mcpauth: unknown decision-cache message; purging the cache", "bytes", len(msg))
		m.cache.purge()
	}
}

// announce publishes msg to the other instances, if there is a Notifier.
func (m *Middleware) announce(msg string) {
	if m.opts.Notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	if err := m.opts.Notifier.Publish(ctx, NotifyTopic, []byte(msg)); err != nil {
		m.logger.Error("mcpauth: publish a decision-cache purge to the other instances; they keep their decisions until the cache TTL", "err", err)
	}
}

// Close ends the [Options.Notifier] subscription and waits for it; it does
// not close the Notifier. The middleware keeps working, without hearing
// from the other instances. Close is idempotent and needed only with a
// Notifier.
func (m *Middleware) Close() error {
	m.closeOnce.Do(func() {
		if m.unsubscribe != nil {
			m.unsubscribe()
		}
		m.tel.close()
	})
	return nil
}
