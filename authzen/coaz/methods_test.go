// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
)

// recordingPDP allows everything and records the AuthZEN request of each
// check it is asked.
type recordingPDP struct {
	mu   sync.Mutex // guards reqs
	reqs []string
}

func (p *recordingPDP) Allowed(_ context.Context, c mcpauth.Check) (bool, error) {
	req, _ := c.Context[mcpauth.ContextAuthZENRequest].(*authzen.Request)
	b, _ := json.Marshal(req)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, string(b))
	return true, nil
}

// Every MCP method through the middleware set up by Configure (package
// doc, "Methods"): the methods the binding maps reach the decision point
// with the binding's request, ping and notifications pass through without
// it, and every method the binding does not name (server/discover,
// resources/templates/list, server-initiated and unknown methods) is
// denied with -32001 without asking it.
func TestMethods(t *testing.T) {
	const (
		sub    = `"subject":{"type":"identity","id":"alice@example.com"}`
		agent  = `"agent":"http://agentprovider.com/agent-app-id"`
		server = `"resource":{"type":"mcp_server","id":"https://mcp.example.com"}`
	)
	item := func(action, typ, id string) string {
		return `{` + sub + `,"context":{` + agent + `},"action":{"name":"` + action + `"},"resource":{"type":"` + typ + `","id":"` + id + `"}}`
	}
	whole := func(action, extra string) string {
		return `{` + sub + `,"context":{` + agent + extra + `},"action":{"name":"` + action + `"},` + server + `}`
	}
	const (
		mapped = iota
		passThrough
		denied
	)
	tt := []struct {
		method, params string
		outcome        int
		want           string // the AuthZEN request, when mapped
	}{
		{"initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}`, mapped,
			whole("initialize", `,"protocol_version":"2025-11-25"`)},
		{"ping", ``, passThrough, ""},
		{"notifications/initialized", ``, passThrough, ""},
		{"notifications/cancelled", `{"requestId":1}`, passThrough, ""},
		{"tools/list", `{}`, mapped, whole("tools/list", "")},
		{"tools/call", `{"name":"get_local_weather","arguments":{"zip":"94110"}}`, mapped, item("tools/call", "tool", "get_local_weather")},
		{"resources/list", `{}`, mapped, whole("resources/list", "")},
		{"resources/read", `{"uri":"file:///a.txt"}`, mapped, item("resources/read", "resource", "file:///a.txt")},
		{"resources/subscribe", `{"uri":"file:///a.txt"}`, mapped, item("resources/subscribe", "resource", "file:///a.txt")},
		{"resources/unsubscribe", `{"uri":"file:///a.txt"}`, mapped, item("resources/unsubscribe", "resource", "file:///a.txt")},
		{"prompts/list", `{}`, mapped, whole("prompts/list", "")},
		{"prompts/get", `{"name":"summarize"}`, mapped, item("prompts/get", "prompt", "summarize")},
		{"completion/complete", `{"ref":{"type":"ref/prompt","name":"summarize"},"argument":{"name":"a","value":"b"}}`, mapped,
			item("completion/complete", "prompt", "summarize")},
		{"completion/complete", `{"ref":{"type":"ref/resource","uri":"file:///{x}"},"argument":{"name":"x","value":"b"}}`, mapped,
			item("completion/complete", "resource", "file:///{x}")},
		{"logging/setLevel", `{"level":"debug"}`, mapped, whole("logging/setLevel", `,"level":"debug"`)},
		{"tasks/get", `{"taskId":"t1"}`, mapped, item("tasks/get", "task", "t1")},
		{"tasks/result", `{"taskId":"t1"}`, mapped, item("tasks/result", "task", "t1")},
		{"tasks/cancel", `{"taskId":"t1"}`, mapped, item("tasks/cancel", "task", "t1")},
		{"tasks/list", `{}`, mapped, whole("tasks/list", "")},
		{"server/discover", `{}`, denied, ""},
		{"resources/templates/list", `{}`, denied, ""},
		{"sampling/createMessage", `{"messages":[],"maxTokens":1}`, denied, ""},
		{"elicitation/create", `{"message":"m","requestedSchema":{"type":"object"}}`, denied, ""},
		{"roots/list", `{}`, denied, ""},
		{"x/unknown", `{}`, denied, ""},
	}
	claims := exampleClaims()
	for _, tc := range tt {
		t.Run(tc.method, func(t *testing.T) {
			pdp := &recordingPDP{}
			opts := &mcpauth.Options{Identity: mcpauth.FuncIdentity(
				func(*http.Request) (*mcpauth.Identity, error) { return identity(claims), nil })}
			newMapping(t, nil, exampleTools).Configure(opts)
			mw, err := mcpauth.New(mcpauth.AuthorizerFunc(pdp.Allowed), opts)
			if err != nil {
				t.Fatal(err)
			}
			reached := false
			h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
			}))
			msg := `{"jsonrpc":"2.0","method":"` + tc.method + `"`
			if !strings.HasPrefix(tc.method, "notifications/") {
				msg += `,"id":1`
			}
			if tc.params != "" {
				msg += `,"params":` + tc.params
			}
			msg += `}`
			r := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader([]byte(msg)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			switch tc.outcome {
			case mapped:
				if !reached || len(pdp.reqs) != 1 {
					t.Fatalf("reached %v with %d decision point calls (%s); want it reached after one", reached, len(pdp.reqs), w.Body)
				}
				sameJSON(t, pdp.reqs[0], tc.want)
			case passThrough:
				if !reached || len(pdp.reqs) != 0 {
					t.Fatalf("reached %v with %d decision point calls; want it passed through", reached, len(pdp.reqs))
				}
			case denied:
				var resp struct {
					ID    json.RawMessage `json:"id"`
					Error struct {
						Code int `json:"code"`
					} `json:"error"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
					t.Fatalf("%v: %s", err, w.Body)
				}
				got := []any{reached, len(pdp.reqs), resp.Error.Code, string(resp.ID)}
				if diff := cmp.Diff([]any{false, 0, -32001, "1"}, got); diff != "" {
					t.Errorf("reached, decision point calls, error code, id (-want +got):\n%s", diff)
				}
			}
		})
	}
}
