// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// number is a numeric value kept exact when it is an integer: integers are
// compared as int64, anything else as float64.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

// compare returns -1, 0 or +1.
func (n number) compare(m number) int {
	if n.isInt && m.isInt {
		switch {
		case n.i < m.i:
			return -1
		case n.i > m.i:
			return 1
		}
		return 0
	}
	a, b := n.float(), m.float()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseNumber parses a JSON number literal.
func parseNumber(s string) (number, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{i: i, isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return number{}, false
	}
	return number{f: f}, true
}

// toNumber converts an attribute value to a number. Only Go numeric types
// and json.Number are numbers: a string holding digits is not.
func toNumber(v any) (number, bool) {
	switch x := v.(type) {
	case json.Number:
		return parseNumber(string(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return number{}, false
		}
		return number{f: x}, true
	case float32:
		return toNumber(float64(x))
	case int:
		return number{i: int64(x), isInt: true}, true
	case int64:
		return number{i: x, isInt: true}, true
	case int32:
		return number{i: int64(x), isInt: true}, true
	case int16:
		return number{i: int64(x), isInt: true}, true
	case int8:
		return number{i: int64(x), isInt: true}, true
	case uint:
		return fromUint(uint64(x)), true
	case uint64:
		return fromUint(x), true
	case uint32:
		return number{i: int64(x), isInt: true}, true
	case uint16:
		return number{i: int64(x), isInt: true}, true
	case uint8:
		return number{i: int64(x), isInt: true}, true
	}
	return number{}, false
}

func fromUint(u uint64) number {
	if u > math.MaxInt64 {
		return number{f: float64(u)}
	}
	return number{i: int64(u), isInt: true}
}

// scalarKind is the type of a scalar policy value.
type scalarKind uint8

const (
	kindString scalarKind = iota + 1
	kindNumber
	kindBool
)

func (k scalarKind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	default:
		return "bool"
	}
}

// scalar is a string, number or boolean value from the policy.
type scalar struct {
	kind scalarKind
	s    string
	n    number
	b    bool
}

// equals reports whether the attribute value v equals s. Values of
// different kinds are never equal: "10" does not equal 10, and true does
// not equal 1.
func (s scalar) equals(v any) bool {
	switch s.kind {
	case kindString:
		x, ok := v.(string)
		return ok && x == s.s
	case kindBool:
		x, ok := v.(bool)
		return ok && x == s.b
	default:
		n, ok := toNumber(v)
		return ok && n.compare(s.n) == 0
	}
}

// sameKind reports whether v is a scalar of s's kind.
func (s scalar) sameKind(v any) bool {
	switch s.kind {
	case kindString:
		_, ok := v.(string)
		return ok
	case kindBool:
		_, ok := v.(bool)
		return ok
	default:
		_, ok := toNumber(v)
		return ok
	}
}

// render writes s as JSON for explanations.
func (s scalar) render(b *strings.Builder) {
	switch s.kind {
	case kindString:
		b.WriteString(strconv.Quote(s.s))
	case kindBool:
		b.WriteString(strconv.FormatBool(s.b))
	default:
		if s.n.isInt {
			b.WriteString(strconv.FormatInt(s.n.i, 10))
		} else {
			b.WriteString(strconv.FormatFloat(s.n.f, 'g', -1, 64))
		}
	}
}

// eachElem calls fn for each element of v while fn returns true. It
// reports false when v is not a slice or array.
func eachElem(v any, fn func(e any) bool) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if !fn(e) {
				break
			}
		}
		return true
	case []string:
		for _, e := range x {
			if !fn(e) {
				break
			}
		}
		return true
	case nil, string, json.Number, bool, float64, map[string]any:
		return false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return false
	}
	for i := range rv.Len() {
		if !fn(rv.Index(i).Interface()) {
			break
		}
	}
	return true
}

// describeValue renders an attribute value for explanations.
func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case json.Number:
		return string(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "(unprintable)"
	}
	return string(b)
}
