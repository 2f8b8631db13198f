// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// This file scans the server's responses to list requests (tools/list,
// prompts/list, resources/list, resources/templates/list) so that the
// middleware can drop the items a caller may not see by copying the byte
// ranges of the others, without decoding and re-encoding the result.

// Span is the byte range b[Start:End] of a scanned message.
type Span struct{ Start, End int }

// Response is the envelope of one JSON-RPC message, as [ScanResponse]
// finds it.
type Response struct {
	// Span covers the message object.
	Span
	// ID is the raw id member (a string, a number or null); nil when
	// absent.
	ID []byte
	// Result covers the result member's value; Start is -1 when there is
	// none.
	Result Span
	// Ambiguous is set when readers could disagree on the message: a member
	// name repeats, or differs from jsonrpc, id, result or error only in
	// case. The filter must not guess which member a client reads.
	Ambiguous bool
	// Listed reports that List holds the scan of the result: the message
	// has a result and the list function accepted its id.
	Listed bool
	List   List
}

// ListItem is one element of a list result's array.
type ListItem struct {
	// Span covers the element.
	Span
	// Key is the decoded value of the element's identifying member (name,
	// uri or uriTemplate). It aliases the message unless the value holds
	// escapes.
	Key []byte
	// OK is set when the element is an object whose identifying member
	// occurs once, with no case variant, and is a string of valid UTF-8.
	// Any other element cannot be authorized and is never shown.
	OK bool
}

// List is the list result of one message, as [ScanList] finds it.
type List struct {
	// Found reports that the result holds the list member. Without it
	// there is nothing to filter.
	Found bool
	// Array covers the member's array value; it is empty (Start == End)
	// when the member is null.
	Array Span
	// Items are the array's elements, in order.
	Items []ListItem
	// Scopes cover the values of the result's cacheScope member and of its
	// case variants.
	Scopes []Span
	// Open is the index just past the result object's opening brace:
	// where a cacheScope member can be inserted.
	Open int
	// Ambiguous is set when a result member name repeats or when a member
	// differs from the list member only in case.
	Ambiguous bool
}

// Messages returns the spans of the JSON-RPC messages in b: b itself when
// it is an object, each element when it is an array (a batch response, or
// the go-sdk's JSON answer carrying several messages). ok is false when b
// is not one valid JSON value, or is a value of another kind, or an array
// with an element that is not an object.
func Messages(b []byte, dst []Span) (spans []Span, batch, ok bool) {
	if !jsonscan.Valid(b) {
		return dst, false, false
	}
	i := jsonscan.SkipSpace(b, 0)
	switch b[i] {
	case '{':
		end := len(b)
		for jsonscan.IsSpace(b[end-1]) {
			end--
		}
		return append(dst, Span{i, end}), false, true
	case '[':
		i++
		for n := 0; ; n++ {
			i = jsonscan.SkipSpace(b, i)
			if b[i] == ']' {
				return dst, true, true
			}
			if n > 0 {
				i = jsonscan.SkipSpace(b, i+1) // past ','
			}
			if b[i] != '{' {
				return dst, true, false
			}
			end := skipTrusted(b, i)
			dst = append(dst, Span{i, end})
			i = end
		}
	}
	return dst, false, false
}

// ListFunc tells [ScanResponse] whether a response with the raw id (nil
// when the message has none) answers a list request, and if so which
// member of the result holds the items and which member of an item
// identifies it.
type ListFunc func(id []byte) (member, key string, ok bool)

// ScanResponse reads the envelope of the message object at b[s.Start:
// s.End] and, when it has a result and list accepts its id, the list in
// the result (see [ScanList]; items is reused for its elements). The list
// is read in the same pass when the id precedes the result, as servers
// write it. b must be valid JSON (see [Messages]).
func ScanResponse(b []byte, s Span, list ListFunc, items []ListItem) Response {
	r := Response{Span: s, Result: Span{-1, -1}}
	var (
		ks            keySet
		idSeen, asked bool
	)
	o := object{b: b, i: s.Start + 1}
	for {
		key, v, more, err := o.next()
		if err != nil {
			r.Ambiguous = true
			return r
		}
		if !more {
			break
		}
		if !ks.add(key) || foldsToAny(key, envelopeNames) {
			r.Ambiguous = true
		}
		var end int
		switch string(key) {
		case "id":
			end = skipTrusted(b, v)
			r.ID, idSeen = b[v:end], true
		case "result":
			if idSeen && !r.Ambiguous && b[v] == '{' {
				asked = true
				if member, k, ok := list(r.ID); ok {
					r.List, end = scanList(b, v, member, k, items)
					r.Listed = true
					r.Result = Span{v, end}
					break
				}
			}
			end = skipTrusted(b, v)
			r.Result = Span{v, end}
		default:
			end = skipTrusted(b, v)
		}
		o.i = end
	}
	if r.Result.Start >= 0 && !asked && !r.Ambiguous {
		if member, k, ok := list(r.ID); ok {
			r.List, _ = scanList(b, r.Result.Start, member, k, items)
			r.Listed = true
		}
	}
	if r.Listed && r.Ambiguous {
		r.Listed = false
	}
	return r
}

// ScanList reads the list result at b[s.Start:s.End] (a result member's
// value): the array held by member, each element's identifying member key,
// and the cacheScope members. items is reused for the elements. b must be
// valid JSON.
func ScanList(b []byte, s Span, member, key string, items []ListItem) List {
	l, _ := scanList(b, s.Start, member, key, items)
	return l
}

// scanList is ScanList of the value at b[i]; it also returns the value's
// end.
func scanList(b []byte, i int, member, key string, items []ListItem) (List, int) {
	l := List{Items: items[:0]}
	if b[i] != '{' {
		return l, skipTrusted(b, i)
	}
	l.Open = i + 1
	var ks keySet
	o := object{b: b, i: i + 1}
	for {
		k, v, more, err := o.next()
		if err != nil {
			l.Ambiguous = true
			return l, skipTrusted(b, i)
		}
		if !more {
			return l, o.i
		}
		if !ks.add(k) {
			l.Ambiguous = true
		}
		var end int
		switch {
		case string(k) == member:
			l.Found = true
			switch b[v] {
			case '[':
				l.Items, end = scanItems(b, v, key, l.Items)
				l.Array = Span{v, end}
			case 'n':
				end = v + len("null")
				l.Array = Span{v, v}
			default:
				// Not an array: nothing a client could list, and nothing the
				// filter can vouch for.
				l.Ambiguous = true
				end = skipTrusted(b, v)
			}
		case foldsToAny(k, []string{member}):
			l.Ambiguous = true
			end = skipTrusted(b, v)
		case equalFold(k, "cacheScope", jsonscan.IsASCII(k)):
			end = skipTrusted(b, v)
			l.Scopes = append(l.Scopes, Span{v, end})
		default:
			end = skipTrusted(b, v)
		}
		o.i = end
	}
}

// scanItems reads the elements of the array at b[i] and returns the end
// of the array.
func scanItems(b []byte, i int, key string, items []ListItem) ([]ListItem, int) {
	i++
	for n := 0; ; n++ {
		i = jsonscan.SkipSpace(b, i)
		if b[i] == ']' {
			return items, i + 1
		}
		if n > 0 {
			i = jsonscan.SkipSpace(b, i+1) // past ','
		}
		it := ListItem{Span: Span{Start: i}}
		if b[i] == '{' {
			it.Key, it.OK, it.End = itemKey(b, i, key)
		} else {
			it.End = skipTrusted(b, i)
		}
		items = append(items, it)
		i = it.End
	}
}

// itemKey returns the decoded string value of member key of the object at
// b[i], whether it is present exactly once, without case variants, as a
// string of valid UTF-8, and the end of the object.
func itemKey(b []byte, i int, key string) (val []byte, ok bool, end int) {
	found, bad := false, false
	o := object{b: b, i: i + 1}
	for {
		k, v, more, err := o.next()
		if err != nil {
			return nil, false, skipTrusted(b, i)
		}
		if !more {
			if bad {
				return nil, false, o.i
			}
			return val, found, o.i
		}
		end := skipTrusted(b, v)
		if !bad && equalFold(k, key, jsonscan.IsASCII(k)) {
			// The member itself, a repeat or a case variant: only a single
			// exact string member identifies the item.
			if found || string(k) != key || b[v] != '"' {
				bad = true
			} else {
				raw, _, esc := jsonscan.StringSpan(b, v)
				if esc {
					if raw, ok = jsonscan.Unquote(make([]byte, 0, len(raw)), raw, true); !ok {
						bad = true
					}
				} else if !jsonscan.IsASCII(raw) && !utf8.Valid(raw) {
					bad = true
				}
				val, found = raw, true
			}
		}
		o.i = end
	}
}

// interesting marks the bytes skipTrusted stops at outside strings.
var interesting = func() (t [256]bool) {
	for _, c := range []byte(`"{}[]`) {
		t[c] = true
	}
	return t
}()

// skipTrusted returns the index just past the value at b[i] of valid JSON,
// without checking it.
func skipTrusted(b []byte, i int) int {
	switch b[i] {
	case '"':
		end, _ := jsonscan.SkipString(b, i)
		return end
	case '{', '[':
	default:
		return jsonscan.SkipScalar(b, i)
	}
	depth := 0
	for i < len(b) {
		for i < len(b) && !interesting[b[i]] {
			i++
		}
		if i == len(b) {
			break
		}
		switch b[i] {
		case '"':
			i, _ = jsonscan.SkipString(b, i)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(b)
}
