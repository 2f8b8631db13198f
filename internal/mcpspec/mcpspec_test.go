// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpspec

import (
	"strings"
	"testing"
)

// TestMethods checks the table's invariants: unique names, list methods
// mapped and without params, notifications never mapped.
func TestMethods(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Methods {
		if seen[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		seen[m.Name] = true
		if m.List && (!m.Mapped || m.Params) {
			t.Errorf("%s: a list method must be mapped and take no params: %+v", m.Name, m)
		}
		if strings.HasPrefix(m.Name, "notifications/") && (m.Mapped || m.FastMCPKnown) {
			t.Errorf("%s: notifications are never mapped: %+v", m.Name, m)
		}
		if m.FastMCPKnown && !m.Mapped {
			t.Errorf("%s: permit-fastmcp's known methods all have rules: %+v", m.Name, m)
		}
		got, ok := Lookup(m.Name)
		if !ok || got != m {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, true", m.Name, got, ok, m)
		}
	}
	if _, ok := Lookup("tools/CALL"); ok {
		t.Error(`Lookup("tools/CALL") found a method; names are case-sensitive`)
	}
	lists := Names(func(m Method) bool { return m.List })
	want := []string{ToolsList, PromptsList, ResourcesList, ResourcesTemplatesList}
	if strings.Join(lists, ",") != strings.Join(want, ",") {
		t.Errorf("list methods = %v, want %v", lists, want)
	}
	for _, m := range want {
		if !IsList(m) {
			t.Errorf("IsList(%q) = false", m)
		}
	}
	if IsList(ToolsCall) || IsList("x/list") {
		t.Error("IsList is true for a method that is not a list method")
	}
}

func TestLookupBytesNoAlloc(t *testing.T) {
	b := []byte(ToolsCall)
	if n := testing.AllocsPerRun(100, func() { _, _ = LookupBytes(b) }); n != 0 {
		t.Errorf("LookupBytes allocates %v times, want 0", n)
	}
}

func TestIndex(t *testing.T) {
	for i, m := range Methods {
		if got := Index(m.Name); got != i {
			t.Errorf("Index(%q) = %d, want %d", m.Name, got, i)
		}
	}
	for _, name := range []string{"", "tools/Call", "tools/call ", "nope"} {
		if got := Index(name); got != -1 {
			t.Errorf("Index(%q) = %d, want -1", name, got)
		}
	}
}
