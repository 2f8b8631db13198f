// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"encoding/hex"
	"testing"
	"time"
)

// itemKeyCase checks that the key itemKeys computes for one list item is
// the key decisionCache.key computes for the check the built-in mapping
// builds for it: the two must agree, or the list filter would ask the
// cache under a key no decision is stored under (or, worse, share one
// between two different checks).
func itemKeyCase(t testing.TB, o *Options, method string, id *Identity, tenant, name string) {
	t.Helper()
	if err := normalize(o); err != nil {
		t.Fatal(err)
	}
	mp := newMapper(o)
	c := newDecisionCache(CacheOptions{Size: 1, AllowTTL: time.Second, DenyTTL: time.Second, PDPTimeout: time.Second})
	_, itemMethod := listMember(method)
	req := Request{Method: itemMethod, Identity: id, Tenant: tenant, ListMethod: method}
	if method == MethodToolsList || method == MethodPromptsList {
		req.Name = name
	} else {
		req.URI = name
	}
	var chk Check
	if _, ok, err := mp.mapInto(context.Background(), &chk, &req); err != nil || !ok {
		t.Fatalf("mapInto(%s %q): %v, %v", method, name, ok, err)
	}
	var want, got cacheKey
	c.key(&want, &chk, id)
	var ik itemKeys
	ik.reset(mp, method, id, tenant)
	ik.key(&got, []byte(name))
	if got != want {
		t.Errorf("%s %q: item key %s, check key %s (check %+v)", method, name,
			hex.EncodeToString(got[:8]), hex.EncodeToString(want[:8]), chk)
	}
	// A second item through the same builder: the prefix must survive.
	ik.key(&got, []byte(name))
	if got != want {
		t.Errorf("%s %q: second item key differs", method, name)
	}
}

func TestItemKeysMatchCheckKeys(t *testing.T) {
	identities := map[string]*Identity{
		"nil":   nil,
		"plain": {User: User{Key: "alice"}},
		"claims and scopes": {
			User: User{Key: "bob", Attributes: map[string]any{
				"email": "b@example.com", "groups": []any{"a", "b"}, "n": 3.5,
				"nested": map[string]any{"x": true, "y": nil},
			}},
			Scopes: []string{"write", "read"},
		},
	}
	options := map[string]Options{
		"defaults":       {},
		"prefixes":       {ServerName: "srv", ActionPrefix: "mcp:", ResourcePrefix: "r_"},
		"legacy types":   {LegacyResourceTypes: true},
		"nested args":    {NestedArguments: true},
		"everything":     {ServerName: "s", ActionPrefix: "p-", LegacyResourceTypes: true, NestedArguments: true},
		"no arg prefix":  {ArgumentPrefix: NoPrefix},
		"rename collide": {ArgumentCollision: CollisionRename},
	}
	names := []string{"greet", "a.b_c/d", "greet-jwt", "ünïcode ✓", "file:///a/b?c=d", "db://{id}", "x"}
	for on, o := range options {
		for idn, id := range identities {
			for _, method := range []string{MethodToolsList, MethodPromptsList, MethodResourcesList, MethodResourcesTemplatesList} {
				for _, name := range names {
					t.Run(on+"/"+idn+"/"+method, func(t *testing.T) {
						o := o
						itemKeyCase(t, &o, method, id, "tenant-1", name)
					})
				}
			}
		}
	}
}

func FuzzItemKeys(f *testing.F) {
	f.Add("greet_jwt", "alice", "default", "scope", 0, false, false)
	f.Add("file:///x", "", "", "", 2, true, true)
	f.Fuzz(func(t *testing.T, name, user, tenant, scope string, kind int, legacy, nested bool) {
		if name == "" {
			return // never checked: an item without a name is hidden
		}
		methods := []string{MethodToolsList, MethodPromptsList, MethodResourcesList, MethodResourcesTemplatesList}
		method := methods[(kind%4+4)%4]
		id := &Identity{User: User{Key: user, Attributes: map[string]any{"k": user}}}
		if scope != "" {
			id.Scopes = []string{scope, "z"}
		}
		itemKeyCase(t, &Options{LegacyResourceTypes: legacy, NestedArguments: nested, ActionPrefix: scope}, method, id, tenant, name)
	})
}
