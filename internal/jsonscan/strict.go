// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonscan

import "strconv"

// RepeatedNameError reports an object that names a member twice.
type RepeatedNameError struct {
	// Offset is the byte offset of the second occurrence's opening quote.
	Offset int
	// Name is the repeated name, decoded as [String] decodes it.
	Name string
}

func (e *RepeatedNameError) Error() string {
	return "jsonscan: member name " + quoteName(e.Name) + " repeated"
}

// quoteName quotes a member name for an error message, cut short so that a
// hostile document cannot make the message large.
func quoteName(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// Strict decodes b, which must be exactly one JSON value with optional
// whitespace around it, as [Value] does, but refuses what a lenient decoder
// would silently accept or resolve: nesting deeper than maxDepth objects
// and arrays (the top-level value is at depth 1) and repeated member names
// in any object at any depth. Names are compared after decoding, as
// [String] decodes them, so "a" and "\u0061" are the same name, and so are
// two names whose invalid UTF-8 both decode to U+FFFD.
//
// A syntax or depth failure is a [*SyntaxError] (errors.Is tells
// [ErrTooDeep] and [ErrTrailing] apart); a repeated name is a
// [*RepeatedNameError].
func Strict(b []byte, maxDepth int) (any, error) {
	if err := Check(b, maxDepth); err != nil {
		return nil, err
	}
	v, _, err := strictValue(b, SkipSpace(b, 0))
	return v, err
}

// strictValue is [Value] refusing repeated member names.
func strictValue(b []byte, i int) (any, int, error) {
	switch b[i] {
	case '{':
		m := make(map[string]any)
		i = SkipSpace(b, i+1)
		if b[i] == '}' {
			return m, i + 1, nil
		}
		for {
			raw, end, esc := StringSpan(b, i)
			name := String(raw, esc)
			if _, dup := m[name]; dup {
				return nil, 0, &RepeatedNameError{Offset: i, Name: name}
			}
			v, end, err := strictValue(b, SkipSpace(b, SkipSpace(b, end)+1)) // past ':'
			if err != nil {
				return nil, 0, err
			}
			m[name] = v
			i = SkipSpace(b, end)
			if b[i] == '}' {
				return m, i + 1, nil
			}
			i = SkipSpace(b, i+1) // past ','
		}
	case '[':
		a := []any{}
		i = SkipSpace(b, i+1)
		if b[i] == ']' {
			return a, i + 1, nil
		}
		for {
			v, end, err := strictValue(b, i)
			if err != nil {
				return nil, 0, err
			}
			a = append(a, v)
			i = SkipSpace(b, end)
			if b[i] == ']' {
				return a, i + 1, nil
			}
			i = SkipSpace(b, i+1) // past ','
		}
	default:
		v, end := Value(b, i)
		return v, end, nil
	}
}
