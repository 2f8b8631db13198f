// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package authzen

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Default endpoint paths of the HTTPS binding (section 10.1, table
// "API Endpoint Overview"), appended to the PDP's base URL when its
// metadata does not name the endpoint.
const (
	PathEvaluation  = "/access/v1/evaluation"
	PathEvaluations = "/access/v1/evaluations"
)

// WellKnownPath is the well-known URI suffix of PDP metadata (section 9.2).
const WellKnownPath = "/.well-known/authzen-configuration"

// HeaderRequestID is the request identifier header (section 10.1.3): a PDP
// must echo the value a PEP sends.
const HeaderRequestID = "X-Request-ID"

// Values of options.evaluations_semantic (section 7.1.2.1).
const (
	// ExecuteAll evaluates every entry and returns every decision, in
	// order. It is the default.
	ExecuteAll = "execute_all"
	// DenyOnFirstDeny stops at the first deny, which is the last decision
	// returned.
	DenyOnFirstDeny = "deny_on_first_deny"
	// PermitOnFirstPermit stops at the first permit, which is the last
	// decision returned.
	PermitOnFirstPermit = "permit_on_first_permit"
)

// Subject is the principal of a request (section 5.1). Type and ID are
// required.
type Subject struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Resource is the target of a request (section 5.2). Type and ID are
// required.
type Resource struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Action is what the subject wants to do (section 5.3). Name is required.
type Action struct {
	Name       string         `json:"name"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Evaluation is one Access Evaluation request (section 6.1): subject,
// action and resource are required, context is optional. As an entry of an
// Access Evaluations request, any member may be left to the request's
// defaults.
type Evaluation struct {
	Subject  *Subject       `json:"subject,omitempty"`
	Action   *Action        `json:"action,omitempty"`
	Resource *Resource      `json:"resource,omitempty"`
	Context  map[string]any `json:"context,omitempty"`
}

// Request is an Access Evaluation request or, with Evaluations, an Access
// Evaluations request (section 7.1), whose top-level members are the
// defaults of its entries.
type Request struct {
	Evaluation
	Evaluations []Evaluation   `json:"evaluations,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
}

// Decision is the answer to one evaluation (section 5.5).
type Decision struct {
	Decision bool           `json:"decision"`
	Context  map[string]any `json:"context,omitempty"`
}

// EvaluationsResponse is the answer to an Access Evaluations request
// (section 7.2): one decision per entry evaluated, in request order.
type EvaluationsResponse struct {
	Evaluations []Decision `json:"evaluations"`
}

// Metadata is a PDP's metadata document (section 9.1), served at
// [WellKnownPath]. PolicyDecisionPoint and AccessEvaluationEndpoint are
// required; an absent endpoint means the PDP does not offer that API.
type Metadata struct {
	PolicyDecisionPoint       string   `json:"policy_decision_point"`
	AccessEvaluationEndpoint  string   `json:"access_evaluation_endpoint"`
	AccessEvaluationsEndpoint string   `json:"access_evaluations_endpoint,omitempty"`
	SearchSubjectEndpoint     string   `json:"search_subject_endpoint,omitempty"`
	SearchActionEndpoint      string   `json:"search_action_endpoint,omitempty"`
	SearchResourceEndpoint    string   `json:"search_resource_endpoint,omitempty"`
	Capabilities              []string `json:"capabilities,omitempty"`
}

// Semantic returns options.evaluations_semantic, [ExecuteAll] when absent.
// It returns an error for a value that is not a string or not one of the
// three the specification defines.
func (r *Request) Semantic() (string, error) {
	v, ok := r.Options["evaluations_semantic"]
	if !ok {
		return ExecuteAll, nil
	}
	s, _ := v.(string)
	switch s {
	case ExecuteAll, DenyOnFirstDeny, PermitOnFirstPermit:
		return s, nil
	}
	return "", fmt.Errorf("options.evaluations_semantic: unknown value %v", v)
}

// Effective returns the evaluations r asks for, with the defaults of
// section 7.1.1 applied: one for a request without entries, else one per
// entry. Each must end up with a subject, an action and a resource; the
// error names the first that does not. The returned evaluations share maps
// with r.
func (r *Request) Effective() ([]Evaluation, error) {
	if len(r.Evaluations) == 0 {
		if err := r.Evaluation.complete(""); err != nil {
			return nil, err
		}
		return []Evaluation{r.Evaluation}, nil
	}
	out := make([]Evaluation, len(r.Evaluations))
	for i, e := range r.Evaluations {
		if e.Subject == nil {
			e.Subject = r.Subject
		}
		if e.Action == nil {
			e.Action = r.Action
		}
		if e.Resource == nil {
			e.Resource = r.Resource
		}
		if e.Context == nil {
			e.Context = r.Context
		}
		if err := e.complete(fmt.Sprintf("evaluations[%d].", i)); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// ErrMissing is wrapped by the errors of [Request.Effective] and the
// parsers for a required member that is absent.
var ErrMissing = errors.New("authzen: required member missing")

func (e *Evaluation) complete(where string) error {
	switch {
	case e.Subject == nil:
		return fmt.Errorf("%w: %ssubject", ErrMissing, where)
	case e.Action == nil:
		return fmt.Errorf("%w: %saction", ErrMissing, where)
	case e.Resource == nil:
		return fmt.Errorf("%w: %sresource", ErrMissing, where)
	}
	return nil
}

// WellKnownURL returns the URL of the metadata of the PDP whose identifier
// is pdp: the well-known suffix is inserted between the host and the path
// (section 9.2), so "https://pdp.example.com/tenant1" gives
// "https://pdp.example.com/.well-known/authzen-configuration/tenant1".
func WellKnownURL(pdp string) (string, error) {
	u, err := url.Parse(pdp)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", errors.New("authzen: PDP identifier is not an absolute URL")
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + WellKnownPath + path, nil
}
