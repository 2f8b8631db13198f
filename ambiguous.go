// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mcpauth/mcpauth/internal/jsonrpc"
)

// One tool, one action. The built-in mapping checks a tools/call as the
// action named after the tool with '.', '/' and '_' turned into '-' (as
// permit-fastmcp does, and as Permit policies are written), so the tools
// "greet-jwt", "greet_jwt", "greet.jwt" and "greet/jwt" are one action: a
// permission for one grants them all. The mapping stays, but the
// middleware watches the tools/list responses it filters; when two listed
// tools share an action it logs an error once and, unless
// Options.AllowAmbiguousTools is set, refuses calls to every tool of that
// action.

// ErrAmbiguousTool is wrapped by the denial of a tools/call whose tool
// shares its action with another tool the server listed. It wraps
// ErrForbidden.
var ErrAmbiguousTool = fmt.Errorf("%w: ambiguous tool name", ErrForbidden)

// Bounds of the ambiguity record. Past maxAmbiguousActions actions, more
// are kept only as bits of a fixed Bloom filter: still refused (a false
// positive refuses a tool, never allows one), but named in the reason
// without the other tools.
const (
	maxAmbiguousActions = 256
	maxAmbiguousNames   = 4   // names kept per action, for the reason
	maxAmbiguousLen     = 128 // longer names and actions are kept in the Bloom filter only
	ambiguousBloomWords = 1024
	ambiguousBloomProbe = 4
)

// toolRecord holds the actions shared by several listed tools. Its zero
// value is empty and ready; it is safe for concurrent use.
type toolRecord struct {
	n atomic.Int32 // actions recorded: 0 lets a tools/call skip the lock

	mu       sync.RWMutex                 // guards the fields below
	actions  map[string][]string          // action -> tools seen with it, sorted
	overflow *[ambiguousBloomWords]uint64 // actions recorded past the bounds
	seed     maphash.Seed                 // of overflow
}

// ambiguousTool reports whether a tools/call of name is refused because
// another listed tool shares its action, with the reason.
func (m *Middleware) ambiguousTool(name string) (reason string, ambiguous bool) {
	t := &m.tools
	if m.opts.AllowAmbiguousTools || !m.builtin || t.n.Load() == 0 {
		return "", false
	}
	action := toolAction(name)
	t.mu.RLock()
	names, ok := t.actions[action]
	inOverflow := !ok && t.overflow != nil && t.bloomHas(action)
	t.mu.RUnlock()
	switch {
	case ok:
		others := make([]string, 0, len(names))
		for _, n := range names {
			if n != name {
				others = append(others, strconv.Quote(n))
			}
		}
		return "tool name " + strconv.Quote(name) + " is ambiguous: maps to the same action " +
			strconv.Quote(action) + " as " + strings.Join(others, ", "), true
	case inOverflow:
		return "tool name " + strconv.Quote(name) + " is ambiguous: maps to the same action " +
			strconv.Quote(action) + " as another listed tool", true
	}
	return "", false
}

// toolSet is the scratch memory of observeTools: an open-addressing table
// of item indexes by action.
type toolSet struct {
	table []int32 // index+1 into the items; 0 marks an empty slot
	pairs [][2]int
}

// observeTools records the actions the tools of one tools/list response
// share, logging each newly seen set of names once.
func (m *Middleware) observeTools(ctx context.Context, ts *toolSet, items []jsonrpc.ListItem) {
	size := 16
	for size < 2*len(items) {
		size *= 2
	}
	table := slices.Grow(ts.table[:0], size)[:size]
	clear(table)
	ts.table = table
	mask := size - 1
	pairs := ts.pairs[:0]
	for i := range items {
		name := items[i].Key
		// A name without '-', '.', '/' or '_' is its own action and
		// shares it with no other name.
		if !items[i].OK || len(name) == 0 || !bytes.ContainsAny(name, "-./_") {
			continue
		}
		slot := int(actionHash(name)) & mask
		for {
			j := table[slot] - 1
			if j < 0 {
				table[slot] = int32(i + 1)
				break
			}
			if sameAction(items[j].Key, name) {
				if !bytes.Equal(items[j].Key, name) {
					pairs = append(pairs, [2]int{int(j), i})
				}
				break
			}
			slot = (slot + 1) & mask
		}
	}
	ts.pairs = pairs[:0]
	if len(pairs) == 0 {
		return
	}
	// Group the pairs by their first item (the first name of each action).
	slices.SortFunc(pairs, func(a, b [2]int) int { return a[0] - b[0] })
	for g := 0; g < len(pairs); {
		first := pairs[g][0]
		names := []string{string(items[first].Key)}
		for ; g < len(pairs) && pairs[g][0] == first; g++ {
			names = append(names, string(items[pairs[g][1]].Key))
		}
		action := toolAction(names[0])
		if logged := m.tools.record(action, names); logged != nil {
			m.logger.LogAttrs(ctx, slog.LevelError,
				"mcpauth: tools share one action; a permission for one grants the others",
				slog.String("action", action), slog.String("tools", quoteAll(logged)),
				slog.Bool("refused", !m.opts.AllowAmbiguousTools))
		}
	}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// record adds names (tools sharing action) to the record. It returns the
// names to log when the set is new or grew, nil when it was known.
func (t *toolRecord) record(action string, names []string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if known, ok := t.actions[action]; ok {
		// Readers use the stored slice without the lock: replace it, never
		// change it.
		next := slices.Clone(known)
		for _, n := range names {
			if len(next) < maxAmbiguousNames && len(n) <= maxAmbiguousLen && !slices.Contains(next, n) {
				next = append(next, n)
			}
		}
		if len(next) == len(known) {
			return nil
		}
		slices.Sort(next)
		t.actions[action] = next
		return next
	}
	if len(t.actions) < maxAmbiguousActions && len(action) <= maxAmbiguousLen {
		var kept []string
		for _, n := range names {
			if len(kept) < maxAmbiguousNames && len(n) <= maxAmbiguousLen && !slices.Contains(kept, n) {
				kept = append(kept, n)
			}
		}
		slices.Sort(kept)
		if t.actions == nil {
			t.actions = make(map[string][]string)
		}
		t.actions[action] = kept
		t.n.Add(1)
		return kept
	}
	if t.overflow == nil {
		t.overflow = new([ambiguousBloomWords]uint64)
		t.seed = maphash.MakeSeed()
	}
	if t.bloomHas(action) {
		return nil
	}
	h1, h2 := t.bloomHashes(action)
	for i := uint64(0); i < ambiguousBloomProbe; i++ {
		bit := (h1 + i*h2) % (ambiguousBloomWords * 64)
		t.overflow[bit/64] |= 1 << (bit % 64)
	}
	t.n.Add(1)
	return names
}

func (t *toolRecord) bloomHashes(action string) (h1, h2 uint64) {
	h := maphash.String(t.seed, action)
	return h, h>>32 | 1
}

// bloomHas reports whether action may be in the overflow filter. The
// caller holds t.mu.
func (t *toolRecord) bloomHas(action string) bool {
	h1, h2 := t.bloomHashes(action)
	for i := uint64(0); i < ambiguousBloomProbe; i++ {
		bit := (h1 + i*h2) % (ambiguousBloomWords * 64)
		if t.overflow[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// actionByte is a byte of a tool name as it appears in the action.
func actionByte(c byte) byte {
	if c == '.' || c == '/' || c == '_' {
		return '-'
	}
	return c
}

// actionHash is an FNV-1a hash of the action of a tool name.
func actionHash(name []byte) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for _, c := range name {
		h = (h ^ uint64(actionByte(c))) * prime
	}
	return h
}

// sameAction reports whether two tool names map to one action.
func sameAction(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if actionByte(a[i]) != actionByte(b[i]) {
			return false
		}
	}
	return true
}
