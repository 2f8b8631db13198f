// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonscan

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// StdlibMaxDepth is encoding/json's own nesting limit, the one [Valid]
// applies.
const StdlibMaxDepth = 10000

// Valid reports whether b is exactly one JSON value with optional
// whitespace around it. It accepts exactly what json.Valid accepts
// (FuzzValid checks this), including its nesting limit, but runs several
// times faster: it is a plain loop over the bytes with an explicit stack
// instead of the standard library's per-byte state machine. Like json.Valid
// it does not check UTF-8; callers check it where it matters.
func Valid(b []byte) bool {
	_, code := scan(b, StdlibMaxDepth)
	return code == ok
}

// SyntaxError is a JSON syntax error at a byte offset.
type SyntaxError struct {
	// Offset is the byte offset of the error in the input.
	Offset int
	// Msg describes the error; it quotes at most one character of the
	// input.
	Msg string

	code errCode
}

func (e *SyntaxError) Error() string { return e.Msg }

// Is reports whether e is the kind of error target names: [ErrTooDeep] for
// nesting past the limit, [ErrTrailing] for data after the top-level value.
func (e *SyntaxError) Is(target error) bool {
	switch target {
	case ErrTooDeep:
		return e.code == errDepth
	case ErrTrailing:
		return e.code == errTrailing
	}
	return false
}

// Kinds of [*SyntaxError], for errors.Is.
var (
	// ErrTooDeep: objects and arrays nest past the limit.
	ErrTooDeep = errors.New("jsonscan: nested too deeply")
	// ErrTrailing: the top-level value is followed by more than
	// whitespace.
	ErrTrailing = errors.New("jsonscan: data after the top-level value")
)

// Check is [Valid] with a nesting limit of maxDepth objects and arrays (the
// top-level value is at depth 1). On failure it returns a [*SyntaxError]
// saying where and why.
func Check(b []byte, maxDepth int) error {
	off, code := scan(b, maxDepth)
	if code == ok {
		return nil
	}
	return &SyntaxError{Offset: off, Msg: code.message(b, off, maxDepth), code: code}
}

// errCode says why scan failed; the zero value means it did not.
type errCode uint8

const (
	ok errCode = iota
	errEmpty
	errWantValue
	errWantKey
	errWantColon
	errWantObjectNext
	errWantArrayNext
	errTrailing
	errDepth
	errTrue
	errFalse
	errNull
	errUnterminated
	errControl
	errBadString
	errWantDigit
	errLeadingZero
	errWantFraction
	errWantExponent
)

// message describes the error code at b[off] the way the policy parser
// always has.
func (c errCode) message(b []byte, off, maxDepth int) string {
	at := "end of input"
	if off < len(b) {
		r, _ := utf8.DecodeRune(b[off:])
		at = fmt.Sprintf("character %q", r)
	}
	switch c {
	case errEmpty:
		return "empty document"
	case errWantValue:
		return "unexpected " + at + ", want a value"
	case errWantKey:
		return "unexpected " + at + ", want a string object key"
	case errWantColon:
		return "unexpected " + at + ", want ':' after object key"
	case errWantObjectNext:
		return "unexpected " + at + ", want ',' or '}'"
	case errWantArrayNext:
		return "unexpected " + at + ", want ',' or ']'"
	case errTrailing:
		return "unexpected " + at + " after the top-level value"
	case errDepth:
		return fmt.Sprintf("document nested deeper than %d levels", maxDepth)
	case errTrue:
		return "invalid literal, want true"
	case errFalse:
		return "invalid literal, want false"
	case errNull:
		return "invalid literal, want null"
	case errUnterminated:
		return "unterminated string"
	case errControl:
		return fmt.Sprintf("control character %q in string", rune(b[off]))
	case errBadString:
		return "invalid string literal"
	case errWantDigit:
		return "invalid number, want a digit"
	case errLeadingZero:
		return "invalid number, leading zero"
	case errWantFraction:
		return "invalid number, want a digit after '.'"
	default:
		return "invalid number, want a digit in the exponent"
	}
}

// scan checks that b is one JSON value nesting at most maxDepth deep. It
// returns ok, or the offset and code of the first error.
func scan(b []byte, maxDepth int) (int, errCode) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	i := SkipSpace(b, 0)
	if i >= len(b) {
		return i, errEmpty
	}
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return i, errWantValue
		}
		switch c := b[i]; c {
		case '{', '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if len(stack) == maxDepth {
				return i, errDepth // even when empty, as json.Valid counts it
			}
			i = SkipSpace(b, i+1)
			if i < len(b) && b[i] == closer {
				i++
				break // an empty container is a complete value
			}
			stack = append(stack, c)
			if c == '{' {
				var code errCode
				if i, code = validKey(b, i); code != ok {
					return i, code
				}
			}
			continue // the first member's or element's value
		case '"':
			var good bool
			if i, good = validString(b, i); !good {
				return stringError(b, i)
			}
		case 't':
			if !hasLiteral(b, i, "true") {
				return i, errTrue
			}
			i += len("true")
		case 'f':
			if !hasLiteral(b, i, "false") {
				return i, errFalse
			}
			i += len("false")
		case 'n':
			if !hasLiteral(b, i, "null") {
				return i, errNull
			}
			i += len("null")
		default:
			if c != '-' && (c < '0' || c > '9') {
				return i, errWantValue
			}
			var code errCode
			if i, code = validNumber(b, i); code != ok {
				return i, code
			}
		}
		// A value ended at b[i]: close containers until one takes another
		// member or element.
		for {
			i = SkipSpace(b, i)
			if len(stack) == 0 {
				if i == len(b) {
					return i, ok
				}
				return i, errTrailing
			}
			top := stack[len(stack)-1]
			if i < len(b) && b[i] == ',' {
				i = SkipSpace(b, i+1)
				if top == '{' {
					var code errCode
					if i, code = validKey(b, i); code != ok {
						return i, code
					}
				}
				break
			}
			if i < len(b) && ((top == '{' && b[i] == '}') || (top == '[' && b[i] == ']')) {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if top == '{' {
				return i, errWantObjectNext
			}
			return i, errWantArrayNext
		}
	}
}

// validKey checks a member name and its colon at b[i] and returns the index
// of the member's value.
func validKey(b []byte, i int) (int, errCode) {
	if i >= len(b) || b[i] != '"' {
		return i, errWantKey
	}
	end, good := validString(b, i)
	if !good {
		return stringError(b, end)
	}
	i = SkipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, errWantColon
	}
	return SkipSpace(b, i+1), ok
}

// plainByte marks the string bytes that need no attention: not a quote, a
// backslash or a control character.
var plainByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// validString checks the string opening at b[i] and returns the index just
// past it, or, when it is invalid, its start.
func validString(b []byte, i int) (int, bool) {
	start := i
	i++
	for i < len(b) {
		c := b[i]
		if plainByte[c] {
			i++
			continue
		}
		switch c {
		case '"':
			return i + 1, true
		case '\\':
			if i+1 >= len(b) {
				return start, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, good := Hex4(b, i+2); !good {
					return start, false
				}
				i += 6
			default:
				return start, false
			}
		default: // a control character
			return start, false
		}
	}
	return start, false
}

// stringError explains why the string opening at b[start] is invalid: the
// first unescaped control character, else a missing closing quote, else a
// bad escape.
func stringError(b []byte, start int) (int, errCode) {
	for i := start + 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return start, errBadString
		case c == '\\':
			i++
		case c < 0x20:
			return i, errControl
		}
	}
	return start, errUnterminated
}

// validNumber checks the number starting at b[i] (RFC 8259 grammar) and
// returns the index just past it.
func validNumber(b []byte, i int) (int, errCode) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
		if i < len(b) && '0' <= b[i] && b[i] <= '9' {
			return i - 1, errLeadingZero
		}
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return i, errWantDigit
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, errWantFraction
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, errWantExponent
		}
		i = j
	}
	return i, ok
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func hasLiteral(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}
