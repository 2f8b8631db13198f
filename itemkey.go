// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"crypto/sha256"
	"slices"
)

// itemKeys builds the decision cache keys of list items under the built-in
// mapping without building their checks. The key of an item is
// byte-for-byte the key decisionCache.key computes for the check mapInto
// builds for it (TestItemKeysMatchCheckKeys): the same canonical encoding
// of every decision input, hashed with SHA-256. Only the parts that differ
// per item are encoded per item; the user, the tenant and the scopes are
// encoded once per list.
type itemKeys struct {
	kw     keyWriter // kw.buf holds the prefix, then one item's part and the suffix
	prefix int       // length of the per-list prefix in kw.buf
	suffix []byte    // the context and scopes, encoded

	mp         *mapper
	listMethod string // the mcp_method attribute: the list method
	kind       string // MethodToolsList, MethodPromptsList or MethodResourcesList (templates too)
}

// reset prepares k for the items of one list response.
func (k *itemKeys) reset(mp *mapper, listMethod string, id *Identity, tenant string) {
	k.mp = mp
	k.listMethod = listMethod
	k.kind = listMethod
	if listMethod == MethodResourcesTemplatesList {
		k.kind = MethodResourcesList
	}
	kw := &k.kw
	kw.buf = kw.buf[:0]
	var u User
	if id != nil {
		u = id.User
	}
	kw.str(u.Key)
	kw.value(u.Attributes, 0)
	kw.str(tenant)
	k.prefix = len(kw.buf)

	// The suffix: an item check has no context, then the credential's
	// scopes.
	kw.value(map[string]any(nil), 0)
	if id != nil && len(id.Scopes) > 0 {
		kw.tag('S')
		scopes := slices.Clone(id.Scopes)
		slices.Sort(scopes)
		kw.uint(uint64(len(scopes)))
		for _, s := range scopes {
			kw.str(s)
		}
	} else {
		kw.tag('s')
	}
	k.suffix = append(k.suffix[:0], kw.buf[k.prefix:]...)
	kw.buf = kw.buf[:k.prefix]
}

// key computes the cache key of the item named (or with the URI) name.
func (k *itemKeys) key(dst *cacheKey, name []byte) {
	kw := &k.kw
	kw.buf = kw.buf[:k.prefix]
	mp := k.mp
	switch k.kind {
	case MethodToolsList:
		// Action: the tool name with '.', '/' and '_' turned into '-'.
		kw.uint(uint64(len(name)))
		start := len(kw.buf)
		kw.buf = append(kw.buf, name...)
		for i, c := range kw.buf[start:] {
			if c == '.' || c == '/' || c == '_' {
				kw.buf[start+i] = '-'
			}
		}
		kw.str(mp.server)
		kw.str("")
		kw.tag('M')
		if mp.nested {
			kw.uint(3)
			k.emptyArguments()
		} else {
			kw.uint(2)
		}
		k.attr(AttrMCPMethod, k.listMethod)
		k.attrBytes(AttrToolName, name)
	case MethodPromptsList:
		kw.uint(uint64(len(mp.actionPrefix) + len("read")))
		kw.buf = append(kw.buf, mp.actionPrefix...)
		kw.buf = append(kw.buf, "read"...)
		k.typeAndKey(mp.promptsType, name)
		kw.tag('M')
		if mp.nested {
			kw.uint(4)
			k.emptyArguments()
		} else {
			kw.uint(3)
		}
		k.attr(AttrMCPMethod, k.listMethod)
		k.attrBytes(AttrPromptName, name)
		k.attr(AttrResourceType, "prompts")
	default: // resources and resource templates
		kw.uint(uint64(len(mp.actionPrefix) + len("read")))
		kw.buf = append(kw.buf, mp.actionPrefix...)
		kw.buf = append(kw.buf, "read"...)
		k.typeAndKey(mp.resourcesType, name)
		kw.tag('M')
		kw.uint(3)
		k.attr(AttrMCPMethod, k.listMethod)
		k.attr(AttrResourceType, "resources")
		k.attrBytes(AttrResourceURI, name)
	}
	kw.buf = append(kw.buf, k.suffix...)
	*dst = sha256.Sum256(kw.buf)
}

// typeAndKey encodes the resource type and key of a prompt or resource:
// "type:name" and no key with LegacyResourceTypes, the type and the name
// as key otherwise.
func (k *itemKeys) typeAndKey(typ string, name []byte) {
	kw := &k.kw
	if k.mp.legacyTypes {
		kw.uint(uint64(len(typ) + 1 + len(name)))
		kw.buf = append(kw.buf, typ...)
		kw.buf = append(kw.buf, ':')
		kw.buf = append(kw.buf, name...)
		kw.str("")
		return
	}
	kw.str(typ)
	kw.uint(uint64(len(name)))
	kw.buf = append(kw.buf, name...)
}

// emptyArguments encodes the "arguments" attribute of nested arguments
// when the request has none: an empty object.
func (k *itemKeys) emptyArguments() {
	k.kw.str(AttrArguments)
	k.kw.tag('M')
	k.kw.uint(0)
}

func (k *itemKeys) attr(name, value string) {
	k.kw.str(name)
	k.kw.tag('s')
	k.kw.str(value)
}

func (k *itemKeys) attrBytes(name string, value []byte) {
	k.kw.str(name)
	k.kw.tag('s')
	k.kw.uint(uint64(len(value)))
	k.kw.buf = append(k.kw.buf, value...)
}
