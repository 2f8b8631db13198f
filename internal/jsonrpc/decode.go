// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// JSON-RPC error codes carried by [Error], from the one list in
// internal/mcpspec.
const (
	CodeParseError     = mcpspec.CodeParseError
	CodeInvalidRequest = mcpspec.CodeInvalidRequest
	CodeInvalidParams  = mcpspec.CodeInvalidParams
)

// Error is a decode failure with its JSON-RPC code: [CodeParseError] for
// bytes that are not JSON (or not one JSON value), [CodeInvalidRequest] for
// JSON that is not an acceptable JSON-RPC message (duplicate or case-variant
// member names, wrong member types, jsonrpc other than "2.0", an empty
// batch, ...), and [CodeInvalidParams] for params a method cannot take.
type Error struct {
	// Code is the JSON-RPC error code.
	Code int
	// Message says what is wrong. It names no internals and never quotes
	// the body, so it is safe to show to clients.
	Message string
}

// Error implements error.
func (e *Error) Error() string { return "mcpauth: " + e.Message }

// Is reports whether target is an *Error with the same code, so
// errors.Is(err, &Error{Code: CodeParseError}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Code == e.Code
}

func parseError(msg string) *Error     { return &Error{Code: CodeParseError, Message: msg} }
func invalidRequest(msg string) *Error { return &Error{Code: CodeInvalidRequest, Message: msg} }
func invalidParams(msg string) *Error  { return &Error{Code: CodeInvalidParams, Message: msg} }

func errDuplicate() *Error {
	return invalidRequest("invalid request: duplicate member name")
}

func errCaseVariant() *Error {
	return invalidRequest("invalid request: member name differs from a JSON-RPC or MCP member only in case")
}

// Message is one decoded JSON-RPC message. Its byte slices alias the body
// passed to [Decode]; the body must not be modified while they are in use.
type Message struct {
	// Raw is this message's bytes: the whole body for a single message, the
	// element's bytes for a batch element.
	Raw []byte
	// ID is the raw id member; nil when it is absent or null. The go-sdk
	// treats a request with a null id as a notification, and so does Decode.
	ID json.RawMessage
	// Method is the method member, decoded; HasMethod reports whether the
	// member was present.
	Method    string
	HasMethod bool
	// IsResponse is set for a message with result or error and no method:
	// a client's answer to a request the server sent.
	IsResponse bool
	// Params is the raw params member (an object or an array); nil when
	// absent.
	Params json.RawMessage

	// The members below are extracted when params is an object.

	// Name and URI are params.name and params.uri, decoded; HasName and
	// HasURI report whether they were present.
	Name, URI       string
	HasName, HasURI bool
	// Arguments is the raw params.arguments (an object or null); nil when
	// absent. Decode it with [DecodeObject].
	Arguments json.RawMessage
	// Ref is the raw params.ref (an object); nil when absent. Decode it with
	// [DecodeRef].
	Ref json.RawMessage
}

// bom is the UTF-8 encoding of U+FEFF, the byte order mark.
var bom = []byte{0xEF, 0xBB, 0xBF}

// Member names whose case variants are refused, per object level.
var (
	envelopeNames = []string{"jsonrpc", "id", "method", "params", "result", "error"}
	paramNames    = []string{"name", "uri", "arguments", "ref"}
	refNames      = []string{"type", "name", "uri"}
)

// Decode decodes one HTTP POST body. A top-level array is a batch: batch is
// true and there is one Message per element. Any failure is an [*Error];
// see the package documentation for the rules.
func Decode(body []byte) (msgs []Message, batch bool, err error) {
	if bytes.HasPrefix(body, bom) {
		return nil, false, parseError("parse error: body starts with a UTF-8 byte order mark")
	}
	if !jsonscan.Valid(body) {
		return nil, false, parseError("parse error: body is not a single JSON value")
	}
	i := jsonscan.SkipSpace(body, 0)
	switch body[i] {
	case '{':
		msgs = make([]Message, 1)
		if _, err := decodeMessage(body, i, 1, &msgs[0]); err != nil {
			return nil, false, err
		}
		msgs[0].Raw = body
		return msgs, false, nil
	case '[':
		msgs, err = decodeBatch(body, i)
		if err != nil {
			return nil, true, err
		}
		return msgs, true, nil
	default:
		return nil, false, invalidRequest("invalid request: body must be a JSON object or an array of objects")
	}
}

// decodeBatch decodes the array opening at b[i].
func decodeBatch(b []byte, i int) ([]Message, error) {
	var msgs []Message
	i++
	for n := 0; ; n++ {
		i = jsonscan.SkipSpace(b, i)
		if b[i] == ']' {
			break
		}
		if n > 0 {
			i = jsonscan.SkipSpace(b, i+1)
		}
		if b[i] != '{' {
			return nil, invalidRequest("invalid request: batch element is not an object")
		}
		msgs = append(msgs, Message{})
		m := &msgs[len(msgs)-1]
		end, err := decodeMessage(b, i, 2, m)
		if err != nil {
			return nil, err
		}
		m.Raw = b[i:end]
		i = end
	}
	if len(msgs) == 0 {
		return nil, invalidRequest("invalid request: empty batch")
	}
	return msgs, nil
}

// object iterates over the members of an object.
type object struct {
	b []byte
	i int // after '{', then after the last value
	n int // members read
}

// next reads the next member name. It returns the decoded name and the
// index of its value, or more=false at the closing brace (o.i is then just
// past it). The caller sets o.i to the end of the value before calling next
// again.
func (o *object) next() (key []byte, val int, more bool, err error) {
	b := o.b
	i := jsonscan.SkipSpace(b, o.i)
	if b[i] == '}' {
		o.i = i + 1
		return nil, 0, false, nil
	}
	if o.n > 0 {
		i = jsonscan.SkipSpace(b, i+1) // past ','
	}
	o.n++
	raw, end, esc := jsonscan.StringSpan(b, i)
	key, ok := keyBytes(raw, esc)
	if !ok {
		return nil, 0, false, invalidRequest("invalid request: member name is not valid UTF-8")
	}
	i = jsonscan.SkipSpace(b, end) // at ':'
	return key, jsonscan.SkipSpace(b, i+1), true, nil
}

func errDepth() *Error {
	return invalidRequest("invalid request: nesting exceeds " + strconv.Itoa(maxDepth) + " levels")
}

// skipValue returns the end of the value at b[i], checking every object in
// it for repeated member names. depth is the depth of the value if it is an
// object or an array.
func skipValue(b []byte, i, depth int) (int, error) {
	switch b[i] {
	case '"':
		end, _ := jsonscan.SkipString(b, i)
		return end, nil
	case '{':
		return walkObject(b, i, depth, nil, false)
	case '[':
		return walkArray(b, i, depth)
	default:
		return jsonscan.SkipScalar(b, i), nil
	}
}

// walkObject skips the object at b[i], refusing repeated member names in it
// and (through skipValue) in everything it contains. With fold set, names
// equal under case folding are repeats too; names lists the members whose
// case variants are refused.
func walkObject(b []byte, i, depth int, names []string, fold bool) (int, error) {
	if depth > maxDepth {
		return 0, errDepth()
	}
	ks := keySet{fold: fold}
	o := object{b: b, i: i + 1}
	for {
		key, v, more, err := o.next()
		if err != nil {
			return 0, err
		}
		if !more {
			return o.i, nil
		}
		if !ks.add(key) {
			return 0, errDuplicate()
		}
		if names != nil && foldsToAny(key, names) {
			return 0, errCaseVariant()
		}
		if o.i, err = skipValue(b, v, depth+1); err != nil {
			return 0, err
		}
	}
}

// walkArray skips the array at b[i]; see skipValue.
func walkArray(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, errDepth()
	}
	i++
	for n := 0; ; n++ {
		i = jsonscan.SkipSpace(b, i)
		if b[i] == ']' {
			return i + 1, nil
		}
		if n > 0 {
			i = jsonscan.SkipSpace(b, i+1)
		}
		var err error
		if i, err = skipValue(b, i, depth+1); err != nil {
			return 0, err
		}
	}
}

// decodeMessage decodes the object at b[i] into m and returns its end.
func decodeMessage(b []byte, i, depth int, m *Message) (int, error) {
	if depth > maxDepth {
		return 0, errDepth()
	}
	var (
		ks                            keySet
		version, idNull, paramsObject bool
		hasResult, hasError           bool
	)
	o := object{b: b, i: i + 1}
	for {
		key, v, more, err := o.next()
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
		if !ks.add(key) {
			return 0, errDuplicate()
		}
		var end int
		switch string(key) {
		case "jsonrpc":
			if b[v] != '"' {
				return 0, invalidRequest(`invalid request: "jsonrpc" must be "2.0"`)
			}
			var raw []byte
			var esc bool
			raw, end, esc = jsonscan.StringSpan(b, v)
			ok := true
			if esc {
				var buf [16]byte
				raw, ok = jsonscan.Unquote(buf[:0], raw, true)
			}
			if !ok || string(raw) != "2.0" {
				return 0, invalidRequest(`invalid request: "jsonrpc" must be "2.0"`)
			}
			version = true
		case "id":
			switch c := b[v]; {
			case c == '"':
				end, _ = jsonscan.SkipString(b, v)
				m.ID = b[v:end]
			case c == 'n':
				end = v + len("null")
				idNull = true
			case c == '-' || '0' <= c && c <= '9':
				end = jsonscan.SkipScalar(b, v)
				if !validNumberID(b[v:end]) {
					return 0, invalidRequest(`invalid request: "id" is out of range`)
				}
				m.ID = b[v:end]
			default:
				return 0, invalidRequest(`invalid request: "id" must be a string, a number or null`)
			}
		case "method":
			if b[v] != '"' {
				return 0, invalidRequest(`invalid request: "method" must be a string`)
			}
			raw, e, esc := jsonscan.StringSpan(b, v)
			s, ok := methodString(raw, esc)
			if !ok {
				return 0, invalidRequest(`invalid request: "method" is not valid UTF-8`)
			}
			m.Method, m.HasMethod, end = s, true, e
		case "params":
			switch b[v] {
			case '{':
				end, err = decodeParams(b, v, depth+1, m)
				paramsObject = true
			case '[':
				end, err = walkArray(b, v, depth+1)
			default:
				return 0, invalidRequest(`invalid request: "params" must be an object or an array`)
			}
			if err != nil {
				return 0, err
			}
			m.Params = b[v:end]
		case "result":
			end, err = skipValue(b, v, depth+1)
			hasResult = true
		case "error":
			switch b[v] {
			case '{':
				end, err = decodeWireError(b, v, depth+1)
			case 'n':
				end = v + len("null")
			default:
				return 0, invalidRequest(`invalid request: "error" must be an object`)
			}
			hasError = true
		default:
			if foldsToAny(key, envelopeNames) {
				return 0, errCaseVariant()
			}
			end, err = skipValue(b, v, depth+1)
		}
		if err != nil {
			return 0, err
		}
		o.i = end
	}

	if !version {
		return 0, invalidRequest(`invalid request: "jsonrpc" must be "2.0"`)
	}
	if !m.HasMethod {
		if !hasResult && !hasError {
			return 0, invalidRequest(`invalid request: message has no "method", "result" or "error"`)
		}
		if m.ID == nil {
			return 0, invalidRequest(`invalid request: a response needs a string or number "id"`)
		}
		m.IsResponse = true
		return o.i, nil
	}
	if hasResult || hasError {
		return 0, invalidRequest(`invalid request: a request must not have "result" or "error"`)
	}
	if idNull {
		m.ID = nil
	}
	if x, _ := mcpspec.Lookup(m.Method); x.Params {
		if !paramsObject {
			return 0, invalidParams("invalid params: " + m.Method + ` needs "params" to be an object`)
		}
		if m.Method == mcpspec.CompletionComplete && m.Ref != nil {
			if _, _, _, err := DecodeRef(m.Ref); err != nil {
				return 0, err
			}
		}
	}
	return o.i, nil
}

// decodeParams decodes the params object at b[i] into m.
func decodeParams(b []byte, i, depth int, m *Message) (int, error) {
	if depth > maxDepth {
		return 0, errDepth()
	}
	var ks keySet
	o := object{b: b, i: i + 1}
	for {
		key, v, more, err := o.next()
		if err != nil {
			return 0, err
		}
		if !more {
			return o.i, nil
		}
		if !ks.add(key) {
			return 0, errDuplicate()
		}
		var end int
		switch string(key) {
		case "name":
			m.Name, end, err = paramString(b, v, `"params.name"`)
			m.HasName = true
		case "uri":
			m.URI, end, err = paramString(b, v, `"params.uri"`)
			m.HasURI = true
		case "arguments":
			switch b[v] {
			case '{':
				end, err = walkObject(b, v, depth+1, nil, true)
			case 'n':
				end = v + len("null")
			default:
				return 0, invalidParams(`invalid params: "params.arguments" must be an object`)
			}
			if err != nil {
				return 0, err
			}
			m.Arguments = b[v:end]
		case "ref":
			if b[v] != '{' {
				return 0, invalidParams(`invalid params: "params.ref" must be an object`)
			}
			if end, err = walkObject(b, v, depth+1, refNames, false); err != nil {
				return 0, err
			}
			m.Ref = b[v:end]
		default:
			if foldsToAny(key, paramNames) {
				return 0, errCaseVariant()
			}
			end, err = skipValue(b, v, depth+1)
		}
		if err != nil {
			return 0, err
		}
		o.i = end
	}
}

// paramString decodes the string value at b[i] strictly; what names the
// member for the error.
func paramString(b []byte, i int, what string) (string, int, error) {
	if b[i] != '"' {
		return "", 0, invalidParams("invalid params: " + what + " must be a string")
	}
	raw, end, esc := jsonscan.StringSpan(b, i)
	s, ok := strictString(raw, esc)
	if !ok {
		return "", 0, invalidParams("invalid params: " + what + " is not valid UTF-8")
	}
	return s, end, nil
}

// decodeWireError checks the error object of a response at b[i]: the go-sdk
// decodes it into {code int64, message string, data any} and refuses the
// whole message when that fails.
func decodeWireError(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, errDepth()
	}
	var ks keySet
	o := object{b: b, i: i + 1}
	for {
		key, v, more, err := o.next()
		if err != nil {
			return 0, err
		}
		if !more {
			return o.i, nil
		}
		if !ks.add(key) {
			return 0, errDuplicate()
		}
		var end int
		switch string(key) {
		case "code":
			end = jsonscan.SkipScalar(b, v)
			if b[v] != 'n' && !validInt64(b[v:end]) {
				return 0, invalidRequest(`invalid request: "error.code" must be an integer`)
			}
		case "message":
			if b[v] != '"' && b[v] != 'n' {
				return 0, invalidRequest(`invalid request: "error.message" must be a string`)
			}
			end = jsonscan.SkipScalar(b, v)
			if b[v] == '"' {
				end, _ = jsonscan.SkipString(b, v)
			}
		default:
			end, err = skipValue(b, v, depth+1)
		}
		if err != nil {
			return 0, err
		}
		o.i = end
	}
}

// validNumberID reports whether the JSON number n decodes to a finite
// float64, as the go-sdk requires of a numeric id.
func validNumberID(n []byte) bool {
	if len(n) <= 15 && isDigits(n) {
		return true // at most 15 digits: always exact in a float64
	}
	_, err := strconv.ParseFloat(string(n), 64)
	return err == nil
}

// validInt64 reports whether the JSON value n is an integer that fits int64.
func validInt64(n []byte) bool {
	if len(n) <= 18 && isDigits(n) {
		return true
	}
	_, err := strconv.ParseInt(string(n), 10, 64)
	return err == nil
}

// isDigits reports whether n is an optional minus sign followed by decimal
// digits only.
func isDigits(n []byte) bool {
	if len(n) > 0 && n[0] == '-' {
		n = n[1:]
	}
	if len(n) == 0 {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// methodString decodes the method name strictly, returning the package's
// constant for the MCP methods so the common case does not allocate.
func methodString(raw []byte, esc bool) (string, bool) {
	if !esc {
		if m, ok := mcpspec.LookupBytes(raw); ok {
			return m.Name, true
		}
	}
	return strictString(raw, esc)
}
