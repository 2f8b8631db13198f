// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// NotifyTopic is the [repository.Notifier] topic on which providers tell
// each other about revocations. A message is "access " followed by the hex
// SHA-256 of a revoked access token, or "grant " followed by the id of a
// revoked grant (every token issued in it). Neither is a secret: the store
// keeps both as record keys.
const NotifyTopic = "mcpauth/provider/revocations"

// Kinds of revocation messages.
const (
	revokedAccess = "access"
	revokedGrant  = "grant"
)

// announceTimeout bounds the publication of a revocation, which runs even
// when the request that revoked has ended.
const announceTimeout = 5 * time.Second

// listen subscribes the verified-token cache to revocations: n, or the
// store when it is a Notifier. Without a cache there is nothing to drop,
// but the provider still announces its own revocations.
func (p *Provider) listen(n repository.Notifier) error {
	if n == nil {
		n, _ = p.store.(repository.Notifier)
	}
	p.notifier = n
	if n == nil || p.cache.ttl <= 0 {
		return nil
	}
	cancel, err := n.Subscribe(NotifyTopic, p.onNotification)
	if err != nil {
		return fmt.Errorf("provider: subscribe to revocations: %w", err)
	}
	p.unsubscribe = cancel
	return nil
}

// onNotification drops what another replica (or this one) revoked. A gap,
// or a message it does not understand (from a newer version, say), drops
// the whole cache: when in doubt, verify against the store again.
func (p *Provider) onNotification(n repository.Notification) {
	kind, id, _ := strings.Cut(string(n.Msg), " ")
	switch {
	case n.Gap:
		p.cache.purge()
	case kind == revokedAccess && id != "":
		p.cache.drop(id)
	case kind == revokedGrant && id != "":
		p.cache.dropFamily(id)
	default:
		p.logger.Warn("provider: unknown revocation message; dropping the verified-token cache", "bytes", len(n.Msg))
		p.cache.purge()
	}
}

// announce tells the other replicas about a revocation already written to
// the store. A failure is logged, not returned: the revocation stands, and
// the other replicas notice it within the token cache TTL.
func (p *Provider) announce(ctx context.Context, kind, id string) {
	if p.notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	if err := p.notifier.Publish(ctx, NotifyTopic, []byte(kind+" "+id)); err != nil {
		p.logger.Error("provider: announce a revocation to the other replicas; they notice within the token cache TTL", "kind", kind, "err", err)
	}
}
