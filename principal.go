// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"time"
)

// Principal is an authenticated caller, placed in the request context by an
// authentication layer (such as the provider module's bearer middleware) and
// read by the middleware's [ContextIdentity].
type Principal struct {
	// Subject is the user's stable identifier; it becomes the Permit user key.
	Subject string
	// Email is the user's email address, when known.
	Email string
	// ClientID is the OAuth client the token was issued to, when known.
	ClientID string
	// Scopes are the token's scopes. They are part of the decision cache key.
	Scopes []string
	// Resource is the audience (RFC 8707 resource) the token was issued for.
	Resource string
	// Expiry is when the credential expires; the zero value means unknown.
	// A cached allow never outlives it.
	Expiry time.Time
	// Attributes are extra user attributes passed to the decision point.
	Attributes map[string]any
}

type principalKey struct{}

// ContextWithPrincipal returns a copy of ctx carrying p.
func ContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal stored by [ContextWithPrincipal].
func PrincipalFromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
