// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// This file compiles set rules: which condition sets grant which
// permissions.

package policy

func (l *loader) setRules(p *Policy, n *node) {
	if !l.want(n, jsonArray, "set_rules") {
		return
	}
	for i, e := range n.elems {
		path := index("set_rules", i)
		f := l.fields(e, path, "description", "role", "user_set", "permission", "resource_set")
		if f == nil {
			continue
		}
		r := &setRule{index: i}
		if x := f["description"]; x != nil {
			l.want(x, jsonString, child(path, "description"))
		}
		roleNode, userSetNode := f["role"], f["user_set"]
		switch {
		case roleNode != nil && userSetNode != nil:
			l.errorf(userSetNode.off, child(path, "user_set"), "a set rule has either \"role\" or \"user_set\", not both")
			continue
		case roleNode == nil && userSetNode == nil:
			l.errorf(e.off, path, "missing field \"role\" or \"user_set\"")
			continue
		case roleNode != nil:
			key, ok := l.str(roleNode, child(path, "role"))
			if !ok {
				continue
			}
			if r.role = p.roleByKey[key]; r.role == nil {
				if !l.broken["role "+key] {
					l.errorf(roleNode.off, child(path, "role"), "unknown role %q", key)
				}
				continue
			}
		default:
			key, ok := l.str(userSetNode, child(path, "user_set"))
			if !ok {
				continue
			}
			s := p.sets[key]
			switch {
			case s == nil && l.broken["set "+key]:
				continue
			case s == nil:
				l.errorf(userSetNode.off, child(path, "user_set"), "unknown condition set %q", key)
				continue
			case s.kind != sideUser:
				l.errorf(userSetNode.off, child(path, "user_set"), "condition set %q is a resource set, not a user set", key)
				continue
			}
			r.userSet = s
		}
		pn := f["permission"]
		if pn == nil {
			l.errorf(e.off, path, "missing field \"permission\"")
			continue
		}
		id, ok := l.permission(p, pn, child(path, "permission"))
		if !ok {
			continue
		}
		r.perm = id
		if x := f["resource_set"]; x != nil {
			key, ok := l.str(x, child(path, "resource_set"))
			if !ok {
				continue
			}
			s := p.sets[key]
			switch {
			case s == nil && l.broken["set "+key]:
				continue
			case s == nil:
				l.errorf(x.off, child(path, "resource_set"), "unknown condition set %q", key)
				continue
			case s.kind != sideResource:
				l.errorf(x.off, child(path, "resource_set"), "condition set %q is a user set, not a resource set", key)
				continue
			case s.resource != p.perms[id].resource:
				l.errorf(x.off, child(path, "resource_set"), "resource set %q belongs to resource %q, but the permission is on %q", key, s.resource, p.perms[id].resource)
				continue
			}
			r.resourceSet = s
		} else if r.role != nil {
			l.errorf(e.off, path, "a set rule for role %q without a resource set is a plain role permission: list %q in roles.%s.permissions", r.role.key, p.perms[id].String(), r.role.key)
			continue
		}
		r.text = r.describe(p)
		p.rulesByPerm[id] = append(p.rulesByPerm[id], r)
		p.ruleCount++
	}
}
