// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// maxDepth is the deepest nesting of objects and arrays Decode accepts. It is
// the limit of the go-sdk's internal JSON decoder (internal/json
// defaultMaxDepth): a body the server would refuse for its depth is refused
// here too, with the top-level value at depth 1.
const maxDepth = 1000

// keyBytes returns the decoded name of the member key whose string content
// is raw. A key must be valid UTF-8 without unpaired surrogate escapes: a
// key that would be rewritten to U+FFFD could collide with another key after
// decoding, so such bodies are refused instead of guessed at.
func keyBytes(raw []byte, esc bool) ([]byte, bool) {
	if !esc {
		if !jsonscan.IsASCII(raw) && !utf8.Valid(raw) {
			return nil, false
		}
		return raw, true
	}
	return jsonscan.Unquote(make([]byte, 0, len(raw)), raw, true)
}

// strictString decodes a string value the middleware acts on (method,
// params.name, params.uri, ...). Like keyBytes it refuses invalid UTF-8 and
// unpaired surrogates, so the string returned is the one any JSON decoder
// produces.
func strictString(raw []byte, esc bool) (string, bool) {
	if !esc {
		if !jsonscan.IsASCII(raw) && !utf8.Valid(raw) {
			return "", false
		}
		return string(raw), true
	}
	var buf [64]byte
	s, ok := jsonscan.Unquote(buf[:0], raw, true)
	return string(s), ok
}

// foldRune returns the smallest rune in r's Unicode simple-folding orbit:
// two runes are equal under bytes.EqualFold exactly when their foldRune is
// the same.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// hashKey returns an FNV-1a hash of k, of its folded runes with fold set,
// so that names equal under the keySet's comparison hash alike. k must be
// valid UTF-8.
func hashKey(k []byte, fold bool) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	if !fold {
		for _, c := range k {
			h = (h ^ uint64(c)) * prime
		}
		return h
	}
	for i := 0; i < len(k); {
		r, size := rune(k[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(k[i:])
		}
		i += size
		h = (h ^ uint64(foldRune(r))) * prime
	}
	return h
}

// keySet detects repeated member names in one object. The first few names
// are compared pairwise; larger objects switch to an open-addressing hash
// table over the names, so no name is copied or converted to a string.
// With fold set, names equal under Unicode case folding count as repeats.
type keySet struct {
	fold  bool
	n     int
	small [8][]byte
	keys  [][]byte // every name, once past small
	table []int32  // index+1 into keys; 0 marks an empty slot
}

// add records k and reports whether it is new.
func (s *keySet) add(k []byte) bool {
	if s.keys == nil {
		for _, p := range s.small[:s.n] {
			if s.equal(p, k) {
				return false
			}
		}
		if s.n < len(s.small) {
			s.small[s.n] = k
			s.n++
			return true
		}
		s.keys = make([][]byte, 0, 4*len(s.small))
		s.keys = append(s.keys, s.small[:]...)
		s.rehash(8 * len(s.small))
	}
	mask := len(s.table) - 1
	slot := int(hashKey(k, s.fold)) & mask
	for s.table[slot] != 0 {
		if s.equal(s.keys[s.table[slot]-1], k) {
			return false
		}
		slot = (slot + 1) & mask
	}
	s.keys = append(s.keys, k)
	s.table[slot] = int32(len(s.keys))
	if 2*len(s.keys) > len(s.table) {
		s.rehash(2 * len(s.table))
	}
	return true
}

// rehash rebuilds the table with size slots (a power of two).
func (s *keySet) rehash(size int) {
	s.table = make([]int32, size)
	mask := size - 1
	for i, k := range s.keys {
		slot := int(hashKey(k, s.fold)) & mask
		for s.table[slot] != 0 {
			slot = (slot + 1) & mask
		}
		s.table[slot] = int32(i + 1)
	}
}

func (s *keySet) equal(a, b []byte) bool {
	if s.fold {
		return bytes.EqualFold(a, b)
	}
	return bytes.Equal(a, b)
}

// foldsToAny reports whether k differs from every name in names but equals
// one of them under case folding: a case variant of a member that matters.
func foldsToAny(k []byte, names []string) bool {
	ascii := jsonscan.IsASCII(k)
	for _, n := range names {
		if string(k) != n && equalFold(k, n, ascii) {
			return true
		}
	}
	return false
}

// equalFold is bytes.EqualFold(k, []byte(n)) for an ASCII n, without the
// conversion when k is ASCII too (two ASCII strings fold only letter case).
func equalFold(k []byte, n string, ascii bool) bool {
	if !ascii {
		return bytes.EqualFold(k, []byte(n))
	}
	if len(k) != len(n) {
		return false
	}
	for i := range len(k) {
		a, b := k[i], n[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
