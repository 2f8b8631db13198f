// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import "github.com/mcpauth/mcpauth/internal/jsonscan"

// The policy file is checked and walked with internal/jsonscan, the scanner
// the middleware's JSON-RPC decoder uses, rather than decoded with
// encoding/json, so that every value keeps its byte offset (for
// "file:line:col" errors), duplicate object keys are seen instead of
// silently collapsing, and numbers stay exact literals. jsonscan decodes
// strings exactly as encoding/json does.

// maxDepth bounds the nesting of a policy document.
const maxDepth = 256

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// String names the kind the way error messages do.
func (k jsonKind) String() string {
	switch k {
	case jsonNull:
		return "null"
	case jsonBool:
		return "a boolean"
	case jsonNumber:
		return "a number"
	case jsonString:
		return "a string"
	case jsonArray:
		return "an array"
	default:
		return "an object"
	}
}

// node is one parsed JSON value and the byte offset where it starts.
type node struct {
	kind    jsonKind
	off     int
	str     string // string value, or the literal of a number
	boolean bool
	elems   []*node
	members []member
}

// member is one key/value pair of an object, in document order.
type member struct {
	key    string
	keyOff int
	val    *node
}

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// parseJSON parses one JSON document.
func parseJSON(src []byte) (*node, error) {
	start := 0
	// Tolerate a UTF-8 byte order mark, which some editors write.
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		start = 3
	}
	if err := jsonscan.Check(src[start:], maxDepth); err != nil {
		se := err.(*jsonscan.SyntaxError)
		return nil, &syntaxError{off: start + se.Offset, msg: se.Msg}
	}
	n, _ := build(src, jsonscan.SkipSpace(src, start))
	return n, nil
}

// build makes the node of the value at src[i], in bytes jsonscan has
// checked, and returns the index just past the value.
func build(src []byte, i int) (*node, int) {
	switch src[i] {
	case '{':
		n := &node{kind: jsonObject, off: i}
		end := jsonscan.Members(src, i, func(name, value int) int {
			raw, _, esc := jsonscan.StringSpan(src, name)
			v, end := build(src, value)
			n.members = append(n.members, member{key: jsonscan.String(raw, esc), keyOff: name, val: v})
			return end
		})
		return n, end
	case '[':
		n := &node{kind: jsonArray, off: i}
		end := jsonscan.Elements(src, i, func(value int) int {
			v, end := build(src, value)
			n.elems = append(n.elems, v)
			return end
		})
		return n, end
	case '"':
		raw, end, esc := jsonscan.StringSpan(src, i)
		return &node{kind: jsonString, off: i, str: jsonscan.String(raw, esc)}, end
	case 't':
		return &node{kind: jsonBool, off: i, boolean: true}, i + len("true")
	case 'f':
		return &node{kind: jsonBool, off: i}, i + len("false")
	case 'n':
		return &node{kind: jsonNull, off: i}, i + len("null")
	default:
		end := jsonscan.SkipScalar(src, i)
		return &node{kind: jsonNumber, off: i, str: string(src[i:end])}, end
	}
}

// lineCol converts a byte offset into a 1-based line and byte column.
func lineCol(src []byte, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line, lineStart := 1, 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return line, off - lineStart + 1
}
