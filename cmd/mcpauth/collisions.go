// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// The middleware checks a tools/call as the action named after the tool
// with '.', '/' and '_' turned into '-', so tools whose names differ only
// in those characters share one permission. The commands warn about such
// names wherever they see them: in a policy's actions and in a tools/list
// response.

// toolAction returns the action the built-in mapping checks a tools/call
// of name as.
func toolAction(name string) string {
	c, ok, err := mcpauth.DefaultMapping(nil)(context.Background(),
		&mcpauth.Request{Method: mcpauth.MethodToolsCall, Name: name})
	if err != nil || !ok {
		return name
	}
	return c.Action
}

// collision is a set of distinct names that map to one action.
type collision struct {
	action string
	names  []string
}

// toolCollisions returns the sets of two or more distinct names in names
// that map to one action, ordered by action.
func toolCollisions(names []string) []collision {
	byAction := map[string][]string{}
	for _, n := range names {
		a := toolAction(n)
		if !slices.Contains(byAction[a], n) {
			byAction[a] = append(byAction[a], n)
		}
	}
	var out []collision
	for a, ns := range byAction {
		if len(ns) > 1 {
			slices.Sort(ns)
			out = append(out, collision{a, ns})
		}
	}
	slices.SortFunc(out, func(x, y collision) int { return strings.Compare(x.action, y.action) })
	return out
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// warnPolicyCollisions warns about the actions of each resource type in
// resources that a tools/call cannot tell apart. It returns the number of
// warnings.
func warnPolicyCollisions(w io.Writer, p *policy.Policy, resources []string) int {
	n := 0
	for _, r := range resources {
		for _, c := range toolCollisions(p.Actions(r)) {
			fmt.Fprintf(w, "%s: warning: resource %q: actions %s are one tool action %q: tools/call turns '.', '/' and '_' in tool names into '-', so only %q is ever checked and its permission grants every tool named like these\n",
				programName, r, quoteNames(c.names), c.action, c.action)
			n++
		}
	}
	return n
}

// warnListCollisions warns about the tools of a tools/list response that
// map to one action.
func warnListCollisions(w io.Writer, tools []string) int {
	n := 0
	for _, c := range toolCollisions(tools) {
		fmt.Fprintf(w, "%s: warning: tools %s map to one action %q: a permission for one grants them all, and the middleware refuses calls to them unless Options.AllowAmbiguousTools is set\n",
			programName, quoteNames(c.names), c.action)
		n++
	}
	return n
}

// responseTools returns the tool names of a tools/list response, or of
// its result alone.
func responseTools(resp []byte) []string {
	type tools struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	var r struct {
		tools
		Result *tools `json:"result"`
	}
	if json.Unmarshal(resp, &r) != nil {
		return nil
	}
	list := r.tools
	if r.Result != nil {
		list = *r.Result
	}
	var out []string
	for _, t := range list.Tools {
		out = append(out, t.Name)
	}
	return out
}

// warnCallAction warns when the tool a tools/call request names is checked
// as an action spelled differently, which other tool names share.
func warnCallAction(w io.Writer, req []byte) int {
	var r struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	if json.Unmarshal(req, &r) != nil || r.Method != mcpauth.MethodToolsCall || r.Params.Name == "" {
		return 0
	}
	a := toolAction(r.Params.Name)
	if a == r.Params.Name {
		return 0
	}
	fmt.Fprintf(w, "%s: warning: tool %q is checked as action %q, which every tool named like it up to '.', '/', '_' and '-' shares\n",
		programName, r.Params.Name, a)
	return 1
}
