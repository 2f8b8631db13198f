// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"errors"
	"fmt"

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
	if req.Evaluation, err = resolveEval(cm.top, in, ""); err != nil {
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
	for i, e := range cm.entries {
		ev, err := resolveEval(e, in, fmt.Sprintf("evaluations[%d].", i))
		if err != nil {
			return nil, err
		}
		req.Evaluations = append(req.Evaluations, ev)
	}
	if _, err := req.Effective(); err != nil {
		return nil, err
	}
	return req, nil
}

func resolveEval(e evalNodes, in *inputs, where string) (authzen.Evaluation, error) {
	var ev authzen.Evaluation
	if e.subject != nil {
		in.hasSubjectID, in.hasSubjectType = false, false
		m, err := resolveObject(e.subject, in, where+"subject", false)
		if err != nil {
			return ev, err
		}
		if m != nil {
			s := &authzen.Subject{}
			if _, in.hasSubjectID = m["id"]; in.hasSubjectID {
				if s.ID, err = str(m, "id", where+"subject"); err != nil {
					return ev, err
				}
			}
			if _, in.hasSubjectType = m["type"]; in.hasSubjectType {
				if s.Type, err = str(m, "type", where+"subject"); err != nil {
					return ev, err
				}
			}
			if s.Properties, err = props(m, where+"subject"); err != nil {
				return ev, err
			}
			if err := onlyKeys(m, entityKeys["subject"], where+"subject"); err != nil {
				return ev, err
			}
			ev.Subject = s
		}
	}
	if e.action != nil {
		m, err := resolveObject(e.action, in, where+"action", true)
		if err != nil {
			return ev, err
		}
		a := &authzen.Action{}
		if a.Name, err = str(m, "name", where+"action"); err != nil {
			return ev, err
		}
		if a.Properties, err = props(m, where+"action"); err != nil {
			return ev, err
		}
		if err := onlyKeys(m, entityKeys["action"], where+"action"); err != nil {
			return ev, err
		}
		ev.Action = a
	}
	if e.resource != nil {
		m, err := resolveObject(e.resource, in, where+"resource", true)
		if err != nil {
			return ev, err
		}
		r := &authzen.Resource{}
		if r.Type, err = str(m, "type", where+"resource"); err != nil {
			return ev, err
		}
		if r.ID, err = str(m, "id", where+"resource"); err != nil {
			return ev, err
		}
		if r.Properties, err = props(m, where+"resource"); err != nil {
			return ev, err
		}
		if err := onlyKeys(m, entityKeys["resource"], where+"resource"); err != nil {
			return ev, err
		}
		ev.Resource = r
	}
	if e.context != nil {
		m, err := resolveObject(e.context, in, where+"context", false)
		if err != nil {
			return ev, err
		}
		ev.Context = m
	}
	return ev, nil
}

// resolveObject resolves a member that must be an object. A required
// member must not be absent or null; an optional one may be absent.
func resolveObject(n *node, in *inputs, where string, required bool) (map[string]any, error) {
	v, present, err := n.eval(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if !present && !required {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object", where)
	}
	return m, nil
}

func str(m map[string]any, key, where string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", fmt.Errorf("%s.%s is missing or null", where, key)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s must be a string", where, key)
	}
	return s, nil
}

func props(m map[string]any, where string) (map[string]any, error) {
	v, ok := m["properties"]
	if !ok {
		return nil, nil
	}
	p, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.properties must be an object", where)
	}
	return p, nil
}

func onlyKeys(m map[string]any, keys map[string]bool, where string) error {
	for k := range m {
		if !keys[k] {
			return fmt.Errorf("%s: unknown member %q", where, k)
		}
	}
	return nil
}
