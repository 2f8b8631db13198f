// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavaulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"
)

// The request schemas below transcribe the Vault OpenAPI specification the
// Pangea Python SDK tests against (pangeacyber/pangea-python,
// packages/pangea-sdk/tests/testdata/specs/vault.openapi.json); each names
// the path and component it comes from.

// Validation error codes: members of the spec's
// pangea-validation-errors.result.errors[].code enum.
const (
	codeFieldRequired       = "FieldRequired"
	codeInvalidString       = "InvalidString"
	codeInvalidInteger      = "InvalidInteger"
	codeInvalidBool         = "InvalidBool"
	codeInvalidObject       = "InvalidObject"
	codeInvalidArray        = "InvalidArray"
	codeInvalidNull         = "InvalidNull"
	codeDoesNotMatchPattern = "DoesNotMatchPattern"
	codeNotEnumMember       = "NotEnumMember"
	codeAboveMaxLength      = "AboveMaxLength"
	codeBelowMinLength      = "BelowMinLength"
	codeIsTooBig            = "IsTooBig"
	codeIsTooSmall          = "IsTooSmall"
	codeUnexpectedProperty  = "UnexpectedProperty"
	codeInvalidConst        = "InvalidConst"
	codeBadFormat           = "BadFormat"
	codeBadState            = "BadState"
)

// kind is a JSON type a property must have.
type kind int

const (
	kString          kind = iota
	kInteger              // a JSON number without fraction
	kBool                 //
	kObject               // any object
	kStringMap            // an object of strings (vault-user-metadata)
	kStringArray          // an array of strings (vault-tags)
	kStringOrInteger      // vault-req-multiple-versions-v2
)

// prop is one property of a request schema.
type prop struct {
	name     string
	kind     kind
	required bool
	pattern  *regexp.Regexp
	minLen   int // in characters (code points), as JSON Schema counts; 0: none
	maxLen   int // 0: none
	enum     []string
	max      int // kInteger maximum; 0: none
	min      int // kInteger minimum; applied when hasMin
	hasMin   bool
}

// schema is a request body schema: an object with properties, closed when
// the spec says additionalProperties: false.
type schema struct {
	props  []prop
	closed bool
}

var (
	// vault-req-id and its aliases: ^pvi_[a-z2-7]{32}$.
	idPattern = regexp.MustCompile(`^pvi_[a-z2-7]{32}$`)
	// FolderPattern is the pattern of vault-folder, vault-folder-folder and
	// vault-folder-name: ^[0-9a-zA-Z_\.\-/ ]*$.
	FolderPattern = regexp.MustCompile(`^[0-9a-zA-Z_.\-/ ]*$`)
)

// MaxSecretLength is the maxLength of vault-req-secret, the secret of
// POST /v2/secret/store: 10,240 characters.
const MaxSecretLength = 10240

// MaxSize is vault-list-size's maximum: the largest page get_bulk and list
// return.
const MaxSize = 100

// DefaultSize is vault-list-size's default.
const DefaultSize = 50

// orderBy is vault-list-order-by's enum.
var orderBy = []string{"id", "type", "created_at", "algorithm", "purpose", "expiration", "last_rotated", "next_rotation", "name", "folder", "item_state"}

var (
	// POST /v2/secret/store, the "Secret" branch of its oneOf. The branch
	// does not say additionalProperties: false, so other members pass.
	storeSchema = schema{props: []prop{
		{name: "type", kind: kString},
		{name: "name", kind: kString},
		{name: "folder", kind: kString, pattern: FolderPattern},
		{name: "metadata", kind: kStringMap},
		{name: "tags", kind: kStringArray},
		{name: "disabled_at", kind: kString},
		{name: "encrypting_item_id", kind: kString},
		{name: "secret", kind: kString, required: true, minLen: 1, maxLen: MaxSecretLength},
	}}
	// POST /v2/secret/rotate, the "Secret" branch of its anyOf. Its secret
	// is vault-secret, which has no maxLength; the double applies the
	// store limit anyway (see the package doc).
	rotateSchema = schema{closed: true, props: []prop{
		{name: "id", kind: kString, required: true, pattern: idPattern},
		{name: "rotation_state", kind: kString, enum: []string{"deactivated", "suspended", "destroyed"}},
		{name: "secret", kind: kString, required: true, maxLen: MaxSecretLength},
	}}
	// POST /v2/get.
	getSchema = schema{closed: true, props: []prop{
		{name: "id", kind: kString, required: true, pattern: idPattern},
		{name: "version", kind: kStringOrInteger},
	}}
	// POST /v2/get_bulk.
	getBulkSchema = schema{closed: true, props: []prop{
		{name: "filter", kind: kObject},
		{name: "version", kind: kObject},
		{name: "size", kind: kInteger, max: MaxSize, min: 1, hasMin: true},
		{name: "order", kind: kString, enum: []string{"asc", "desc"}},
		{name: "order_by", kind: kString, enum: orderBy},
		{name: "last", kind: kString},
	}}
	// POST /v2/list.
	listSchema = schema{closed: true, props: []prop{
		{name: "filter", kind: kObject},
		{name: "size", kind: kInteger, max: MaxSize, min: 1, hasMin: true},
		{name: "order", kind: kString, enum: []string{"asc", "desc"}},
		{name: "order_by", kind: kString, enum: orderBy},
		{name: "last", kind: kString},
	}}
	// POST /v2/delete.
	deleteSchema = schema{closed: true, props: []prop{
		{name: "id", kind: kString, required: true, pattern: idPattern},
		{name: "recursive", kind: kBool},
	}}
	// POST /v2/folder/create.
	folderCreateSchema = schema{closed: true, props: []prop{
		{name: "name", kind: kString, required: true, pattern: FolderPattern},
		{name: "folder", kind: kString, required: true, pattern: FolderPattern},
		{name: "metadata", kind: kStringMap},
		{name: "tags", kind: kStringArray},
		{name: "rotation_frequency", kind: kString},
		{name: "rotation_state", kind: kString, enum: []string{"deactivated", "destroyed", "inherited"}},
		{name: "rotation_grace_period", kind: kString},
	}}
)

// invalidPayload is the answer to a body that is not JSON: the status the
// Pangea SDKs know as InvalidPayloadReceived (pangea-javascript's
// request.ts checkResponse), HTTP 400.
func invalidPayload(detail string) *failure {
	return &failure{status: StatusInvalidPayloadReceived, summary: "Invalid payload received: " + detail}
}

// validate checks body against sc and decodes it into v. It reports every
// violation it finds, in the order of the schema's properties, then the
// unexpected properties in sorted order.
func (sc schema) validate(body []byte, v any) *failure {
	if !json.Valid(body) {
		return invalidPayload("the body is not JSON")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return validation(fe(codeInvalidObject, "the body must be a JSON object", "/"))
	}
	var errs []fieldError
	for _, p := range sc.props {
		raw, ok := members[p.name]
		if !ok {
			if p.required {
				errs = append(errs, fe(codeFieldRequired, p.name+" is required", "/"+p.name))
			}
			continue
		}
		errs = append(errs, p.check(raw)...)
	}
	if sc.closed {
		var extra []string
		for name := range members {
			if !slices.ContainsFunc(sc.props, func(p prop) bool { return p.name == name }) {
				extra = append(extra, name)
			}
		}
		slices.Sort(extra)
		for _, name := range extra {
			errs = append(errs, fe(codeUnexpectedProperty, "unexpected property "+name, "/"+name))
		}
	}
	if len(errs) > 0 {
		return validation(errs...)
	}
	if err := json.Unmarshal(body, v); err != nil {
		// The schema admitted a value the Go type cannot hold (a number
		// too large for an int, say).
		return validation(fe(codeInvalidObject, err.Error(), "/"))
	}
	return nil
}

// check validates one property value.
func (p prop) check(raw json.RawMessage) []fieldError {
	src := "/" + p.name
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return []fieldError{fe(codeInvalidNull, p.name+" must not be null", src)}
	}
	switch p.kind {
	case kString:
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return []fieldError{fe(codeInvalidString, p.name+" must be a string", src)}
		}
		return p.checkString(s, src)
	case kInteger:
		var n int64
		if json.Unmarshal(raw, &n) != nil {
			return []fieldError{fe(codeInvalidInteger, p.name+" must be an integer", src)}
		}
		switch {
		case p.max > 0 && n > int64(p.max):
			return []fieldError{fe(codeIsTooBig, fmt.Sprintf("%s must be at most %d", p.name, p.max), src)}
		case p.hasMin && n < int64(p.min):
			return []fieldError{fe(codeIsTooSmall, fmt.Sprintf("%s must be at least %d", p.name, p.min), src)}
		}
	case kBool:
		if string(raw) != "true" && string(raw) != "false" {
			return []fieldError{fe(codeInvalidBool, p.name+" must be a boolean", src)}
		}
	case kObject:
		var m map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
			return []fieldError{fe(codeInvalidObject, p.name+" must be an object", src)}
		}
	case kStringMap:
		var m map[string]string
		if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
			return []fieldError{fe(codeInvalidObject, p.name+" must be an object of strings", src)}
		}
	case kStringArray:
		var a []string
		if raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
			return []fieldError{fe(codeInvalidArray, p.name+" must be an array of strings", src)}
		}
	case kStringOrInteger:
		var s string
		var n int64
		if json.Unmarshal(raw, &s) != nil && json.Unmarshal(raw, &n) != nil {
			return []fieldError{fe(codeInvalidString, p.name+" must be a string or an integer", src)}
		}
	}
	return nil
}

func (p prop) checkString(s, src string) []fieldError {
	var errs []fieldError
	n := utf8.RuneCountInString(s)
	if p.minLen > 0 && n < p.minLen {
		errs = append(errs, fe(codeBelowMinLength, fmt.Sprintf("%s must be at least %d characters", p.name, p.minLen), src))
	}
	if p.maxLen > 0 && n > p.maxLen {
		errs = append(errs, fe(codeAboveMaxLength, fmt.Sprintf("%s must be at most %d characters", p.name, p.maxLen), src))
	}
	if p.pattern != nil && !p.pattern.MatchString(s) {
		errs = append(errs, fe(codeDoesNotMatchPattern, p.name+" does not match "+p.pattern.String(), src))
	}
	if p.enum != nil && !slices.Contains(p.enum, s) {
		errs = append(errs, fe(codeNotEnumMember, fmt.Sprintf("%s must be one of %v", p.name, p.enum), src))
	}
	return errs
}
