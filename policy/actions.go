// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import "slices"

// Resources returns the keys of the policy's resource types, sorted.
func (p *Policy) Resources() []string {
	out := make([]string, 0, len(p.resources))
	for k := range p.resources {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Actions returns the actions of resource type resource, sorted; nil when
// the policy has no such resource.
func (p *Policy) Actions(resource string) []string {
	r, ok := p.resources[resource]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(r.actions))
	for a := range r.actions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
