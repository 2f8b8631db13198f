// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// This file compiles users: their attributes and their role assignments.

package policy

import (
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

func (l *loader) users(p *Policy, n *node) {
	for _, m := range l.entries(n, "users") {
		path := child("users", m.key)
		if m.key == "" {
			l.errorf(m.keyOff, path, "user key must not be empty")
			continue
		}
		f := l.fields(m.val, path, "description", "attributes", "roles")
		if f == nil {
			continue
		}
		u := &user{key: m.key}
		p.users[m.key] = u
		if x := f["description"]; x != nil {
			l.want(x, jsonString, child(path, "description"))
		}
		if x := f["attributes"]; x != nil {
			u.attrs = l.userAttributes(p, x, child(path, "attributes"))
		}
		x := f["roles"]
		if x == nil || !l.want(x, jsonArray, child(path, "roles")) {
			continue
		}
		for i, e := range x.elems {
			l.assignment(p, u, e, index(child(path, "roles"), i))
		}
	}
}

// userAttributes decodes a user's stored attributes, checking them against
// user_attributes when that declares any.
func (l *loader) userAttributes(p *Policy, n *node, path string) map[string]any {
	out := make(map[string]any)
	for _, m := range l.entries(n, path) {
		mp := child(path, m.key)
		if _, ok := builtins[sideUser][m.key]; ok {
			l.errorf(m.keyOff, mp, "attribute %q is built in", m.key)
			continue
		}
		if len(p.userAttrs) > 0 {
			t, ok := p.userAttrs[m.key]
			if !ok {
				l.errorf(m.keyOff, mp, "attribute %q is not declared in user_attributes", m.key)
				continue
			}
			if !fits(m.val, t) {
				l.errorf(m.val.off, mp, "type mismatch: the attribute is declared as %s, got %s", t, m.val.kind)
				continue
			}
		}
		out[m.key], _ = jsonscan.Value(l.src, m.val.off)
	}
	return out
}

// fits reports whether a value has a declared type (null fits any).
func fits(n *node, t attrType) bool {
	switch n.kind {
	case jsonNull:
		return true
	case jsonString:
		return t == typeString || t == typeJSON
	case jsonNumber:
		return t == typeNumber || t == typeJSON
	case jsonBool:
		return t == typeBool || t == typeJSON
	case jsonArray:
		return t == typeArray || t == typeJSON
	}
	return t == typeJSON
}

// assignment decodes one role assignment: "Role" (tenant "default") or
// {"role": "Role", "tenant": "t", "resource_instance": "type:key"}.
func (l *loader) assignment(p *Policy, u *user, n *node, path string) {
	tenant, roleKey := mcpauth.DefaultTenant, ""
	var roleNode, instNode *node
	switch n.kind {
	case jsonString:
		roleNode = n
	case jsonObject:
		f := l.fields(n, path, "role", "tenant", "resource_instance")
		roleNode = f["role"]
		if roleNode == nil {
			l.errorf(n.off, path, "missing field \"role\"")
			return
		}
		if x := f["tenant"]; x != nil {
			t, ok := l.str(x, child(path, "tenant"))
			if !ok {
				return
			}
			tenant = t
		}
		instNode = f["resource_instance"]
	default:
		l.errorf(n.off, path, "want a role key or an object, got %s", n.kind)
		return
	}
	rp := path
	if n.kind == jsonObject {
		rp = child(path, "role")
	}
	roleKey, ok := l.str(roleNode, rp)
	if !ok {
		return
	}
	r := p.roleByKey[roleKey]
	if r == nil {
		if !l.broken["role "+roleKey] {
			l.errorf(roleNode.off, rp, "unknown role %q", roleKey)
		}
		return
	}
	if instNode == nil {
		u.assign(tenant, r, p)
		return
	}
	ip := child(path, "resource_instance")
	inst, ok := l.str(instNode, ip)
	if !ok {
		return
	}
	typ, key, found := strings.Cut(inst, ":")
	if !found || typ == "" || key == "" {
		l.errorf(instNode.off, ip, "resource instance %q must have the form \"type:key\"", inst)
		return
	}
	if p.resources[typ] == nil {
		l.errorf(instNode.off, ip, "resource instance %q names undeclared resource %q", inst, typ)
		return
	}
	u.assignInstance(instanceKey{tenant: tenant, typ: typ, key: key}, r, p)
}
