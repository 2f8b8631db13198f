// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"strconv"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// CheckSize reports an [*Error] with code [CodeInvalidParams] when the JSON
// value raw (arguments that [Decode] has accepted) holds more than
// maxValues values or nests deeper than maxDepth; what names the member in
// the error. Every object, array, string, number and literal counts as one
// value, and raw itself is at depth 1. It stops at the first limit crossed,
// so its cost is bounded by the limits, not by the size of raw.
func CheckSize(raw []byte, maxValues, maxDepth int, what string) error {
	values, depth := 0, 0
	for i := 0; i < len(raw); {
		switch c := raw[i]; c {
		case '{', '[':
			values++
			depth++
			if depth > maxDepth {
				return invalidParams("invalid params: " + what + " nest deeper than " + strconv.Itoa(maxDepth) + " levels")
			}
			i++
		case '}', ']':
			depth--
			i++
		case '"':
			end, _ := jsonscan.SkipString(raw, i)
			// A string followed by ':' is a member name, not a value.
			if j := jsonscan.SkipSpace(raw, end); j < len(raw) && raw[j] == ':' {
				i = j + 1
				continue
			}
			values++
			i = end
		case ',', ':', ' ', '\t', '\n', '\r':
			i++
		default:
			values++
			i = jsonscan.SkipScalar(raw, i)
		}
		if values > maxValues {
			return invalidParams("invalid params: " + what + " hold more than " + strconv.Itoa(maxValues) + " values")
		}
	}
	return nil
}
