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
		i = SkipSpace(b, i+1)
		if b[i] == '}' {
			return m, i + 1
		}
		for {
			raw, end, esc := StringSpan(b, i)
			i = SkipSpace(b, end) // at ':'
			v, end := Value(b, SkipSpace(b, i+1))
			m[String(raw, esc)] = v
			i = SkipSpace(b, end)
			if b[i] == '}' {
				return m, i + 1
			}
			i = SkipSpace(b, i+1) // past ','
		}
	case '[':
		a := []any{}
		i = SkipSpace(b, i+1)
		if b[i] == ']' {
			return a, i + 1
		}
		for {
			v, end := Value(b, i)
			a = append(a, v)
			i = SkipSpace(b, end)
			if b[i] == ']' {
				return a, i + 1
			}
			i = SkipSpace(b, i+1) // past ','
		}
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
