// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
	"github.com/mcpauth/mcpauth/authzen/coaz"
)

// The decoded access token of the binding's example (fig-token-claims),
// numbers as the middleware's JWT mode gives them.
func exampleClaims() map[string]any {
	return map[string]any{
		"sub":       "alice@example.com",
		"client_id": "http://agentprovider.com/agent-app-id",
		"iss":       "https://auth.example.com",
		"aud":       "https://mcp.example.com",
		"exp":       json.Number("1750000000"),
	}
}

func identity(claims map[string]any) *mcpauth.Identity {
	return &mcpauth.Identity{User: mcpauth.User{Key: "alice@example.com", Attributes: map[string]any{"jwt": claims}}}
}

// The tools of the binding's examples: fig-tools-list (get_customer,
// get_local_weather), fig-coaz-multi (copy_object) and
// fig-coaz-conditions (transfer_funds).
const exampleTools = `[
 {"name":"get_customer","description":"Get customer details","inputSchema":{"type":"object",
  "properties":{"id":{"type":"string"},"case":{"type":"string"}},"required":["id"],
  "x-authzen-mapping":{"evaluation":{
   "subject":{"type":"identity","id":"$token.sub"},
   "action":{"name":"get_customer"},
   "resource":{"type":"customer","id":"$params.arguments.id"},
   "context":{"agent":"$token.?client_id","case":"$params.arguments.case"}}}}},
 {"name":"get_local_weather","description":"Get weather for the local area","inputSchema":{"type":"object",
  "properties":{"zip":{"type":"string"}},"required":["zip"]}},
 {"name":"copy_object","inputSchema":{"type":"object",
  "properties":{"source":{"type":"string"},"destination":{"type":"string"}},"required":["source","destination"],
  "x-authzen-mapping":{"evaluations":{
   "subject":{"type":"identity","id":"$token.sub"},
   "context":{"agent":"$token.?client_id"},
   "evaluations":[
    {"action":{"name":"read"},"resource":{"type":"storage_object","id":"$params.arguments.source"}},
    {"action":{"name":"write"},"resource":{"type":"storage_object","id":"$params.arguments.destination"}}]}}}},
 {"name":"transfer_funds","inputSchema":{"type":"object",
  "properties":{"from_account":{"type":"string"},"to_account":{"type":"string"},"amount":{"type":"number"},"currency":{"type":"string"}},
  "x-authzen-mapping":{"evaluation":{
   "subject":{"type":"$token.roles.exists(r, r == 'treasury') ? 'treasury_user' : 'standard_user'","id":"$token.sub"},
   "action":{"name":"$params.arguments.currency == 'USD' ? 'domestic_transfer' : 'international_transfer'"},
   "resource":{"type":"account","id":"$params.arguments.from_account",
    "properties":{"sensitivity":"$params.arguments.amount > 10000 ? 'high' : 'standard'"}},
   "context":{"agent":"$token.?client_id","target_account":"$params.arguments.to_account"}}}}}
]`

func newMapping(t testing.TB, opts *coaz.Options, tools string) *coaz.Mapping {
	t.Helper()
	m, err := coaz.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if tools != "" {
		var raw []json.RawMessage
		if err := json.Unmarshal([]byte(tools), &raw); err != nil {
			t.Fatal(err)
		}
		m.ObserveTools(httptest.NewRequest("POST", "/mcp", nil), raw)
	}
	return m
}

// mapRequest maps one request and returns the AuthZEN request as JSON.
func mapRequest(t *testing.T, m *coaz.Mapping, method, params string, claims map[string]any) (string, *mcpauth.Check, error) {
	t.Helper()
	r := &mcpauth.Request{Method: method, Params: json.RawMessage(params), Identity: identity(claims)}
	if params != "" {
		var p struct {
			Name string `json:"name"`
			URI  string `json:"uri"`
		}
		_ = json.Unmarshal([]byte(params), &p)
		r.Name, r.URI = p.Name, p.URI
	}
	c, ok, err := m.Map(context.Background(), r)
	if err != nil {
		return "", nil, err
	}
	if !ok || c == nil {
		t.Fatal("no check")
	}
	req, _ := c.Context[mcpauth.ContextAuthZENRequest].(*authzen.Request)
	if req == nil {
		t.Fatal("the check carries no AuthZEN request")
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), c, nil
}

// sameJSON compares JSON texts by value.
func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got invalid JSON %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s", want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("AuthZEN request:\n got %s\nwant %s", gb, wb)
	}
}

// The binding's examples, each with the request it says the PEP sends.
func TestProfileExamples(t *testing.T) {
	m := newMapping(t, nil, exampleTools)
	treasurer := exampleClaims()
	treasurer["roles"] = []any{"staff", "treasury"}
	staff := exampleClaims()
	staff["roles"] = []any{"staff"}
	tt := []struct {
		name, method, params string
		claims               map[string]any
		want                 string
		check                mcpauth.Check
	}{
		{
			name:   "single evaluation (fig-authzen-single)",
			method: "tools/call", params: `{"name":"get_customer","arguments":{"id":"cust-12345","case":"case-67890"}}`,
			claims: exampleClaims(),
			want: `{"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"get_customer"},
			        "resource":{"type":"customer","id":"cust-12345"},
			        "context":{"agent":"http://agentprovider.com/agent-app-id","case":"case-67890"}}`,
			check: mcpauth.Check{User: mcpauth.User{Key: "alice@example.com"}, Action: "get_customer",
				Resource: mcpauth.Resource{Type: "customer", Key: "cust-12345"}},
		},
		{
			name:   "a tool without a declaration gets the default tools/call mapping",
			method: "tools/call", params: `{"name":"get_local_weather","arguments":{"zip":"94110"}}`,
			claims: exampleClaims(),
			want: `{"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"tools/call"},
			        "resource":{"type":"tool","id":"get_local_weather"},"context":{"agent":"http://agentprovider.com/agent-app-id"}}`,
		},
		{
			name:   "multiple evaluations (fig-authzen-multi)",
			method: "tools/call", params: `{"name":"copy_object","arguments":{"source":"/bucket/reports/q1.pdf","destination":"/bucket/archive/q1.pdf"}}`,
			claims: exampleClaims(),
			want: `{"subject":{"type":"identity","id":"alice@example.com"},"context":{"agent":"http://agentprovider.com/agent-app-id"},
			        "evaluations":[
			          {"action":{"name":"read"},"resource":{"type":"storage_object","id":"/bucket/reports/q1.pdf"}},
			          {"action":{"name":"write"},"resource":{"type":"storage_object","id":"/bucket/archive/q1.pdf"}}]}`,
		},
		{
			name:   "conditional expressions (fig-coaz-conditions): treasury, USD, high",
			method: "tools/call", params: `{"name":"transfer_funds","arguments":{"from_account":"acc-1","to_account":"acc-2","amount":15000,"currency":"USD"}}`,
			claims: treasurer,
			want: `{"subject":{"type":"treasury_user","id":"alice@example.com"},"action":{"name":"domestic_transfer"},
			        "resource":{"type":"account","id":"acc-1","properties":{"sensitivity":"high"}},
			        "context":{"agent":"http://agentprovider.com/agent-app-id","target_account":"acc-2"}}`,
		},
		{
			name:   "conditional expressions: standard user, EUR, standard",
			method: "tools/call", params: `{"name":"transfer_funds","arguments":{"from_account":"acc-1","to_account":"acc-3","amount":20.5,"currency":"EUR"}}`,
			claims: staff,
			want: `{"subject":{"type":"standard_user","id":"alice@example.com"},"action":{"name":"international_transfer"},
			        "resource":{"type":"account","id":"acc-1","properties":{"sensitivity":"standard"}},
			        "context":{"agent":"http://agentprovider.com/agent-app-id","target_account":"acc-3"}}`,
		},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			got, c, err := mapRequest(t, m, tc.method, tc.params, tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, tc.want)
			if tc.check.Action != "" {
				c.Context = nil
				if c.User.Key != tc.check.User.Key || c.Action != tc.check.Action || c.Resource.Type != tc.check.Resource.Type || c.Resource.Key != tc.check.Resource.Key {
					t.Errorf("check: got %+v, want %+v", *c, tc.check)
				}
			}
		})
	}
}

// Section "Expressions and Literals": optional selection omits the member;
// "$$" escapes a literal dollar.
func TestOptionalAndEscape(t *testing.T) {
	m := newMapping(t, nil, `[{"name":"pay","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	  "action":{"name":"pay","properties":{"price":"$$50","n":3,"flag":true}},
	  "resource":{"type":"invoice","id":"$params.arguments.id"},
	  "context":{"agent":"$token.?client_id","note":"$params.arguments.?note"}}}}}]`)
	claims := exampleClaims()
	delete(claims, "client_id")
	got, _, err := mapRequest(t, m, "tools/call", `{"name":"pay","arguments":{"id":"inv-1"}}`, claims)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, `{"subject":{"type":"identity","id":"alice@example.com"},
	  "action":{"name":"pay","properties":{"price":"$50","n":3,"flag":true}},
	  "resource":{"type":"invoice","id":"inv-1"}}`)
}

// Identity smuggling and subject anchoring (section "Declared Mappings",
// PEP behavior step 5): refused as mapping errors, before any PDP call.
func TestSubjectAnchoring(t *testing.T) {
	tools := `[
	 {"name":"smuggle","inputSchema":{"type":"object","x-authzen-mapping":{"evaluations":{
	   "subject":{"type":"identity","id":"$token.sub"},
	   "evaluations":[{"subject":{"type":"identity","id":"bob@example.com"},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}]}}}},
	 {"name":"from_params","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "subject":{"type":"identity","id":"$params.arguments.user"},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}}}},
	 {"name":"literal","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "subject":{"id":"bob@example.com"},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}}}},
	 {"name":"whole_subject","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "subject":"$params.arguments.who","action":{"name":"read"},"resource":{"type":"doc","id":"1"}}}}},
	 {"name":"no_subject","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "action":{"name":"read"},"resource":{"type":"doc","id":"1"}}}}},
	 {"name":"typed","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "subject":{"type":"agent_user","properties":{"dept":"sales"}},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}}}}
	]`
	m := newMapping(t, nil, tools)
	for _, tool := range []string{"smuggle", "from_params", "literal", "whole_subject"} {
		t.Run(tool, func(t *testing.T) {
			_, _, err := mapRequest(t, m, "tools/call",
				`{"name":"`+tool+`","arguments":{"user":"bob@example.com","who":{"type":"identity","id":"bob@example.com"}}}`, exampleClaims())
			if err == nil || errors.Is(err, mcpauth.ErrNoMapping) || !strings.Contains(err.Error(), "COAZ mapping error") {
				t.Errorf("got %v; want a mapping error", err)
			}
		})
	}
	// The same argument naming the caller is no smuggling.
	if _, _, err := mapRequest(t, m, "tools/call", `{"name":"from_params","arguments":{"user":"alice@example.com"}}`, exampleClaims()); err != nil {
		t.Errorf("from_params naming the caller: %v", err)
	}
	got, _, err := mapRequest(t, m, "tools/call", `{"name":"no_subject","arguments":{}}`, exampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, `{"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`)
	got, _, err = mapRequest(t, m, "tools/call", `{"name":"typed","arguments":{}}`, exampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, `{"subject":{"type":"agent_user","id":"alice@example.com","properties":{"dept":"sales"}},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`)
	// An on-behalf-of claim as the subject-identity claim.
	obo := newMapping(t, &coaz.Options{SubjectClaim: "act_for"}, tools)
	claims := exampleClaims()
	claims["act_for"] = "carol@example.com"
	got, _, err = mapRequest(t, obo, "tools/call", `{"name":"no_subject","arguments":{}}`, claims)
	if err != nil || !strings.Contains(got, `"id":"carol@example.com"`) {
		t.Errorf("on-behalf-of: got %s, %v", got, err)
	}
	if _, _, err := mapRequest(t, obo, "tools/call", `{"name":"no_subject","arguments":{}}`, exampleClaims()); err == nil {
		t.Error("a token without the subject-identity claim was mapped")
	}
}

// Malformed declarations and expression errors are mapping errors for
// that tool only; they never fall back to the default mapping.
func TestMappingErrors(t *testing.T) {
	decl := func(name, mapping string) string {
		return `{"name":"` + name + `","inputSchema":{"type":"object","x-authzen-mapping":` + mapping + `}}`
	}
	ok := `{"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`
	tt := []struct{ name, mapping, args string }{
		{"two envelopes", `{"evaluation":` + ok + `,"evaluations":{"evaluations":[` + ok + `]}}`, `{}`},
		{"unknown envelope", `{"search":` + ok + `}`, `{}`},
		{"not an object", `"$token.sub"`, `{}`},
		{"no action", `{"evaluation":{"resource":{"type":"doc","id":"1"}}}`, `{}`},
		{"options", `{"evaluations":{"options":{"evaluations_semantic":"permit_on_first_permit"},"evaluations":[` + ok + `]}}`, `{}`},
		{"empty evaluations", `{"evaluations":{"evaluations":[]}}`, `{}`},
		{"entry without a resource", `{"evaluations":{"evaluations":[{"action":{"name":"read"}}]}}`, `{}`},
		{"sibling attribute", `{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"1","owner":"x"}}}`, `{}`},
		{"syntax error", `{"evaluation":{"action":{"name":"$params.("},"resource":{"type":"doc","id":"1"}}}`, `{}`},
		{"unknown variable", `{"evaluation":{"action":{"name":"$request.name"},"resource":{"type":"doc","id":"1"}}}`, `{}`},
		{"missing argument", `{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.region"}}}`, `{}`},
		{"number as id", `{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.n"}}}`, `{"n":7}`},
		{"absent required", `{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.?x"}}}`, `{}`},
		{"null required", `{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.x"}}}`, `{"x":null}`},
		{"properties not an object", `{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"1","properties":"$params.arguments.p"}}}`, `{"p":[1]}`},
		{"cost limit", `{"evaluation":{"action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.xs.map(a, params.arguments.xs.map(b, params.arguments.xs.map(c, a+b+c))).size() > 0 ? 'big' : 'small'"}}}`,
			`{"xs":[` + strings.TrimSuffix(strings.Repeat("1,", 60), ",") + `]}`},
	}
	var tools []string
	for _, tc := range tt {
		tools = append(tools, decl(strings.ReplaceAll(tc.name, " ", "_"), tc.mapping))
	}
	m := newMapping(t, nil, "["+strings.Join(tools, ",")+"]")
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mapRequest(t, m, "tools/call", `{"name":"`+strings.ReplaceAll(tc.name, " ", "_")+`","arguments":`+tc.args+`}`, exampleClaims())
			if err == nil || errors.Is(err, mcpauth.ErrNoMapping) {
				t.Errorf("got %v; want a mapping error", err)
			}
			t.Log(err)
		})
	}
	// A tool whose JSON is malformed but whose name is readable is refused
	// too.
	m2 := newMapping(t, nil, "")
	m2.ObserveTools(httptest.NewRequest("POST", "/mcp", nil), []json.RawMessage{
		json.RawMessage(`{"name":"dup","name":"dup","inputSchema":{"x-authzen-mapping":{}}}`)})
	if _, _, err := mapRequest(t, m2, "tools/call", `{"name":"dup","arguments":{}}`, exampleClaims()); err == nil {
		t.Error("a malformed tool fell back to the default mapping")
	}
	// A later list without the declaration restores the default mapping.
	m.ObserveTools(httptest.NewRequest("POST", "/mcp", nil), []json.RawMessage{json.RawMessage(`{"name":"two_envelopes","inputSchema":{"type":"object"}}`)})
	if _, _, err := mapRequest(t, m, "tools/call", `{"name":"two_envelopes","arguments":{}}`, exampleClaims()); err != nil {
		t.Errorf("undeclared: %v", err)
	}
}

// The default mapping of every method (section "Default Mappings"),
// pass-through and unknown methods.
func TestDefaultMappings(t *testing.T) {
	m := newMapping(t, nil, "")
	sub := `"subject":{"type":"identity","id":"alice@example.com"}`
	agent := `"agent":"http://agentprovider.com/agent-app-id"`
	server := `"resource":{"type":"mcp_server","id":"https://mcp.example.com"}`
	tt := []struct{ method, params, want string }{
		{"initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}`,
			`{` + sub + `,"context":{` + agent + `,"protocol_version":"2025-11-25"},"action":{"name":"initialize"},` + server + `}`},
		{"tools/list", `{}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"tools/list"},` + server + `}`},
		{"resources/list", ``, `{` + sub + `,"context":{` + agent + `},"action":{"name":"resources/list"},` + server + `}`},
		{"prompts/list", `{}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"prompts/list"},` + server + `}`},
		{"tasks/list", `{}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"tasks/list"},` + server + `}`},
		{"resources/read", `{"uri":"file:///a.txt"}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"resources/read"},"resource":{"type":"resource","id":"file:///a.txt"}}`},
		{"resources/subscribe", `{"uri":"file:///a.txt"}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"resources/subscribe"},"resource":{"type":"resource","id":"file:///a.txt"}}`},
		{"resources/unsubscribe", `{"uri":"file:///a.txt"}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"resources/unsubscribe"},"resource":{"type":"resource","id":"file:///a.txt"}}`},
		{"prompts/get", `{"name":"summarize"}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"prompts/get"},"resource":{"type":"prompt","id":"summarize"}}`},
		{"completion/complete", `{"ref":{"type":"ref/prompt","name":"summarize"},"argument":{"name":"a","value":"b"}}`,
			`{` + sub + `,"context":{` + agent + `},"action":{"name":"completion/complete"},"resource":{"type":"prompt","id":"summarize"}}`},
		{"completion/complete", `{"ref":{"type":"ref/resource","uri":"file:///{x}"},"argument":{"name":"x","value":"b"}}`,
			`{` + sub + `,"context":{` + agent + `},"action":{"name":"completion/complete"},"resource":{"type":"resource","id":"file:///{x}"}}`},
		{"logging/setLevel", `{"level":"debug"}`, `{` + sub + `,"context":{` + agent + `,"level":"debug"},"action":{"name":"logging/setLevel"},` + server + `}`},
		{"tasks/get", `{"taskId":"t1"}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"tasks/get"},"resource":{"type":"task","id":"t1"}}`},
		{"tasks/result", `{"taskId":"t1"}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"tasks/result"},"resource":{"type":"task","id":"t1"}}`},
		{"tasks/cancel", `{"taskId":"t1"}`, `{` + sub + `,"context":{` + agent + `},"action":{"name":"tasks/cancel"},"resource":{"type":"task","id":"t1"}}`},
	}
	for _, tc := range tt {
		t.Run(tc.method, func(t *testing.T) {
			got, _, err := mapRequest(t, m, tc.method, tc.params, exampleClaims())
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, tc.want)
		})
	}
	for _, method := range []string{"server/discover", "resources/templates/list", "sampling/createMessage", "x/unknown"} {
		if _, _, err := mapRequest(t, m, method, `{}`, exampleClaims()); !errors.Is(err, mcpauth.ErrNoMapping) {
			t.Errorf("%s: got %v; want ErrNoMapping (an authorization denial)", method, err)
		}
	}
	if _, _, err := mapRequest(t, m, "resources/read", `{}`, exampleClaims()); err == nil || errors.Is(err, mcpauth.ErrNoMapping) {
		t.Errorf("resources/read without uri: got %v; want a mapping error", err)
	}
}

// The normative resolution of $token.aud in server-wide defaults.
func TestServerIdentifier(t *testing.T) {
	claims := exampleClaims()
	claims["aud"] = []any{"https://mcp.example.com"}
	if got, _, err := mapRequest(t, newMapping(t, nil, ""), "tools/list", `{}`, claims); err != nil ||
		!strings.Contains(got, `"id":"https://mcp.example.com"`) {
		t.Errorf("one-member array: got %s, %v", got, err)
	}
	claims["aud"] = []any{"https://mcp.example.com", "https://other.example.com"}
	if _, _, err := mapRequest(t, newMapping(t, nil, ""), "tools/list", `{}`, claims); err == nil {
		t.Error("an ambiguous audience was resolved")
	}
	got, _, err := mapRequest(t, newMapping(t, &coaz.Options{ServerID: "https://mcp.example.com"}, ""), "tools/list", `{}`, claims)
	if err != nil || !strings.Contains(got, `"id":"https://mcp.example.com"`) {
		t.Errorf("ServerID: got %s, %v", got, err)
	}
	// A declared mapping's $token.aud is the claim itself.
	m := newMapping(t, nil, `[{"name":"aud","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	  "action":{"name":"read"},"resource":{"type":"doc","id":"1"},"context":{"aud":"$token.aud"}}}}}]`)
	if got, _, err := mapRequest(t, m, "tools/call", `{"name":"aud","arguments":{}}`, claims); err != nil ||
		!strings.Contains(got, `"aud":["https://mcp.example.com","https://other.example.com"]`) {
		t.Errorf("declared: got %s, %v", got, err)
	}
}

func TestConfigure(t *testing.T) {
	m := newMapping(t, nil, "")
	var o mcpauth.Options
	m.Configure(&o)
	if o.Mapping == nil || o.OnToolsList == nil || o.ListFiltering != mcpauth.ListCheckOnly ||
		o.Deny.Code != coaz.CodeDenied || o.Deny.Handler == nil || strings.Join(o.BypassMethods, ",") != "ping,notifications/*" {
		t.Errorf("got %+v", o)
	}
	if _, err := mcpauth.New(mcpauth.AuthorizerFunc(func(context.Context, mcpauth.Check) (bool, error) { return false, nil }), &o); err != nil {
		t.Fatal(err)
	}
}

// Map reads params lazily: the middleware's decoded arguments when it gave
// them, else params decoded once; members given whole by one expression are
// checked like templates; params that are not an object are a mapping error
// whether or not the mapping reads them.
func TestLazyInputs(t *testing.T) {
	m := newMapping(t, nil, `[
	 {"name":"paths","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "action":{"name":"read"},"resource":{"type":"doc","id":"$params.arguments.id"},
	   "context":{"tool":"$params.name","n":"$params.arguments.n","deep":"$params.arguments.o.k"}}}}},
	 {"name":"cel","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "action":{"name":"$params.name + ':' + string(params.arguments.n)"},"resource":{"type":"doc","id":"$params.arguments.o.k + token.sub"}}}}},
	 {"name":"whole","inputSchema":{"type":"object","x-authzen-mapping":{"evaluation":{
	   "action":"$params.arguments.a","resource":"$params.arguments.r"}}}}
	]`)
	want := map[string]string{
		"paths": `{"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"read"},"resource":{"type":"doc","id":"d1"},
		           "context":{"tool":"paths","n":2,"deep":"v"}}`,
		"cel": `{"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"cel:2"},"resource":{"type":"doc","id":"valice@example.com"}}`,
	}
	for tool, w := range want {
		params := `{"name":"` + tool + `","arguments":{"id":"d1","n":2,"o":{"k":"v"}}}`
		// As the middleware gives it, arguments decoded (numbers as
		// json.Number), and without them: decoded from params.
		args := map[string]any{"id": "d1", "n": json.Number("2"), "o": map[string]any{"k": "v"}}
		for _, a := range []map[string]any{args, nil} {
			r := &mcpauth.Request{Method: "tools/call", Name: tool, Params: json.RawMessage(params), Arguments: a, Identity: identity(exampleClaims())}
			c, _, err := m.Map(context.Background(), r)
			if err != nil {
				t.Fatalf("%s (arguments %v): %v", tool, a, err)
			}
			b, _ := json.Marshal(c.Context[mcpauth.ContextAuthZENRequest])
			sameJSON(t, string(b), w)
		}
	}
	for _, tc := range []struct{ name, args, wantErr string }{
		{"whole members", `{"a":{"name":"read"},"r":{"type":"doc","id":"1"}}`, ""},
		{"unknown member in a whole resource", `{"a":{"name":"read"},"r":{"type":"doc","id":"1","owner":"x"}}`, `unknown member "owner"`},
		{"resource without id", `{"a":{"name":"read"},"r":{"type":"doc"}}`, "resource.id is missing or null"},
		{"action name not a string", `{"a":{"name":7},"r":{"type":"doc","id":"1"}}`, "action.name must be a string"},
		{"action name null", `{"a":{"name":null},"r":{"type":"doc","id":"1"}}`, "action.name is missing or null"},
		{"action not an object", `{"a":"read","r":{"type":"doc","id":"1"}}`, "action must be an object"},
		{"resource null", `{"a":{"name":"read"},"r":null}`, "resource must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mapRequest(t, m, "tools/call", `{"name":"whole","arguments":`+tc.args+`}`, exampleClaims())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v; want an error with %q", err, tc.wantErr)
			}
		})
	}
	// params.uri and params.name come from the fields the middleware
	// decoded when set, else from params.
	for _, tc := range []struct {
		method, params, name, uri, wantID string
	}{
		{"resources/read", `{"uri":"file:///a"}`, "", "file:///a", "file:///a"},
		{"resources/read", `{"uri":"file:///a"}`, "", "", "file:///a"},
		{"prompts/get", `{"name":"p"}`, "p", "", "p"},
		{"prompts/get", `{"name":"p"}`, "", "", "p"},
		{"prompts/get", `{"name":""}`, "", "", ""},
	} {
		r := &mcpauth.Request{Method: tc.method, Params: json.RawMessage(tc.params), Name: tc.name, URI: tc.uri, Identity: identity(exampleClaims())}
		c, _, err := m.Map(context.Background(), r)
		if err != nil || c.Resource.Key != tc.wantID {
			t.Errorf("%s %s (Name %q, URI %q): got %+v, %v; want resource id %q", tc.method, tc.params, tc.name, tc.uri, c, err, tc.wantID)
		}
	}
	for _, tc := range []struct{ method, params string }{
		{"resources/read", `{}`}, {"resources/read", `{"uri":null}`}, {"prompts/get", `{"uri":"x"}`},
	} {
		r := &mcpauth.Request{Method: tc.method, Params: json.RawMessage(tc.params), Identity: identity(exampleClaims())}
		if _, _, err := m.Map(context.Background(), r); err == nil || errors.Is(err, mcpauth.ErrNoMapping) {
			t.Errorf("%s %s: got %v; want a mapping error", tc.method, tc.params, err)
		}
	}
	for _, params := range []string{`[1]`, `"x"`, `7`} {
		if _, _, err := mapRequest(t, m, "tools/list", params, exampleClaims()); err == nil || errors.Is(err, mcpauth.ErrNoMapping) {
			t.Errorf("tools/list with params %s: got %v; want a mapping error", params, err)
		}
	}
	for _, params := range []string{``, `null`, ` {} `} {
		if _, _, err := mapRequest(t, m, "tools/list", params, exampleClaims()); err != nil {
			t.Errorf("tools/list with params %q: %v", params, err)
		}
	}
}

// Configure keeps a BypassMethods set before it: the documented way to let
// a method the binding denies through unchecked.
func TestConfigureKeepsBypass(t *testing.T) {
	o := mcpauth.Options{BypassMethods: append(append([]string(nil), coaz.PassThrough...), "server/discover")}
	newMapping(t, nil, "").Configure(&o)
	if got := strings.Join(o.BypassMethods, ","); got != "ping,notifications/*,server/discover" {
		t.Errorf("got BypassMethods %s", got)
	}
}
