// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// errorLog counts the error records written to it.
type errorLog struct {
	mu   sync.Mutex
	recs []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

func (l *errorLog) records() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.recs...)
}

// listTools answers tools/list with the named tools through m.
func listTools(t *testing.T, m *Middleware, names ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":1,"result":{"tools":[`)
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		q, _ := json.Marshal(n)
		fmt.Fprintf(&b, `{"name":%s}`, q)
	}
	b.WriteString(`]}}`)
	h := &listHandler{contentType: "application/json", chunks: []string{b.String()}}
	return serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)).Body.String()
}

// callTool checks a tools/call of name with m.
func callTool(t *testing.T, m *Middleware, name string) error {
	t.Helper()
	_, err := m.Check(postJSON(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"` + name + `"}}`))
	return err
}

func TestAmbiguousToolsRefused(t *testing.T) {
	log := &errorLog{}
	m, err := New(allowAllAuthz(), &Options{Logger: slog.New(log), Deny: DenyOptions{ExposeReason: true}})
	if err != nil {
		t.Fatal(err)
	}
	// Before any list, nothing is known to collide.
	if err := callTool(t, m, "greet_jwt"); err != nil {
		t.Fatalf("greet_jwt before a list: %v", err)
	}
	listTools(t, m, "greet", "greet-jwt", "greet_jwt", "other_tool", "greet.jwt")
	for _, name := range []string{"greet-jwt", "greet_jwt", "greet.jwt", "greet/jwt"} {
		err := callTool(t, m, name)
		var d *Denial
		if !errors.As(err, &d) || !errors.Is(err, ErrAmbiguousTool) || !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want a denial wrapping ErrAmbiguousTool and ErrForbidden", name, err)
			continue
		}
		if !strings.Contains(d.Reason, "is ambiguous: maps to the same action \"greet-jwt\" as") {
			t.Errorf("%s: reason %q", name, d.Reason)
		}
		if strings.Contains(d.Reason, "as \""+name+"\"") {
			t.Errorf("%s: reason %q names the tool itself as the other one", name, d.Reason)
		}
	}
	for _, name := range []string{"greet", "other_tool", "other-tool2"} {
		if err := callTool(t, m, name); err != nil {
			t.Errorf("%s: %v, want allowed", name, err)
		}
	}

	// The denial is a tool result, like any other tools/call denial.
	w := serve(t, m, &echoHandler{}, postJSON(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet_jwt"}}`))
	if body := w.Body.String(); !strings.Contains(body, `"isError":true`) || !strings.Contains(body, "is ambiguous") {
		t.Errorf("tools/call body %s, want an isError result with the reason", body)
	}

	// Logged once per set of names; a new name logs the grown set.
	listTools(t, m, "greet-jwt", "greet_jwt", "greet.jwt")
	if recs := log.records(); len(recs) != 1 || !strings.Contains(recs[0], `"greet-jwt", "greet.jwt", "greet_jwt"`) {
		t.Errorf("error records %q, want one naming the three tools", recs)
	}
	listTools(t, m, "greet-jwt", "greet/jwt")
	if recs := log.records(); len(recs) != 2 || !strings.Contains(recs[1], `"greet/jwt"`) {
		t.Errorf("error records %q, want a second one with greet/jwt", recs)
	}
}

func TestAmbiguousToolsAllowedByOption(t *testing.T) {
	log := &errorLog{}
	m, err := New(allowAllAuthz(), &Options{Logger: slog.New(log), AllowAmbiguousTools: true})
	if err != nil {
		t.Fatal(err)
	}
	listTools(t, m, "greet-jwt", "greet_jwt")
	for _, name := range []string{"greet-jwt", "greet_jwt"} {
		if err := callTool(t, m, name); err != nil {
			t.Errorf("%s: %v, want allowed with AllowAmbiguousTools", name, err)
		}
	}
	if recs := log.records(); len(recs) != 1 || !strings.Contains(recs[0], "refused=false") {
		t.Errorf("error records %q, want the collision logged once", recs)
	}
}

func TestAmbiguousToolsCustomMappingNotWatched(t *testing.T) {
	m, err := New(allowAllAuthz(), &Options{Mapping: func(_ context.Context, r *Request) (*Check, bool, error) {
		return &Check{Action: r.Name, Resource: Resource{Type: "t"}}, true, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	listTools(t, m, "greet-jwt", "greet_jwt")
	if err := callTool(t, m, "greet_jwt"); err != nil {
		t.Errorf("custom mapping: %v, want allowed", err)
	}
}

// The record is bounded: past maxAmbiguousActions actions, and past
// maxAmbiguousNames names per action, collisions are still refused.
func TestAmbiguousToolsBounded(t *testing.T) {
	m, err := New(allowAllAuthz(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	const n = maxAmbiguousActions + 100
	for i := 0; i < n; i++ {
		names = append(names, fmt.Sprintf("t%d-x", i), fmt.Sprintf("t%d_x", i))
	}
	long := strings.Repeat("l", maxAmbiguousLen)
	names = append(names, long+"-a", long+"_a", "v-v", "v_v", "v.v", "v/v", "v_v_", "v.v_",
		"w-w-w", "w_w_w", "w.w.w", "w/w/w", "w-w_w", "w_w-w")
	listTools(t, m, names...)
	for _, name := range []string{"t0_x", fmt.Sprintf("t%d-x", n-1), fmt.Sprintf("t%d.x", n/2), long + ".a", "v.v", "v/v", "v-v_", "w.w/w", "w_w-w"} {
		if err := callTool(t, m, name); !errors.Is(err, ErrAmbiguousTool) {
			t.Errorf("%.40s: %v, want refused", name, err)
		}
	}
	for _, name := range []string{"t0x", "v", "v-w", "u-u"} {
		if err := callTool(t, m, name); err != nil {
			t.Errorf("%s: %v, want allowed", name, err)
		}
	}
	m.tools.mu.RLock()
	defer m.tools.mu.RUnlock()
	if len(m.tools.actions) > maxAmbiguousActions || m.tools.overflow == nil {
		t.Errorf("%d actions kept exactly, overflow %v; want at most %d and the rest in the filter",
			len(m.tools.actions), m.tools.overflow != nil, maxAmbiguousActions)
	}
	for a, ns := range m.tools.actions {
		if len(ns) > maxAmbiguousNames {
			t.Errorf("action %q keeps %d names, want at most %d", a, len(ns), maxAmbiguousNames)
		}
	}
}

// Lists and calls race safely (run with -race).
func TestAmbiguousToolsConcurrent(t *testing.T) {
	m, err := New(allowAllAuthz(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				listTools(t, m, fmt.Sprintf("a%d-b", i), fmt.Sprintf("a%d_b", i), fmt.Sprintf("a%d.b", g))
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				callTool(t, m, fmt.Sprintf("a%d_b", i))
			}
		}()
	}
	wg.Wait()
	if err := callTool(t, m, "a3_b"); !errors.Is(err, ErrAmbiguousTool) {
		t.Errorf("a3_b: %v, want refused", err)
	}
}

func TestObserveToolsIgnoresRepeatsAndBadItems(t *testing.T) {
	m, err := New(allowAllAuthz(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The same tool listed twice, and items that are not tools, share no
	// action with another name.
	h := &listHandler{contentType: "application/json", chunks: []string{
		`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a_b"},{"name":"a_b"},{"name":"a-b","name":"x"},"a.b",{"Name":"a.b"}]}}`}}
	serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err := callTool(t, m, "a_b"); err != nil {
		t.Errorf("a_b: %v, want allowed", err)
	}
}
