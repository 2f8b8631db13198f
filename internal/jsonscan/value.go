// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonscan

import "encoding/json"

// String decodes the content of a string (raw excludes the quotes; esc says
// whether it holds escapes, as [StringSpan] reports) as encoding/json does:
// invalid UTF-8 and unpaired surrogate escapes become U+FFFD.
func String(raw []byte, esc bool) string {
	if !esc && IsASCII(raw) {
		return string(raw)
	}
	s, _ := Unquote(make([]byte, 0, len(raw)), raw, false)
	return string(s)
}

// Members walks the object at b[i], in bytes that [Valid] or [Check]
// accepted. For each member, in order, it calls member with the index of the
// member's name (its opening quote; [StringSpan] reads it) and of its value;
// member returns the index just past the value. Members returns the index
// just past the object.
func Members(b []byte, i int, member func(name, value int) int) int {
	i = SkipSpace(b, i+1)
	if b[i] == '}' {
		return i + 1
	}
	for {
		end, _ := SkipString(b, i)
		end = member(i, SkipSpace(b, SkipSpace(b, end)+1)) // past ':'
		i = SkipSpace(b, end)
		if b[i] == '}' {
			return i + 1
		}
		i = SkipSpace(b, i+1) // past ','
	}
}

// Elements walks the array at b[i] as [Members] walks an object: elem gets
// the index of each element and returns the index just past it.
func Elements(b []byte, i int, elem func(value int) int) int {
	i = SkipSpace(b, i+1)
	if b[i] == ']' {
		return i + 1
	}
	for {
		i = SkipSpace(b, elem(i))
		if b[i] == ']' {
			return i + 1
		}
		i = SkipSpace(b, i+1) // past ','
	}
}

// Value decodes the value at b[i], in bytes that [Valid] or [Check]
// accepted, the way encoding/json decodes into an any with UseNumber:
// objects become map[string]any (the last of repeated names wins), arrays
// []any, numbers json.Number, strings as [String] decodes them. It returns
// the value and the index just past it.
func Value(b []byte, i int) (any, int) {
	switch b[i] {
	case '"':
		raw, end, esc := StringSpan(b, i)
		return String(raw, esc), end
	case '{':
		m := make(map[string]any)
		end := Members(b, i, func(name, value int) int {
			raw, _, esc := StringSpan(b, name)
			v, end := Value(b, value)
			m[String(raw, esc)] = v
			return end
		})
		return m, end
	case '[':
		a := []any{}
		end := Elements(b, i, func(value int) int {
			v, end := Value(b, value)
			a = append(a, v)
			return end
		})
		return a, end
	case 't':
		return true, i + len("true")
	case 'f':
		return false, i + len("false")
	case 'n':
		return nil, i + len("null")
	default:
		end := SkipScalar(b, i)
		return json.Number(b[i:end]), end
	}
}
