// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonscan

import (
	"bytes"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The span helpers in this file walk bytes that Valid or Check has
// accepted, so they trust the grammar (a '"' opens a string, a ':' follows
// a key, ...) and only extract spans. Every index they compute stays inside
// the input for valid JSON.

// IsSpace reports whether c is JSON whitespace, the only bytes encoding/json
// (and the go-sdk's decoder) skip around values.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// SkipString returns the index just past the string that opens at b[i],
// and whether the string holds escapes.
func SkipString(b []byte, i int) (end int, esc bool) {
	i++
	// Most strings (member names, methods, tool names) are short: a byte
	// loop beats the call overhead of bytes.IndexByte for them.
	for n := 0; n < 32 && i < len(b); n++ {
		switch b[i] {
		case '"':
			return i + 1, esc
		case '\\':
			// Skip the escaped byte; the hex digits of \u never hold a quote.
			esc = true
			i += 2
		default:
			i++
		}
	}
	for i < len(b) {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b), esc
		}
		bs := bytes.IndexByte(b[i:i+q], '\\')
		if bs < 0 {
			return i + q + 1, esc
		}
		esc = true
		i += bs + 2
	}
	return len(b), esc
}

// StringSpan returns the content of the string opening at b[i] (without its
// quotes), the index just past it, and whether the content holds escapes.
func StringSpan(b []byte, i int) (raw []byte, end int, esc bool) {
	end, esc = SkipString(b, i)
	return b[i+1 : end-1], end, esc
}

// SkipScalar returns the index just past the number (or literal true, false,
// null) that starts at b[i].
func SkipScalar(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// IsASCII reports whether s holds only ASCII bytes.
func IsASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Unquote appends the decoded content of a JSON string (raw excludes the
// quotes) to dst. With strict set, invalid UTF-8 and unpaired UTF-16
// surrogate escapes make it fail; otherwise each becomes U+FFFD, exactly as
// encoding/json and the go-sdk's decoder (segmentio/encoding) decode them.
func Unquote(dst, raw []byte, strict bool) ([]byte, bool) {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			if i+1 >= len(raw) {
				return dst, false
			}
			e := raw[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := Hex4(raw, i)
				if !ok {
					return dst, false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(0), false
					if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2, ok2 = Hex4(raw, i+2)
					}
					if d := utf16.DecodeRune(r, r2); ok2 && d != unicode.ReplacementChar {
						r = d
						i += 6
					} else {
						if strict {
							return dst, false
						}
						r = unicode.ReplacementChar
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, false
			}
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				if strict {
					return dst, false
				}
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
		}
	}
	return dst, true
}

// Hex4 decodes the four hex digits at s[i:i+4].
func Hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
