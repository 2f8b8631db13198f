// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"encoding/json"
	"errors"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// DecodeObject decodes a JSON object (tool or prompt arguments) into a map,
// with numbers as [json.Number]. It refuses repeated member names anywhere in
// the value and top-level names that differ only in case (under Unicode
// simple folding, as encoding/json matches struct fields), so the map holds
// exactly the arguments every decoder sees. Empty input and JSON null give a
// nil map. Any failure is an [*Error] with [CodeInvalidParams].
func DecodeObject(raw json.RawMessage) (map[string]any, error) {
	b := []byte(raw)
	if len(b) == 0 {
		return nil, nil
	}
	if !jsonscan.Valid(b) {
		return nil, invalidParams("invalid params: arguments are not a single JSON value")
	}
	i := jsonscan.SkipSpace(b, 0)
	switch b[i] {
	case 'n':
		return nil, nil
	case '{':
	default:
		return nil, invalidParams("invalid params: arguments must be an object")
	}
	if _, err := walkObject(b, i, 1, nil, true); err != nil {
		return nil, asInvalidParams(err)
	}
	v, _ := jsonscan.Value(b, i)
	return v.(map[string]any), nil
}

// DecodeObjectInto decodes a JSON object as [DecodeObject] does, with the
// same checks, but stores each top-level member in dst under the name that
// name returns for the member's (unescaped) name, instead of building a map
// of its own. name must not retain key. It returns the number of members;
// empty input and JSON null store nothing. It lets a caller that only needs
// renamed members skip a map and a string per member.
func DecodeObjectInto(raw json.RawMessage, dst map[string]any, name func(key []byte) (string, error)) (int, error) {
	b := []byte(raw)
	if len(b) == 0 {
		return 0, nil
	}
	if !jsonscan.Valid(b) {
		return 0, invalidParams("invalid params: arguments are not a single JSON value")
	}
	i := jsonscan.SkipSpace(b, 0)
	switch b[i] {
	case 'n':
		return 0, nil
	case '{':
	default:
		return 0, invalidParams("invalid params: arguments must be an object")
	}
	if _, err := walkObject(b, i, 1, nil, true); err != nil {
		return 0, asInvalidParams(err)
	}
	return fillObject(b, i, dst, name)
}

// ArgumentsInto is [DecodeObjectInto] for m.Arguments without checking them
// again: [Decode] has already validated the whole body and refused
// repeated and case-variant argument names. m must come from Decode.
func (m *Message) ArgumentsInto(dst map[string]any, name func(key []byte) (string, error)) (int, error) {
	b := []byte(m.Arguments)
	if len(b) == 0 || b[0] != '{' {
		return 0, nil // absent or null: Decode allows nothing else
	}
	return fillObject(b, 0, dst, name)
}

// fillObject stores the members of the valid, checked object at b[i] in dst.
func fillObject(b []byte, i int, dst map[string]any, name func(key []byte) (string, error)) (int, error) {
	o := object{b: b, i: i + 1}
	n := 0
	for {
		key, v, more, _ := o.next()
		if !more {
			return n, nil
		}
		k, err := name(key)
		if err != nil {
			return n, err
		}
		var val any
		val, o.i = jsonscan.Value(b, v)
		dst[k] = val
		n++
	}
}

// DecodeRef decodes params.ref of completion/complete the way the go-sdk
// server does: an object whose type is "ref/prompt" (with a name and no uri)
// or "ref/resource" (with a uri and no name). Repeated and case-variant
// member names are refused. Any failure is an [*Error] with
// [CodeInvalidParams].
func DecodeRef(raw json.RawMessage) (typ, name, uri string, err error) {
	b := []byte(raw)
	if !jsonscan.Valid(b) {
		return "", "", "", invalidParams("invalid params: params.ref is not a single JSON value")
	}
	i := jsonscan.SkipSpace(b, 0)
	if b[i] != '{' {
		return "", "", "", invalidParams(`invalid params: "params.ref" must be an object`)
	}
	if _, err := walkObject(b, i, 1, refNames, false); err != nil {
		return "", "", "", asInvalidParams(err)
	}
	o := object{b: b, i: i + 1}
	for {
		key, v, more, err := o.next()
		if err != nil {
			return "", "", "", asInvalidParams(err)
		}
		if !more {
			break
		}
		var end int
		switch string(key) {
		case "type":
			typ, end, err = paramString(b, v, `"params.ref.type"`)
		case "name":
			name, end, err = paramString(b, v, `"params.ref.name"`)
		case "uri":
			uri, end, err = paramString(b, v, `"params.ref.uri"`)
		default:
			end, err = skipValue(b, v, 2)
		}
		if err != nil {
			return "", "", "", asInvalidParams(err)
		}
		o.i = end
	}
	switch {
	case typ == "ref/prompt" && uri == "", typ == "ref/resource" && name == "":
		return typ, name, uri, nil
	case typ == "ref/prompt":
		return "", "", "", invalidParams(`invalid params: a "ref/prompt" reference must not have a uri`)
	case typ == "ref/resource":
		return "", "", "", invalidParams(`invalid params: a "ref/resource" reference must not have a name`)
	default:
		return "", "", "", invalidParams(`invalid params: "params.ref.type" must be "ref/prompt" or "ref/resource"`)
	}
}

// asInvalidParams gives a walker error the code of an argument failure.
func asInvalidParams(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return invalidParams(e.Message)
	}
	return err
}
