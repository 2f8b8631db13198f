// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"errors"
	"fmt"
	"sort"

	"github.com/mcpauth/mcpauth/authzen"
)

// Envelope keys (COAZ framework, section "The Mapping").
const (
	envEvaluation  = "evaluation"
	envEvaluations = "evaluations"
)

// compiled is a compiled mapping: its envelope and templates.
type compiled struct {
	batch   bool        // the evaluations envelope
	top     evalNodes   // the request, or the defaults of the entries
	entries []evalNodes // evaluations envelope only
	where   []string    // "evaluations[i].", for the entries' errors
}

// evalNodes are the templates of one evaluation's members; nil when absent.
type evalNodes struct {
	subject, action, resource, context *node
}

// Members each entity object may have: custom attributes belong under
// properties (COAZ framework, "The Mapping").
var entityKeys = map[string]map[string]bool{
	"subject":  {"type": true, "id": true, "properties": true},
	"action":   {"name": true, "properties": true},
	"resource": {"type": true, "id": true, "properties": true},
}

// compileMapping compiles a decoded mapping. Structure errors (not exactly
// one known envelope, unknown members, a subject inside an evaluations
// entry, missing action or resource, an empty evaluations array) and
// expressions that do not compile are errors: the mapping is malformed.
func (c *compiler) compileMapping(v any, maxEntries int) (*compiled, error) {
	root, ok := v.(map[string]any)
	if !ok || len(root) != 1 {
		return nil, errors.New("a mapping must be an object with exactly one member, evaluation or evaluations")
	}
	cm := new(compiled)
	var body map[string]any
	for k, e := range root {
		switch k {
		case envEvaluation, envEvaluations:
		default:
			return nil, fmt.Errorf("unknown envelope %q", k)
		}
		cm.batch = k == envEvaluations
		if body, ok = e.(map[string]any); !ok {
			return nil, fmt.Errorf("%s must be an object", k)
		}
	}
	allowed := map[string]bool{"subject": true, "action": true, "resource": true, "context": true}
	if cm.batch {
		allowed["evaluations"] = true
	}
	for k := range body {
		if !allowed[k] {
			return nil, fmt.Errorf("unknown member %q", k)
		}
	}
	var err error
	if cm.top, err = c.compileEval(body, ""); err != nil {
		return nil, err
	}
	if !cm.batch {
		if cm.top.action == nil || cm.top.resource == nil {
			return nil, errors.New("evaluation needs an action and a resource")
		}
		return cm, nil
	}
	list, ok := body["evaluations"].([]any)
	if !ok || len(list) == 0 {
		return nil, errors.New("evaluations.evaluations must be a non-empty array")
	}
	if len(list) > maxEntries {
		return nil, fmt.Errorf("more than %d evaluations", maxEntries)
	}
	for i, item := range list {
		o, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("evaluations[%d] must be an object", i)
		}
		for k := range o {
			switch k {
			case "action", "resource", "context":
			case "subject":
				return nil, fmt.Errorf("evaluations[%d] sets a subject: the top-level subject applies to every evaluation", i)
			default:
				return nil, fmt.Errorf("evaluations[%d]: unknown member %q", i, k)
			}
		}
		e, err := c.compileEval(o, fmt.Sprintf("evaluations[%d].", i))
		if err != nil {
			return nil, err
		}
		if (e.action == nil && cm.top.action == nil) || (e.resource == nil && cm.top.resource == nil) {
			return nil, fmt.Errorf("evaluations[%d] has no action or resource, and no default for it", i)
		}
		cm.entries = append(cm.entries, e)
		cm.where = append(cm.where, fmt.Sprintf("evaluations[%d].", i))
	}
	return cm, nil
}

func (c *compiler) compileEval(o map[string]any, where string) (evalNodes, error) {
	var e evalNodes
	for _, m := range []struct {
		key string
		dst **node
	}{{"subject", &e.subject}, {"action", &e.action}, {"resource", &e.resource}, {"context", &e.context}} {
		v, ok := o[m.key]
		if !ok {
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			if keys := entityKeys[m.key]; keys != nil {
				for k := range v {
					if !keys[k] {
						return e, fmt.Errorf("%s%s: unknown member %q (custom attributes go under properties)", where, m.key, k)
					}
				}
			}
		case string:
			// An expression giving the whole member; checked when resolved.
		default:
			return e, fmt.Errorf("%s%s must be an object", where, m.key)
		}
		n, err := c.compile(v, where+m.key)
		if err != nil {
			return e, err
		}
		*m.dst = n
	}
	return e, nil
}

// resolve builds the AuthZEN request of cm for one request. subjectID is
// the verified subject-identity claim: a missing subject or subject.id is
// filled with it, a missing subject.type with "identity", and the resolved
// subject.id must equal it.
func (cm *compiled) resolve(in *inputs, subjectID string) (*authzen.Request, error) {
	req := new(authzen.Request)
	var err error
	if req.Evaluation, err = resolveEval(&cm.top, in, ""); err != nil {
		return nil, err
	}
	sub := req.Subject
	if sub == nil {
		sub = &authzen.Subject{}
		req.Subject = sub
	}
	if !in.hasSubjectID {
		sub.ID = subjectID
	}
	if sub.Type == "" && !in.hasSubjectType {
		sub.Type = "identity"
	}
	if sub.ID != subjectID {
		return nil, errors.New("subject.id is not the verified token's subject")
	}
	if len(cm.entries) > 0 {
		req.Evaluations = make([]authzen.Evaluation, len(cm.entries))
		for i := range cm.entries {
			if req.Evaluations[i], err = resolveEval(&cm.entries[i], in, cm.where[i]); err != nil {
				return nil, err
			}
		}
	}
	// Every effective evaluation has a subject (the top-level one), an
	// action and a resource: compileMapping refuses mappings that could
	// leave one out, and a resolved member is never nil.
	if req.Action == nil || req.Resource == nil {
		for i, e := range req.Evaluations {
			if (e.Action == nil && req.Action == nil) || (e.Resource == nil && req.Resource == nil) {
				return nil, fmt.Errorf("%w: %saction or resource", authzen.ErrMissing, cm.where[i])
			}
		}
		if len(req.Evaluations) == 0 {
			return nil, fmt.Errorf("%w: action or resource", authzen.ErrMissing)
		}
	}
	return req, nil
}

func resolveEval(e *evalNodes, in *inputs, where string) (authzen.Evaluation, error) {
	var ev authzen.Evaluation
	var err error
	if e.subject != nil {
		in.hasSubjectID, in.hasSubjectType = false, false
		if ev.Subject, err = resolveSubject(e.subject, in, where); err != nil {
			return ev, err
		}
	}
	if e.action != nil {
		if ev.Action, err = resolveAction(e.action, in, where); err != nil {
			return ev, err
		}
	}
	if e.resource != nil {
		if ev.Resource, err = resolveResource(e.resource, in, where); err != nil {
			return ev, err
		}
	}
	if e.context != nil {
		if ev.Context, err = resolveObject(e.context, in, where, "context", false); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// resolveSubject resolves a subject; nil when an optional expression
// giving the whole subject yields nothing. It records in in whether the
// subject set its id and type.
func resolveSubject(n *node, in *inputs, where string) (*authzen.Subject, error) {
	if n.kind != kindObject {
		m, err := resolveObject(n, in, where, "subject", false)
		if err != nil || m == nil {
			return nil, err
		}
		n = literalObject(m)
	}
	s := &authzen.Subject{}
	for i, k := range n.keys {
		var err error
		switch k {
		case "id":
			s.ID, in.hasSubjectID, err = stringMember(n.fields[i], in, where, "subject", k)
		case "type":
			s.Type, in.hasSubjectType, err = stringMember(n.fields[i], in, where, "subject", k)
		case "properties":
			s.Properties, err = propsMember(n.fields[i], in, where, "subject")
		default:
			err = unknownMember(where, "subject", k)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func resolveAction(n *node, in *inputs, where string) (*authzen.Action, error) {
	if n.kind != kindObject {
		m, err := resolveObject(n, in, where, "action", true)
		if err != nil {
			return nil, err
		}
		n = literalObject(m)
	}
	a := &authzen.Action{}
	var hasName bool
	for i, k := range n.keys {
		var err error
		switch k {
		case "name":
			a.Name, hasName, err = stringMember(n.fields[i], in, where, "action", k)
		case "properties":
			a.Properties, err = propsMember(n.fields[i], in, where, "action")
		default:
			err = unknownMember(where, "action", k)
		}
		if err != nil {
			return nil, err
		}
	}
	if !hasName {
		return nil, memberError(where, "action", "name", errNull)
	}
	return a, nil
}

func resolveResource(n *node, in *inputs, where string) (*authzen.Resource, error) {
	if n.kind != kindObject {
		m, err := resolveObject(n, in, where, "resource", true)
		if err != nil {
			return nil, err
		}
		n = literalObject(m)
	}
	r := &authzen.Resource{}
	var hasType, hasID bool
	for i, k := range n.keys {
		var err error
		switch k {
		case "type":
			r.Type, hasType, err = stringMember(n.fields[i], in, where, "resource", k)
		case "id":
			r.ID, hasID, err = stringMember(n.fields[i], in, where, "resource", k)
		case "properties":
			r.Properties, err = propsMember(n.fields[i], in, where, "resource")
		default:
			err = unknownMember(where, "resource", k)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !hasType:
		return nil, memberError(where, "resource", "type", errNull)
	case !hasID:
		return nil, memberError(where, "resource", "id", errNull)
	}
	return r, nil
}

// literalObject wraps a resolved object as an object node of literals, so
// that a member given whole by one expression is checked like a template.
func literalObject(m map[string]any) *node {
	n := &node{kind: kindObject, keys: make([]string, 0, len(m))}
	for k := range m {
		n.keys = append(n.keys, k)
	}
	sort.Strings(n.keys)
	for _, k := range n.keys {
		n.fields = append(n.fields, &node{kind: kindLiteral, lit: m[k]})
	}
	return n
}

// stringMember resolves the string member key of an entity.
func stringMember(n *node, in *inputs, where, entity, key string) (string, bool, error) {
	s, present, err := n.evalString(in)
	if err == errNull || err == errNotString {
		return "", false, memberError(where, entity, key, err)
	}
	return s, present, err
}

// propsMember resolves an entity's properties, which must be an object
// when present.
func propsMember(n *node, in *inputs, where, entity string) (map[string]any, error) {
	v, present, err := n.eval(in)
	if err != nil || !present {
		return nil, err
	}
	p, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s%s.properties must be an object", where, entity)
	}
	return p, nil
}

func memberError(where, entity, key string, err error) error {
	return fmt.Errorf("%s%s.%s %v", where, entity, key, err)
}

func unknownMember(where, entity, key string) error {
	return fmt.Errorf("%s%s: unknown member %q", where, entity, key)
}

// resolveObject resolves a member that must be an object. A required
// member must not be absent or null; an optional one may be absent.
func resolveObject(n *node, in *inputs, where, member string, required bool) (map[string]any, error) {
	v, present, err := n.eval(in)
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", where, member, err)
	}
	if !present && !required {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s%s must be an object", where, member)
	}
	return m, nil
}
