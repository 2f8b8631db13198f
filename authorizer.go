// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import "context"

// User is the subject of an authorization check, in Permit's model: a key
// and optional attributes used by ABAC conditions.
type User struct {
	// Key identifies the user in the decision point (Permit's user key).
	Key string `json:"key"`
	// Attributes are user attributes (for example the verified JWT claims).
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Resource is the object of an authorization check, in Permit's model.
type Resource struct {
	// Type is the resource type declared in the policy, such as "mcp_server".
	Type string `json:"type"`
	// Key optionally names one instance of the type, such as a resource URI.
	Key string `json:"key,omitempty"`
	// Tenant is the tenant the check runs in. Authorizers treat an empty
	// tenant as "default", as Permit does.
	Tenant string `json:"tenant,omitempty"`
	// Attributes are resource attributes used by ABAC conditions, such as
	// "tool_name" or the flattened tool arguments "arg_<name>".
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Check is one authorization question: may User perform Action on Resource?
// It is what the middleware sends to an [Authorizer] and mirrors the body of
// the Permit PDP's POST /allowed.
type Check struct {
	User     User     `json:"user"`
	Action   string   `json:"action"`
	Resource Resource `json:"resource"`
	// Context is extra, non-identifying input for the decision point.
	Context map[string]any `json:"context,omitempty"`
}

// An Authorizer decides [Check]s. Implementations must be safe for
// concurrent use. An error means "no decision" and the middleware fails
// closed: the request is denied and the error is never shown to the client.
//
// The package provides [Permit], which asks a Permit.io PDP; the policy
// package provides an embedded decision point with the same model.
type Authorizer interface {
	// Allowed reports whether the check is allowed.
	Allowed(ctx context.Context, c Check) (bool, error)
	// AllowedBulk decides several checks at once. The result has one entry
	// per check, in order; an error means none of them was decided.
	AllowedBulk(ctx context.Context, cs []Check) ([]bool, error)
}

// AuthorizerFunc adapts a function deciding single checks to an
// [Authorizer]; its AllowedBulk calls the function once per check.
type AuthorizerFunc func(ctx context.Context, c Check) (bool, error)

// Allowed calls f(ctx, c).
func (f AuthorizerFunc) Allowed(ctx context.Context, c Check) (bool, error) { return f(ctx, c) }

// AllowedBulk calls f for each check in turn and stops at the first error.
func (f AuthorizerFunc) AllowedBulk(ctx context.Context, cs []Check) ([]bool, error) {
	out := make([]bool, len(cs))
	for i, c := range cs {
		ok, err := f(ctx, c)
		if err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, nil
}
