// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package authzen

import (
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth/internal/jsonrpc"
)

// ErrSyntax is wrapped by the parsers' errors for a body that is not one
// JSON object without repeated member names.
var ErrSyntax = errors.New("authzen: body is not a single JSON object without repeated member names")

// decodeBody decodes a body strictly: one object, no repeated member names
// at any depth, no top-level names differing only in case. Numbers are
// [encoding/json.Number] values.
func decodeBody(body []byte) (map[string]any, error) {
	m, err := jsonrpc.DecodeObject(body)
	if err != nil || m == nil {
		return nil, ErrSyntax
	}
	return m, nil
}

// ParseRequest parses an Access Evaluation or Access Evaluations request
// body (sections 6.1 and 7.1). Each subject, action, resource and context
// present must have the right shape; whether the required ones are present
// is checked by [Request.Effective], because an Access Evaluations request
// may leave them to its entries. options must be an object. Unknown members
// are ignored.
func ParseRequest(body []byte) (*Request, error) {
	m, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	r := new(Request)
	if err := parseEvaluation(m, &r.Evaluation, ""); err != nil {
		return nil, err
	}
	if v, ok := m["evaluations"]; ok {
		list, ok := v.([]any)
		if !ok {
			return nil, typeError("evaluations", "an array")
		}
		r.Evaluations = make([]Evaluation, len(list))
		for i, item := range list {
			where := fmt.Sprintf("evaluations[%d]", i)
			o, ok := item.(map[string]any)
			if !ok {
				return nil, typeError(where, "an object")
			}
			if err := parseEvaluation(o, &r.Evaluations[i], where+"."); err != nil {
				return nil, err
			}
		}
	}
	if v, ok := m["options"]; ok {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, typeError("options", "an object")
		}
		r.Options = o
	}
	return r, nil
}

func typeError(where, want string) error {
	return fmt.Errorf("authzen: %s must be %s", where, want)
}

func parseEvaluation(m map[string]any, e *Evaluation, where string) error {
	if v, ok := m["subject"]; ok {
		o, ok := v.(map[string]any)
		if !ok {
			return typeError(where+"subject", "an object")
		}
		s := new(Subject)
		var err error
		if s.Type, err = requiredString(o, "type", where+"subject"); err != nil {
			return err
		}
		if s.ID, err = requiredString(o, "id", where+"subject"); err != nil {
			return err
		}
		if s.Properties, err = optionalObject(o, "properties", where+"subject"); err != nil {
			return err
		}
		e.Subject = s
	}
	if v, ok := m["action"]; ok {
		o, ok := v.(map[string]any)
		if !ok {
			return typeError(where+"action", "an object")
		}
		a := new(Action)
		var err error
		if a.Name, err = requiredString(o, "name", where+"action"); err != nil {
			return err
		}
		if a.Properties, err = optionalObject(o, "properties", where+"action"); err != nil {
			return err
		}
		e.Action = a
	}
	if v, ok := m["resource"]; ok {
		o, ok := v.(map[string]any)
		if !ok {
			return typeError(where+"resource", "an object")
		}
		r := new(Resource)
		var err error
		if r.Type, err = requiredString(o, "type", where+"resource"); err != nil {
			return err
		}
		if r.ID, err = requiredString(o, "id", where+"resource"); err != nil {
			return err
		}
		if r.Properties, err = optionalObject(o, "properties", where+"resource"); err != nil {
			return err
		}
		e.Resource = r
	}
	var err error
	e.Context, err = optionalObject(m, "context", where)
	return err
}

func requiredString(o map[string]any, key, where string) (string, error) {
	v, ok := o[key]
	if !ok {
		return "", fmt.Errorf("%w: %s.%s", ErrMissing, where, key)
	}
	s, ok := v.(string)
	if !ok {
		return "", typeError(where+"."+key, "a string")
	}
	return s, nil
}

// optionalObject returns the object at o[key], nil when absent. where is
// the path of o, ending in "." or empty at the top level.
func optionalObject(o map[string]any, key, where string) (map[string]any, error) {
	v, ok := o[key]
	if !ok {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		if where != "" && where[len(where)-1] != '.' {
			where += "."
		}
		return nil, typeError(where+key, "an object")
	}
	return m, nil
}

// ParseDecision parses an Access Evaluation response (section 6.2): an
// object whose "decision" member is a boolean. The context, when present,
// must be an object.
func ParseDecision(body []byte) (Decision, error) {
	m, err := decodeBody(body)
	if err != nil {
		return Decision{}, err
	}
	return parseDecision(m, "")
}

func parseDecision(m map[string]any, where string) (Decision, error) {
	v, ok := m["decision"]
	if !ok {
		return Decision{}, fmt.Errorf("%w: %sdecision", ErrMissing, where)
	}
	b, ok := v.(bool)
	if !ok {
		return Decision{}, typeError(where+"decision", "a boolean")
	}
	ctx, err := optionalObject(m, "context", where)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Decision: b, Context: ctx}, nil
}

// ParseEvaluations parses an Access Evaluations response (section 7.2): an
// object whose "evaluations" member is an array of decisions. A top-level
// "decision" is ignored, as the specification allows.
func ParseEvaluations(body []byte) ([]Decision, error) {
	m, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	v, ok := m["evaluations"]
	if !ok {
		return nil, fmt.Errorf("%w: evaluations", ErrMissing)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, typeError("evaluations", "an array")
	}
	out := make([]Decision, len(list))
	for i, item := range list {
		where := fmt.Sprintf("evaluations[%d]", i)
		o, ok := item.(map[string]any)
		if !ok {
			return nil, typeError(where, "an object")
		}
		if out[i], err = parseDecision(o, where+"."); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ParseMetadata parses a PDP metadata document (section 9.1):
// policy_decision_point and access_evaluation_endpoint are required strings,
// the other endpoints optional strings, capabilities an optional array of
// strings. Other members are ignored (section 9.2.2). It does not compare
// the identifier with the URL the document came from: see
// [ValidateMetadata].
func ParseMetadata(body []byte) (*Metadata, error) {
	m, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	md := new(Metadata)
	if md.PolicyDecisionPoint, err = requiredString(m, "policy_decision_point", "metadata"); err != nil {
		return nil, err
	}
	if md.AccessEvaluationEndpoint, err = requiredString(m, "access_evaluation_endpoint", "metadata"); err != nil {
		return nil, err
	}
	for key, dst := range map[string]*string{
		"access_evaluations_endpoint": &md.AccessEvaluationsEndpoint,
		"search_subject_endpoint":     &md.SearchSubjectEndpoint,
		"search_action_endpoint":      &md.SearchActionEndpoint,
		"search_resource_endpoint":    &md.SearchResourceEndpoint,
	} {
		if v, ok := m[key]; ok {
			s, ok := v.(string)
			if !ok {
				return nil, typeError("metadata."+key, "a string")
			}
			*dst = s
		}
	}
	if v, ok := m["capabilities"]; ok {
		list, ok := v.([]any)
		if !ok {
			return nil, typeError("metadata.capabilities", "an array of strings")
		}
		for _, c := range list {
			s, ok := c.(string)
			if !ok {
				return nil, typeError("metadata.capabilities", "an array of strings")
			}
			md.Capabilities = append(md.Capabilities, s)
		}
	}
	return md, nil
}

// ValidateMetadata applies section 9.2.3: the metadata's
// policy_decision_point must be identical to pdp, the identifier the
// well-known URL was made from; otherwise the document must not be used.
func ValidateMetadata(md *Metadata, pdp string) error {
	if md.PolicyDecisionPoint != pdp {
		return fmt.Errorf("authzen: metadata names PDP %q, not %q", md.PolicyDecisionPoint, pdp)
	}
	return nil
}
