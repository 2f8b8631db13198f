// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package hcvault

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// segmentPrefix starts every encoded key segment, so that the empty key still
// has a non-empty path segment.
const segmentPrefix = "k"

// encodeKey maps any key to one path segment: "k" followed by the unpadded
// base64url encoding of the key's bytes. The alphabet is [A-Za-z0-9_-], so
// the segment never contains '/' (no sub-paths) or '.' (no "..").
func encodeKey(key string) string {
	return segmentPrefix + base64.RawURLEncoding.EncodeToString([]byte(key))
}

// decodeKey reverses encodeKey. It reports false for segments encodeKey
// cannot have produced (foreign entries under the prefix).
func decodeKey(segment string) (string, bool) {
	rest, ok := strings.CutPrefix(segment, segmentPrefix)
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	// The decoder skips '\r' and '\n'; only the canonical form is ours.
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != rest {
		return "", false
	}
	return string(b), true
}

// Field names of the record kept in a KV v2 secret's data map.
const (
	fieldValue     = "v"    // the value: standard base64, split into chunks
	fieldLength    = "n"    // the value's length in bytes
	fieldExpiry    = "exp"  // expiry in Unix nanoseconds as a decimal string, "0" = never
	fieldTombstone = "tomb" // true on the marker a Take or a sweep writes
)

// chunkSize is the most base64 characters one JSON string of a record
// holds. Vault refuses JSON strings longer than 1 MiB by default (listener
// option max_json_string_value_length), so longer values are split. It is a
// multiple of 4, so every chunk but the last is whole base64 quanta.
const chunkSize = 512 << 10

// record is the decoded form of a KV v2 data map written by this package.
type record struct {
	value     []byte
	expiry    int64 // Unix nanoseconds; 0 means no expiry
	tombstone bool
}

// expired reports whether r has an expiry at or before now.
func (r record) expired(now time.Time) bool {
	return r.expiry != 0 && now.UnixNano() >= r.expiry
}

// encodeRecord builds the KV v2 data map for value. The expiry is a string
// because Vault's KV v2 engine passes JSON numbers through float64, which
// would round Unix nanoseconds.
func encodeRecord(value []byte, expiry int64) map[string]any {
	enc := base64.StdEncoding.EncodeToString(value)
	chunks := make([]string, 0, len(enc)/chunkSize+1)
	for len(enc) > chunkSize {
		chunks = append(chunks, enc[:chunkSize])
		enc = enc[chunkSize:]
	}
	chunks = append(chunks, enc)
	return map[string]any{
		fieldValue:  chunks,
		fieldLength: len(value),
		fieldExpiry: strconv.FormatInt(expiry, 10),
	}
}

// tombstoneRecord is the data map that marks a key as taken.
func tombstoneRecord() map[string]any {
	return map[string]any{fieldTombstone: true}
}

// decodeRecord parses a KV v2 data map. Anything that is not exactly a
// tombstone or a complete record (value, matching length, expiry) is an
// error: a record written by something else, or cut short, is never
// returned as a value.
func decodeRecord(data map[string]any) (record, error) {
	if t, ok := data[fieldTombstone]; ok {
		if b, isBool := t.(bool); !isBool || !b || len(data) != 1 {
			return record{}, fmt.Errorf("bad tombstone")
		}
		return record{tombstone: true}, nil
	}
	if len(data) != 3 {
		return record{}, fmt.Errorf("got %d fields, want 3", len(data))
	}
	enc, err := joinChunks(data[fieldValue])
	if err != nil {
		return record{}, fmt.Errorf("field %q: %w", fieldValue, err)
	}
	value, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil {
		return record{}, fmt.Errorf("field %q is not base64", fieldValue)
	}
	n, err := integer(data[fieldLength])
	if err != nil {
		return record{}, fmt.Errorf("field %q: %w", fieldLength, err)
	}
	if n != int64(len(value)) {
		return record{}, fmt.Errorf("value has %d bytes, record says %d", len(value), n)
	}
	es, ok := data[fieldExpiry].(string)
	if !ok {
		return record{}, fmt.Errorf("field %q is %T, want string", fieldExpiry, data[fieldExpiry])
	}
	exp, err := strconv.ParseInt(es, 10, 64)
	if err != nil || exp < 0 || strconv.FormatInt(exp, 10) != es {
		return record{}, fmt.Errorf("field %q is not a non-negative decimal integer", fieldExpiry)
	}
	if value == nil {
		value = []byte{}
	}
	return record{value: value, expiry: exp}, nil
}

// joinChunks concatenates the chunks of a record's value: a non-empty JSON
// array of strings, every one but the last exactly chunkSize long.
func joinChunks(v any) (string, error) {
	list, ok := v.([]any)
	if !ok {
		return "", fmt.Errorf("is %T, want an array of strings", v)
	}
	if len(list) == 0 {
		return "", fmt.Errorf("has no chunks")
	}
	var b strings.Builder
	for i, c := range list {
		s, ok := c.(string)
		if !ok {
			return "", fmt.Errorf("chunk %d is %T, want string", i, c)
		}
		if i < len(list)-1 && len(s) != chunkSize {
			return "", fmt.Errorf("chunk %d has %d characters, want %d", i, len(s), chunkSize)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// integer reads a JSON integer as decoded by the api client (json.Number,
// since it decodes with UseNumber) or by encoding/json defaults (float64,
// accepted only when exact).
func integer(v any) (int64, error) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return 0, fmt.Errorf("not an integer")
		}
		return i, nil
	case float64:
		if n != math.Trunc(n) || n < -(1<<53) || n > 1<<53 {
			return 0, fmt.Errorf("not an exact integer")
		}
		return int64(n), nil
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	default:
		return 0, fmt.Errorf("is %T, want integer", v)
	}
}
