// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func figure(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "profile", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The binding's own examples, from its figures copied verbatim
// (testdata/profile), through the middleware set up by Configure: the
// tools/list result it passes on declares the mappings, the tools/call
// requests reach the decision point as the binding's resulting requests,
// and a mapping that smuggles a subject into an evaluations entry is a
// mapping error that never reaches it.
func TestProfileFigures(t *testing.T) {
	var claims map[string]any
	d := json.NewDecoder(bytes.NewReader(figure(t, "fig-token-claims")))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	roles := []any{"staff"}
	claims["roles"] = roles // the conditional example reads the caller's roles
	var list struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(figure(t, "fig-tools-list"), &list); err != nil {
		t.Fatal(err)
	}
	tools := append(list.Tools, figure(t, "fig-coaz-multi"), figure(t, "fig-coaz-conditions"))

	pdp := &recordingPDP{}
	opts := &mcpauth.Options{Identity: mcpauth.FuncIdentity(
		func(*http.Request) (*mcpauth.Identity, error) { return identity(claims), nil })}
	newMapping(t, nil, "").Configure(opts)
	mw, err := mcpauth.New(mcpauth.AuthorizerFunc(pdp.Allowed), opts)
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		json.NewDecoder(r.Body).Decode(&msg)
		result := []byte(`{"content":[]}`)
		if msg.Method == "tools/list" {
			result, _ = json.Marshal(map[string]any{"tools": tools})
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(msg.ID) + `,"result":` + string(result) + `}`))
	}))
	post := func(body []byte) (code int, out string) {
		r := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var resp struct {
			Error struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		json.Unmarshal(w.Body.Bytes(), &resp)
		return resp.Error.Code, w.Body.String()
	}
	// askOnce posts body and returns the one AuthZEN request it caused.
	askOnce := func(t *testing.T, body []byte) string {
		t.Helper()
		n := len(pdp.reqs)
		if code, out := post(body); code != 0 || len(pdp.reqs) != n+1 {
			t.Fatalf("got %s after %d decision point calls; want one call and a result", out, len(pdp.reqs)-n)
		}
		return pdp.reqs[n]
	}
	call := func(tool, args string) []byte {
		return []byte(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`)
	}

	askOnce(t, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))

	t.Run("single evaluation (fig-tools-call -> fig-authzen-single)", func(t *testing.T) {
		sameJSON(t, askOnce(t, figure(t, "fig-tools-call")), string(figure(t, "fig-authzen-single")))
	})
	t.Run("no declaration: the default tools/call mapping", func(t *testing.T) {
		sameJSON(t, askOnce(t, call("get_local_weather", `{"zip":"94110"}`)),
			`{"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"tools/call"},
			  "resource":{"type":"tool","id":"get_local_weather"},"context":{"agent":"http://agentprovider.com/agent-app-id"}}`)
	})
	t.Run("multiple evaluations (fig-coaz-multi -> fig-authzen-multi)", func(t *testing.T) {
		got := askOnce(t, call("copy_object", `{"source": "/bucket/reports/q1.pdf", "destination": "/bucket/archive/q1.pdf"}`))
		sameJSON(t, got, string(figure(t, "fig-authzen-multi")))
	})
	// fig-coaz-conditions gives no resulting request: these follow its
	// expressions.
	for _, tc := range []struct {
		name, roles, args, want string
	}{
		{"conditional: treasury, USD, over 10000", "treasury", `{"from_account":"acc-1","to_account":"acc-2","amount":15000,"currency":"USD"}`,
			`{"subject":{"type":"treasury_user","id":"alice@example.com"},"action":{"name":"domestic_transfer"},
			  "resource":{"type":"account","id":"acc-1","properties":{"sensitivity":"high"}},
			  "context":{"agent":"http://agentprovider.com/agent-app-id","target_account":"acc-2"}}`},
		{"conditional: staff, EUR, 10000 exactly", "staff", `{"from_account":"acc-1","to_account":"acc-3","amount":10000,"currency":"EUR"}`,
			`{"subject":{"type":"standard_user","id":"alice@example.com"},"action":{"name":"international_transfer"},
			  "resource":{"type":"account","id":"acc-1","properties":{"sensitivity":"standard"}},
			  "context":{"agent":"http://agentprovider.com/agent-app-id","target_account":"acc-3"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roles[0] = tc.roles
			sameJSON(t, askOnce(t, call("transfer_funds", tc.args)), tc.want)
		})
	}
	t.Run("identity smuggling refused", func(t *testing.T) {
		// fig-coaz-multi with a subject in its second entry.
		smuggled := strings.Replace(string(figure(t, "fig-coaz-multi")), `{ "action": { "name": "write" },`,
			`{ "subject": { "type": "identity", "id": "bob@example.com" }, "action": { "name": "write" },`, 1)
		if smuggled == string(figure(t, "fig-coaz-multi")) {
			t.Fatal("the figure changed: no entry to smuggle a subject into")
		}
		tools[len(tools)-2] = json.RawMessage(smuggled)
		// Listed again (the decision on tools/list is cached).
		if code, out := post([]byte(`{"jsonrpc":"2.0","id":4,"method":"tools/list"}`)); code != 0 {
			t.Fatalf("tools/list: %s", out)
		}
		n := len(pdp.reqs)
		code, out := post(call("copy_object", `{"source": "/bucket/reports/q1.pdf", "destination": "/bucket/archive/q1.pdf"}`))
		if code != -32602 || len(pdp.reqs) != n {
			t.Errorf("got %s after %d decision point calls; want -32602 and none", out, len(pdp.reqs)-n)
		}
	})
}
