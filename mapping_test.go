// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/internal/jsonrpc"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// recorder is an Authorizer that allows everything and records the checks.
type recorder struct {
	mu     sync.Mutex
	checks []Check
	allow  func(Check) bool
}

func (a *recorder) Allowed(_ context.Context, c Check) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks = append(a.checks, c)
	if a.allow != nil {
		return a.allow(c), nil
	}
	return true, nil
}

func (a *recorder) AllowedBulk(ctx context.Context, cs []Check) ([]bool, error) {
	out := make([]bool, len(cs))
	for i, c := range cs {
		out[i], _ = a.Allowed(ctx, c)
	}
	return out, nil
}

func postJSON(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	return r
}

// goldenResult is what a golden file records for one request.
type goldenResult struct {
	Allowed  bool    `json:"allowed"`
	Bypassed bool    `json:"bypassed"`
	Denial   string  `json:"denial,omitempty"`
	Checks   []Check `json:"checks"`
}

// TestMappingGolden maps every request in testdata/mapping through the
// middleware (fixed identity "client", list filtering on, default options)
// and compares the checks sent to the decision point with the .golden file.
// Run with -update to rewrite the golden files after an intended change.
func TestMappingGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/mapping/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden requests: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			m, err := New(rec, &Options{ListFiltering: ListFilterAndCheck})
			if err != nil {
				t.Fatal(err)
			}
			d, err := m.Check(postJSON(string(body)))
			got := goldenResult{Allowed: d.Allowed, Bypassed: d.Bypassed, Checks: rec.checks}
			if err != nil {
				got.Denial = err.Error()
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			gotJSON = append(gotJSON, '\n')
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(gotJSON)); diff != "" {
				t.Errorf("checks for %s differ from %s (-want +got):\n%s", file, golden, diff)
			}
		})
	}
}

func TestToolAction(t *testing.T) {
	tt := []struct{ in, want string }{
		{"greet", "greet"},
		{"test.tool_name/path", "test-tool-name-path"},
		{"...", "---"},
		{"", "unknown-tool"},
		{"conditional-greet", "conditional-greet"},
		{"ünï_côde", "ünï-côde"},
	}
	for _, tc := range tt {
		if got := toolAction(tc.in); got != tc.want {
			t.Errorf("toolAction(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMatchMethod(t *testing.T) {
	tt := []struct {
		pattern, method string
		want            bool
	}{
		{"initialize", "initialize", true},
		{"initialize", "initialized", false},
		{"notifications/*", "notifications/initialized", true},
		{"notifications/*", "notifications/", true},
		{"notifications/*", "notification/x", false},
		{"*", "tools/call", true}, // fnmatch: * crosses '/'
		{"tools/*", "tools/call/extra", true},
		{"tools/?ist", "tools/list", true},
		{"tools/?ist", "tools/lisst", false},
		{"[pt]ing", "ping", true},
		{"[pt]ing", "ting", true},
		{"[!p]ing", "ping", false},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"*/list", "resources/templates/list", true},
		{"Ping", "ping", false}, // case-sensitive
		{"[abc", "a", false},    // malformed class never matches
		{"", "", true},
		{"", "x", false},
		// Python fnmatch.fnmatchcase semantics, as permit-fastmcp
		// matches its bypass list (not path.Match):
		{"notifications/*", "notifications/a/b", true},
		{"notifications/*", "notifications/roots/list_changed", true},
		{"notifications/*", "Notifications/initialized", false},
		{"tools?call", "tools/call", true}, // ? matches '/'
		{"[^p]ing", "ping", true},          // '^' is literal: the class is ^ or p
		{"[^p]ing", "^ing", true},
		{"[^p]ing", "ting", false},
		{"[!p]ing", "ting", true},
		{`tools\*`, `tools\call`, true}, // no escapes: '\' is literal
		{`tools\*`, "tools*", false},
		{"[]]x", "]x", true},                         // leading ']' is literal
		{"[a-]", "-", true},                          // trailing '-' is literal
		{"[z-a]", "z", false},                        // empty range
		{"notifications/?", "notifications/é", true}, // one code point
		{"notifications/??", "notifications/é", false},
		{"[à-ü]", "é", true},
	}
	for _, tc := range tt {
		if got := matchMethod(tc.pattern, tc.method); got != tc.want {
			t.Errorf("matchMethod(%q, %q) = %v, want %v", tc.pattern, tc.method, got, tc.want)
		}
	}
}

// mapOne maps one request body with opts through the middleware and returns
// the recorded checks and the error.
func mapOne(t *testing.T, opts *Options, body string) ([]Check, error) {
	t.Helper()
	rec := &recorder{}
	m, err := New(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Check(postJSON(body))
	return rec.checks, err
}

func TestMappingOptions(t *testing.T) {
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"number":5}}}`
	read := `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///a"}}`
	prompt := `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"p"}}`
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	fixed := User{Key: "client", Attributes: map[string]any{"type": "fixed_identity"}}
	tt := []struct {
		name string
		opts *Options
		body string
		want []Check
	}{
		{"server name", &Options{ServerName: "billing"}, call, []Check{{
			User: fixed, Action: "greet",
			Resource: Resource{Type: "billing", Tenant: "default", Attributes: map[string]any{
				"tool_name": "greet", "mcp_method": "tools/call", "arg_number": json.Number("5")}},
		}}},
		{"argument prefix", &Options{ArgumentPrefix: "in_"}, call, []Check{{
			User: fixed, Action: "greet",
			Resource: Resource{Type: "mcp_server", Tenant: "default", Attributes: map[string]any{
				"tool_name": "greet", "mcp_method": "tools/call", "in_number": json.Number("5")}},
		}}},
		{"nested arguments", &Options{NestedArguments: true}, call, []Check{{
			User: fixed, Action: "greet",
			Resource: Resource{Type: "mcp_server", Tenant: "default", Attributes: map[string]any{
				"tool_name": "greet", "mcp_method": "tools/call",
				"arguments": map[string]any{"number": json.Number("5")}}},
		}}},
		{"fixed tenant", &Options{Tenant: TenantOptions{Fixed: "acme"}}, call, []Check{{
			User: fixed, Action: "greet",
			Resource: Resource{Type: "mcp_server", Tenant: "acme", Attributes: map[string]any{
				"tool_name": "greet", "mcp_method": "tools/call", "arg_number": json.Number("5")}},
		}}},
		{"legacy resource type", &Options{LegacyResourceTypes: true}, read, []Check{{
			User: fixed, Action: "read",
			Resource: Resource{Type: "mcp_server_resources:file:///a", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "resources/read", "resource_type": "resources", "resource_uri": "file:///a"}},
		}}},
		{"legacy prompt type", &Options{LegacyResourceTypes: true}, prompt, []Check{{
			User: fixed, Action: "read",
			Resource: Resource{Type: "mcp_server_prompts:p", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "prompts/get", "resource_type": "prompts", "prompt_name": "p"}},
		}}},
		{"no server prefix", &Options{ResourcePrefix: "mcp_", ListFiltering: ListFilterAndCheck, ActionPrefix: "mcp:"}, list, []Check{{
			User: fixed, Action: "mcp:list",
			Resource: Resource{Type: "mcp_tools", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "tools/list", "resource_type": "tools"}},
		}}},
		{"no resource prefix", &Options{ResourcePrefix: NoPrefix, ListFiltering: ListCheckOnly}, list, []Check{{
			User: fixed, Action: "list",
			Resource: Resource{Type: "tools", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "tools/list", "resource_type": "tools"}},
		}}},
		{"resource prefix does not change tools/call", &Options{ResourcePrefix: "r_"}, call, []Check{{
			User: fixed, Action: "greet",
			Resource: Resource{Type: "mcp_server", Tenant: "default", Attributes: map[string]any{
				"tool_name": "greet", "mcp_method": "tools/call", "arg_number": json.Number("5")}},
		}}},
		{"action prefix not on tools/call", &Options{ActionPrefix: "mcp:"}, call, []Check{{
			User: fixed, Action: "greet",
			Resource: Resource{Type: "mcp_server", Tenant: "default", Attributes: map[string]any{
				"tool_name": "greet", "mcp_method": "tools/call", "arg_number": json.Number("5")}},
		}}},
		{"list filtering alone makes no coarse check", &Options{}, list, nil},
		{"disabled filtering falls back to the coarse check", &Options{ListFiltering: ListCheckOnly}, list, []Check{{
			User: fixed, Action: "list",
			Resource: Resource{Type: "mcp_server_tools", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "tools/list", "resource_type": "tools"}},
		}}},
		{"unknown method as access", &Options{UnknownMethods: UnknownCheckAccess},
			`{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{}}`, []Check{{
				User: fixed, Action: "access",
				Resource: Resource{Type: "mcp_server_method:tasks/get", Tenant: "default", Attributes: map[string]any{
					"mcp_method": "tasks/get", "resource_type": "unknown"}},
			}}},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mapOne(t, tc.opts, tc.body)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArgumentCollision(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"tool_name":"admin-tool","tenant":"other","x":1}}}`
	t.Run("deny", func(t *testing.T) {
		checks, err := mapOne(t, &Options{ArgumentPrefix: NoPrefix}, body)
		if !errors.Is(err, ErrMalformedRequest) {
			t.Fatalf("err = %v, want ErrMalformedRequest", err)
		}
		if len(checks) != 0 {
			t.Errorf("a refused request reached the decision point: %v", checks)
		}
	})
	t.Run("rename", func(t *testing.T) {
		checks, err := mapOne(t, &Options{ArgumentPrefix: NoPrefix, ArgumentCollision: CollisionRename}, body)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"tool_name": "greet", "mcp_method": "tools/call",
			"arg_tool_name": "admin-tool", "arg_tenant": "other", "x": json.Number("1"),
		}
		if diff := cmp.Diff(want, checks[0].Resource.Attributes); diff != "" {
			t.Errorf("attributes (-want +got):\n%s", diff)
		}
		if checks[0].Resource.Tenant != "default" {
			t.Errorf("tenant = %q, want default: an argument must never set the tenant", checks[0].Resource.Tenant)
		}
	})
}

func TestPublicTools(t *testing.T) {
	rec := &recorder{allow: func(Check) bool { return false }}
	m, err := New(rec, &Options{
		PublicTools: []string{"login"},
		Identity:    HeaderIdentity("X-User", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	// No identity at all, and a policy denying everything: login still runs.
	d, err := m.Check(postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{"username":"a"}}}`))
	if err != nil || !d.Allowed || !d.Bypassed {
		t.Fatalf("public tool: decision %+v, err %v; want allowed without a check", d, err)
	}
	// Any other tool still needs identity.
	_, err = m.Check(postJSON(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}`))
	if !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("err = %v, want ErrUnauthenticated", err)
	}
	if len(rec.checks) != 0 {
		t.Errorf("decision point saw %d checks, want 0", len(rec.checks))
	}
}

func TestBypassOptions(t *testing.T) {
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	t.Run("empty list bypasses nothing", func(t *testing.T) {
		_, err := mapOne(t, &Options{BypassMethods: []string{}}, ping)
		if !errors.Is(err, ErrNoMapping) {
			t.Fatalf("err = %v, want ErrNoMapping (ping is not bypassed and has no rule)", err)
		}
	})
	t.Run("custom glob", func(t *testing.T) {
		checks, err := mapOne(t, &Options{BypassMethods: []string{"p?ng"}}, ping)
		if err != nil || len(checks) != 0 {
			t.Fatalf("checks %v, err %v; want bypassed", checks, err)
		}
	})
	t.Run("default notifications/* covers nested notification methods", func(t *testing.T) {
		for _, method := range []string{"notifications/initialized", "notifications/roots/list_changed", "notifications/a/b"} {
			checks, err := mapOne(t, nil, `{"jsonrpc":"2.0","method":"`+method+`"}`)
			if err != nil || len(checks) != 0 {
				t.Errorf("%s: checks %v, err %v; want bypassed", method, checks, err)
			}
		}
	})
	t.Run("invalid UTF-8 pattern is a config error", func(t *testing.T) {
		_, err := New(&recorder{}, &Options{BypassMethods: []string{"notifications/\xff*"}})
		if err == nil || !strings.Contains(err.Error(), "Options.BypassMethods[0]") {
			t.Fatalf("New error = %v, want one naming Options.BypassMethods[0]", err)
		}
	})
	t.Run("malformed glob is a config error", func(t *testing.T) {
		_, err := New(&recorder{}, &Options{BypassMethods: []string{"[abc"}})
		if err == nil || !strings.Contains(err.Error(), "Options.BypassMethods[0]") {
			t.Fatalf("New error = %v, want one naming Options.BypassMethods[0]", err)
		}
	})
}

func TestCheckKeepsBody(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"a":"é"}}}`
	m, err := New(&recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := postJSON(body)
	if _, err := m.Check(r); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(r.Body); err != nil {
		t.Fatal(err)
	}
	if b.String() != body {
		t.Errorf("body after Check = %q, want %q", b.String(), body)
	}
}

// TestMapMessagePaths checks the mapping layer's choice: a custom mapping
// sees every message it must map (single or batched) with its arguments
// decoded, and list requests reach no mapping without the coarse check.
func TestMapMessagePaths(t *testing.T) {
	decode := func(t *testing.T, body string) *jsonrpc.Message {
		t.Helper()
		msgs, _, err := jsonrpc.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return &msgs[0]
	}
	const call = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"n":1}}}`
	const list = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	tt := []struct {
		name      string
		opts      Options
		body      string
		single    bool
		wantCalls int  // calls of the custom mapping
		wantCheck bool // a check comes back
		wantArgs  bool // the custom mapping saw the arguments
		wantErr   bool // a paramsError
	}{
		{"custom, single", Options{}, call, true, 1, true, true, false},
		{"custom, batched", Options{}, call, false, 1, true, true, false},
		{"custom, list without coarse check", Options{}, list, true, 0, false, false, false},
		{"custom, list with coarse check", Options{ListFiltering: ListFilterAndCheck}, list, true, 1, true, false, false},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			calls, sawArgs := 0, false
			o := tc.opts
			o.Mapping = func(ctx context.Context, r *Request) (*Check, bool, error) {
				calls++
				sawArgs = r.Arguments["n"] != nil
				return &Check{Action: "x"}, true, nil
			}
			l := newMappingLayer(&o)
			var dst Check
			c, ok, err := l.mapMessage(context.Background(), &Request{Method: decode(t, tc.body).Method}, decode(t, tc.body), &dst, tc.single)
			var pe *paramsError
			if gotErr := errors.As(err, &pe); gotErr != tc.wantErr || (!gotErr && err != nil) {
				t.Fatalf("err = %v, want paramsError %v", err, tc.wantErr)
			}
			if calls != tc.wantCalls || (ok && c != nil) != tc.wantCheck || sawArgs != tc.wantArgs {
				t.Errorf("calls %d, check %v, args %v; want %d, %v, %v", calls, ok && c != nil, sawArgs, tc.wantCalls, tc.wantCheck, tc.wantArgs)
			}
		})
	}

	// The built-in mapping of a single tools/call takes the raw path: the
	// check lands in dst and the Request gets no arguments map.
	l := newMappingLayer(&Options{})
	var dst Check
	req := &Request{Method: MethodToolsCall, Name: "greet"}
	c, ok, err := l.mapMessage(context.Background(), req, decode(t, call), &dst, true)
	if err != nil || !ok || c != &dst || req.Arguments != nil || dst.Resource.Attributes["arg_n"] == nil {
		t.Errorf("built-in single tools/call: c==&dst %v, ok %v, err %v, req.Arguments %v, attrs %v",
			c == &dst, ok, err, req.Arguments, dst.Resource.Attributes)
	}
	// Audited arguments need the map.
	l = newMappingLayer(&Options{AuditArguments: true})
	req = &Request{Method: MethodToolsCall, Name: "greet"}
	if _, _, err := l.mapMessage(context.Background(), req, decode(t, call), &dst, true); err != nil || req.Arguments == nil {
		t.Errorf("AuditArguments: err %v, req.Arguments %v, want the arguments decoded", err, req.Arguments)
	}
}
