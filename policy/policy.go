// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// Policy is a compiled policy. It is immutable and safe for concurrent use.
type Policy struct {
	name        string
	argPrefix   string
	userAttrs   map[string]attrType
	resources   map[string]*resource
	perms       []permission
	roles       []*role
	roleByKey   map[string]*role
	users       map[string]*user
	sets        map[string]*condSet
	rulesByPerm [][]*setRule // set rules indexed by permission
	ruleCount   int
}

var _ mcpauth.Authorizer = (*Policy)(nil)

type resource struct {
	key     string
	actions map[string]int // action -> permission index
	attrs   map[string]attrType
}

type permission struct {
	resource, action string
}

func (p permission) String() string { return p.resource + ":" + p.action }

type role struct {
	key      string
	index    int
	direct   []int  // permissions listed on the role itself
	includes bitset // the role and every role it extends, transitively
	perms    bitset // permissions of every included role
}

// grant is what a user holds in one tenant (or on one resource instance).
type grant struct {
	direct []*role // assigned roles, in file order
	roles  bitset  // assigned roles and the roles they extend
	perms  bitset
}

type user struct {
	key       string
	attrs     map[string]any
	tenants   map[string]*grant
	instances map[instanceKey]*grant
}

type instanceKey struct {
	tenant, typ, key string
}

func (u *user) assign(tenant string, r *role, p *Policy) {
	if u.tenants == nil {
		u.tenants = make(map[string]*grant)
	}
	u.tenants[tenant] = u.tenants[tenant].add(r, p)
}

func (u *user) assignInstance(k instanceKey, r *role, p *Policy) {
	if u.instances == nil {
		u.instances = make(map[instanceKey]*grant)
	}
	u.instances[k] = u.instances[k].add(r, p)
}

func (g *grant) add(r *role, p *Policy) *grant {
	if g == nil {
		g = &grant{roles: newBitset(len(p.roles)), perms: newBitset(len(p.perms))}
	}
	for _, d := range g.direct {
		if d == r {
			return g
		}
	}
	g.direct = append(g.direct, r)
	g.roles.or(r.includes)
	g.perms.or(r.perms)
	return g
}

type condSet struct {
	key      string
	kind     side
	resource string // resource sets only
	parent   *condSet
	own      *cond // the set's own conditions
	cond     *cond // own conditions AND every ancestor's
}

func (s *condSet) describeKind() string {
	if s.kind == sideUser {
		return "a user set"
	}
	return fmt.Sprintf("a resource set of %q", s.resource)
}

// setRule grants a permission to a user set (or the holders of a role) on
// a resource set (or every resource of the permission's type).
type setRule struct {
	index       int
	role        *role
	userSet     *condSet
	perm        int
	resourceSet *condSet
	text        string
}

func (r *setRule) describe(p *Policy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "set rule %d: ", r.index)
	if r.role != nil {
		fmt.Fprintf(&b, "role %q", r.role.key)
	} else {
		fmt.Fprintf(&b, "user set %q", r.userSet.key)
	}
	fmt.Fprintf(&b, " may %s", p.perms[r.perm])
	if r.resourceSet != nil {
		fmt.Fprintf(&b, " on resource set %q", r.resourceSet.key)
	}
	return b.String()
}

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) or(other bitset) {
	for i := range other {
		b[i] |= other[i]
	}
}
func (g *grant) hasPerm(i int) bool { return g != nil && g.perms.has(i) }
func (g *grant) hasRole(r *role) bool {
	return g != nil && g.roles.has(r.index)
}

// Name returns the name the policy was parsed under (its file path for
// [Load]).
func (p *Policy) Name() string { return p.name }

// ArgumentPrefix returns the prefix that marks call-supplied resource
// attributes in list-time checks (the file's argument_prefix, default
// "arg_"). Configure the middleware's [mcpauth.Options.ArgumentPrefix] to
// match.
func (p *Policy) ArgumentPrefix() string { return p.argPrefix }

// Stats counts what a policy holds.
type Stats struct {
	Resources, Permissions, Roles, Users, ConditionSets, SetRules int
}

// Stats returns the policy's counts.
func (p *Policy) Stats() Stats {
	return Stats{
		Resources:     len(p.resources),
		Permissions:   len(p.perms),
		Roles:         len(p.roles),
		Users:         len(p.users),
		ConditionSets: len(p.sets),
		SetRules:      p.ruleCount,
	}
}

// Allowed reports whether the policy allows c. The only error is the
// context's, when it is already done.
func (p *Policy) Allowed(ctx context.Context, c mcpauth.Check) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return p.decide(&c, nil), nil
}

// AllowedBulk decides each check in order. The only error is the
// context's, when it is already done.
func (p *Policy) AllowedBulk(ctx context.Context, cs []mcpauth.Check) ([]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]bool, len(cs))
	for i := range cs {
		out[i] = p.decide(&cs[i], nil)
	}
	return out, nil
}

// Explanation says how the policy decided a check.
type Explanation struct {
	// Allowed is the decision; it always equals what Allowed returns.
	Allowed bool
	// Permission is the permission checked, "resource-type:action".
	Permission string
	// Tenant is the tenant the check ran in ("default" when the check's
	// tenant is empty).
	Tenant string
	// ListTime reports a list-time check (the resource's mcp_method
	// attribute names a list method), in which conditions on call-supplied
	// attributes count as satisfiable.
	ListTime bool
	// KnownUser reports whether the user key is in the policy.
	KnownUser bool
	// Roles are the roles the user holds in Tenant, and on the checked
	// resource instance, as assigned in the policy.
	Roles []string
	// DecidedBy names the role or set rule that allowed the check; empty
	// when it was denied.
	DecidedBy string
	// Conditions are the evaluated conditions of the set rule that allowed
	// the check or, when it was denied, of every set rule for the
	// permission, one line each.
	Conditions []string
	// Reason says why the check was denied; empty when allowed.
	Reason string
}

// String renders the explanation on several lines.
func (e Explanation) String() string {
	var b strings.Builder
	if e.Allowed {
		fmt.Fprintf(&b, "allowed: %s\n", e.DecidedBy)
	} else {
		fmt.Fprintf(&b, "denied: %s\n", e.Reason)
	}
	if e.ListTime {
		b.WriteString("list-time check: conditions on call arguments count as satisfiable\n")
	}
	for _, c := range e.Conditions {
		b.WriteString("  ")
		b.WriteString(c)
		b.WriteByte('\n')
	}
	return b.String()
}

// Explain decides c like [Policy.Allowed] and says why.
func (p *Policy) Explain(c mcpauth.Check) Explanation {
	var ex Explanation
	ex.Allowed = p.decide(&c, &ex)
	return ex
}

// isListMethod reports whether an mcp_method attribute marks a list-time
// check.
func isListMethod(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	switch s {
	case mcpauth.MethodToolsList, mcpauth.MethodPromptsList, mcpauth.MethodResourcesList, mcpauth.MethodResourcesTemplatesList:
		return true
	}
	return false
}

// decide is the decision procedure shared by Allowed and Explain; ex is nil
// on the fast path.
func (p *Policy) decide(c *mcpauth.Check, ex *Explanation) bool {
	tenant := c.Resource.Tenant
	if tenant == "" {
		tenant = mcpauth.DefaultTenant
	}
	e := env{
		userKey: c.User.Key, userAttrs: c.User.Attributes,
		resType: c.Resource.Type, resKey: c.Resource.Key, resAttrs: c.Resource.Attributes,
		tenant: tenant, listTime: isListMethod(c.Resource.Attributes["mcp_method"]),
	}
	u := p.users[c.User.Key]
	var g, ig *grant
	if u != nil {
		e.stored = u.attrs
		g = u.tenants[tenant]
		if c.Resource.Key != "" && u.instances != nil {
			ig = u.instances[instanceKey{tenant: tenant, typ: c.Resource.Type, key: c.Resource.Key}]
		}
	}
	if ex != nil {
		ex.Tenant, ex.ListTime, ex.KnownUser = tenant, e.listTime, u != nil
		ex.Permission = c.Resource.Type + ":" + c.Action
		for _, gr := range []*grant{g, ig} {
			if gr != nil {
				for _, r := range gr.direct {
					ex.Roles = append(ex.Roles, r.key)
				}
			}
		}
	}

	res := p.resources[c.Resource.Type]
	if res == nil {
		if ex != nil {
			ex.Reason = fmt.Sprintf("resource type %q is not declared in the policy", c.Resource.Type)
		}
		return false
	}
	id, ok := res.actions[c.Action]
	if !ok {
		if ex != nil {
			ex.Reason = fmt.Sprintf("resource %q has no action %q", c.Resource.Type, c.Action)
		}
		return false
	}

	if g.hasPerm(id) {
		if ex != nil {
			ex.DecidedBy = fmt.Sprintf("role %q grants %s in tenant %q", grantingRole(g, id).key, p.perms[id], tenant)
		}
		return true
	}
	if ig.hasPerm(id) {
		if ex != nil {
			ex.DecidedBy = fmt.Sprintf("role %q grants %s on instance %q in tenant %q", grantingRole(ig, id).key, p.perms[id], c.Resource.Key, tenant)
		}
		return true
	}

	var trace *[]string
	if ex != nil {
		trace = new([]string)
		e.trace = trace
	}
	for _, r := range p.rulesByPerm[id] {
		if ex != nil {
			*trace = (*trace)[:0]
		}
		var t tri
		if r.role != nil {
			t = no
			if g.hasRole(r.role) || ig.hasRole(r.role) {
				t = yes
			}
			if ex != nil {
				*trace = append(*trace, fmt.Sprintf("user holds role %q: %s", r.role.key, t))
			}
		} else {
			t = r.userSet.cond.eval(&e)
		}
		if r.resourceSet != nil && (t != no || ex != nil) {
			switch r.resourceSet.cond.eval(&e) {
			case no:
				t = no
			case maybe:
				if t == yes {
					t = maybe
				}
			}
		}
		if ex != nil {
			for _, line := range *trace {
				ex.Conditions = append(ex.Conditions, "set rule "+strconv.Itoa(r.index)+": "+line)
			}
		}
		if t != no {
			if ex != nil {
				ex.DecidedBy = r.text
				if t == maybe {
					ex.DecidedBy += " (satisfiable at list time)"
				}
				// Keep only the deciding rule's conditions.
				n := len(*trace)
				ex.Conditions = append([]string(nil), ex.Conditions[len(ex.Conditions)-n:]...)
			}
			return true
		}
	}
	if ex != nil {
		who := "unknown user " + strconv.Quote(c.User.Key) + " has no roles"
		if u != nil {
			who = fmt.Sprintf("no role of user %q in tenant %q grants %s", c.User.Key, tenant, p.perms[id])
		}
		if n := len(p.rulesByPerm[id]); n > 0 {
			ex.Reason = fmt.Sprintf("%s, and none of the %d set rules for %s matched", who, n, p.perms[id])
		} else {
			ex.Reason = fmt.Sprintf("%s, and no set rule grants it", who)
		}
	}
	return false
}

// grantingRole finds the assigned role through which g holds permission id.
func grantingRole(g *grant, id int) *role {
	for _, r := range g.direct {
		if r.perms.has(id) {
			return r
		}
	}
	return g.direct[0]
}
