// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package permittest

import (
	"encoding/json"
	"fmt"
)

// Check is one authorization query as it travels on the wire (the PDP's
// AuthorizationQuery). It is the body of POST /allowed and one element of
// the body of POST /allowed/bulk.
//
// Absent optional members decode to their zero value (nil maps), members
// sent as {} decode to empty maps, and numbers decode as json.Number.
type Check struct {
	User     User           `json:"user"`
	Action   string         `json:"action"`
	Resource Resource       `json:"resource"`
	Context  map[string]any `json:"context,omitempty"`
	// SDK is the optional "sdk" member some SDKs send.
	SDK string `json:"sdk,omitempty"`
}

// WireCheck is another name for [Check], for code that wants to stress
// that it compares wire payloads.
type WireCheck = Check

// User is the "user" member of a [Check].
type User struct {
	Key string `json:"key"`
	// FirstName is "first_name" (the PDP also accepts "firstName").
	FirstName string `json:"first_name,omitempty"`
	// LastName is "last_name" (the PDP also accepts "lastName").
	LastName   string         `json:"last_name,omitempty"`
	Email      string         `json:"email,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Resource is the "resource" member of a [Check].
type Resource struct {
	Type       string         `json:"type"`
	Key        string         `json:"key,omitempty"`
	Tenant     string         `json:"tenant,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Context    map[string]any `json:"context,omitempty"`
}

// Result is one decision as the PDP answers it (AuthorizationResult). The
// PDP keeps "result" for old SDKs; it always equals Allow.
type Result struct {
	Allow  bool `json:"allow"`
	Result bool `json:"result"`
}

// BulkResult is the answer of POST /allowed/bulk (BulkAuthorizationResult).
type BulkResult struct {
	Allow []Result `json:"allow"`
}

// ValidationError is one entry of a 422 answer, in FastAPI's shape.
type ValidationError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// validator collects pydantic-style validation errors while decoding.
type validator struct {
	errs []ValidationError
}

func (v *validator) fail(loc []any, msg, typ string) {
	v.errs = append(v.errs, ValidationError{Loc: append([]any(nil), loc...), Msg: msg, Type: typ})
}

func at(loc []any, more ...any) []any {
	out := make([]any, 0, len(loc)+len(more))
	return append(append(out, loc...), more...)
}

// str validates a str field. Like pydantic v1, numbers are coerced to their
// text; anything else is an error. present reports whether the member was
// there at all.
func (v *validator) str(obj map[string]any, name string, loc []any, required bool) (s string, present bool) {
	raw, ok := obj[name]
	if !ok || raw == nil {
		if required {
			if ok {
				v.fail(at(loc, name), "none is not an allowed value", "type_error.none.not_allowed")
			} else {
				v.fail(at(loc, name), "field required", "value_error.missing")
			}
		}
		return "", ok
	}
	switch x := raw.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	default:
		v.fail(at(loc, name), "str type expected", "type_error.str")
		return "", true
	}
}

// dict validates an Optional[Dict[str, Any]] field.
func (v *validator) dict(obj map[string]any, name string, loc []any) map[string]any {
	raw, ok := obj[name]
	if !ok || raw == nil {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		v.fail(at(loc, name), "value is not a valid dict", "type_error.dict")
		return nil
	}
	return m
}

// object validates a required sub-model.
func (v *validator) object(obj map[string]any, name string, loc []any) (map[string]any, bool) {
	raw, ok := obj[name]
	if !ok {
		v.fail(at(loc, name), "field required", "value_error.missing")
		return nil, false
	}
	m, ok := raw.(map[string]any)
	if !ok {
		v.fail(at(loc, name), "value is not a valid dict", "type_error.dict")
		return nil, false
	}
	return m, true
}

// aliased reads a field that the PDP accepts under its name or its alias.
func (v *validator) aliased(obj map[string]any, name, alias string, loc []any) string {
	if _, ok := obj[alias]; ok {
		s, _ := v.str(obj, alias, loc, false)
		return s
	}
	s, _ := v.str(obj, name, loc, false)
	return s
}

// check validates one AuthorizationQuery.
func (v *validator) check(raw any, loc []any) Check {
	var c Check
	obj, ok := raw.(map[string]any)
	if !ok {
		v.fail(loc, "value is not a valid dict", "type_error.dict")
		return c
	}
	if u, ok := v.object(obj, "user", loc); ok {
		uloc := at(loc, "user")
		c.User.Key, _ = v.str(u, "key", uloc, true)
		c.User.FirstName = v.aliased(u, "first_name", "firstName", uloc)
		c.User.LastName = v.aliased(u, "last_name", "lastName", uloc)
		c.User.Email, _ = v.str(u, "email", uloc, false)
		c.User.Attributes = v.dict(u, "attributes", uloc)
	}
	c.Action, _ = v.str(obj, "action", loc, true)
	if r, ok := v.object(obj, "resource", loc); ok {
		rloc := at(loc, "resource")
		c.Resource.Type, _ = v.str(r, "type", rloc, true)
		c.Resource.Key, _ = v.str(r, "key", rloc, false)
		c.Resource.Tenant, _ = v.str(r, "tenant", rloc, false)
		c.Resource.Attributes = v.dict(r, "attributes", rloc)
		c.Resource.Context = v.dict(r, "context", rloc)
	}
	c.Context = v.dict(obj, "context", loc)
	c.SDK, _ = v.str(obj, "sdk", loc, false)
	return c
}

// decodeChecks decodes and validates the body of /allowed (bulk=false) or
// /allowed/bulk (bulk=true).
func decodeChecks(body []byte, bulk bool) ([]Check, []ValidationError) {
	var doc any
	if err := decodeJSON(body, &doc); err != nil {
		return nil, []ValidationError{{Loc: []any{"body", 0}, Msg: fmt.Sprintf("invalid JSON: %v", err), Type: "value_error.jsondecode"}}
	}
	var v validator
	var checks []Check
	if bulk {
		list, ok := doc.([]any)
		if !ok {
			return nil, []ValidationError{{Loc: []any{"body"}, Msg: "value is not a valid list", Type: "type_error.list"}}
		}
		checks = make([]Check, 0, len(list))
		for i, item := range list {
			checks = append(checks, v.check(item, []any{"body", i}))
		}
	} else {
		checks = []Check{v.check(doc, []any{"body"})}
	}
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return checks, nil
}
