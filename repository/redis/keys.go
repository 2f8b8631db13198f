// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis

import (
	"strings"
)

// escaped reports whether b is written as %XX in a Redis key: the escape
// character itself, the namespace separator ':', the Cluster hash-tag
// braces and the glob metacharacters of SCAN MATCH.
func escaped(b byte) bool {
	switch b {
	case '%', ':', '{', '}', '*', '?', '[', ']', '\\':
		return true
	}
	return false
}

const hexDigits = "0123456789ABCDEF"

// escapeKey encodes key byte by byte: the bytes of [escaped] become %XX
// (upper-case hex), every other byte stays as it is. The encoding is
// injective and prefix-preserving (escapeKey(a+b) == escapeKey(a) +
// escapeKey(b)), which List relies on.
func escapeKey(key string) string {
	n := 0
	for i := 0; i < len(key); i++ {
		if escaped(key[i]) {
			n++
		}
	}
	if n == 0 {
		return key
	}
	var b strings.Builder
	b.Grow(len(key) + 2*n)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if escaped(c) {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescapeKey reverses escapeKey. It reports false for text escapeKey
// cannot have produced (a key written under the prefix by another tool).
func unescapeKey(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return "", false
			}
			hi, lo := strings.IndexByte(hexDigits, s[i+1]), strings.IndexByte(hexDigits, s[i+2])
			if hi < 0 || lo < 0 || !escaped(byte(hi<<4|lo)) {
				return "", false
			}
			b.WriteByte(byte(hi<<4 | lo))
			i += 2
		case escaped(c):
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// globEscape quotes the SCAN MATCH metacharacters of s with a backslash,
// so that s matches only itself.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
