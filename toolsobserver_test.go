// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"encoding/json"
	"net/http"
	"testing"
)

// OnToolsList sees every tool as the server sent it, with list filtering on
// (before filtering) and off (the result then passes unchanged), for JSON
// and SSE responses, and is not called for other lists.
func TestOnToolsList(t *testing.T) {
	const sse = "event: message\ndata: " + toolsResult + "\n\n"
	tt := []struct {
		name        string
		filtering   bool
		contentType string
		body        string
		method      string
		wantTools   int
		wantBody    string
	}{
		{"filtering, JSON", true, "application/json", toolsResult, "tools/list", 3,
			`{"jsonrpc":"2.0","id":4,"result":{"cacheScope":"private","tools":[{"name":"greet","inputSchema":{"type":"object"}}],"nextCursor":"c2"}}`},
		{"no filtering, JSON", false, "application/json", toolsResult, "tools/list", 3, toolsResult},
		{"no filtering, SSE", false, "text/event-stream", sse, "tools/list", 3, sse},
		{"no filtering, not a list", false, "application/json", `{"jsonrpc":"2.0","id":4,"result":{"tools":7}}`, "tools/list", -1,
			`{"jsonrpc":"2.0","id":4,"result":{"tools":7}}`},
		{"no filtering, an error", false, "application/json", `{"jsonrpc":"2.0","id":4,"error":{"code":-1,"message":"x"}}`, "tools/list", -1,
			`{"jsonrpc":"2.0","id":4,"error":{"code":-1,"message":"x"}}`},
		{"prompts/list", false, "application/json", `{"jsonrpc":"2.0","id":4,"result":{"prompts":[]}}`, "prompts/list", -1,
			`{"jsonrpc":"2.0","id":4,"result":{"prompts":[]}}`},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			got := -1
			var names []string
			lists := ListFilterItems
			if !tc.filtering {
				lists = ListCheckOnly
			}
			m, err := New(&recorder{allow: func(c Check) bool { return c.Action == "greet" || c.Action == "list" }}, &Options{
				ListFiltering: lists,
				OnToolsList: func(r *http.Request, tools []json.RawMessage) {
					if r == nil {
						t.Error("no request")
					}
					got = len(tools)
					for _, raw := range tools {
						var tool struct{ Name string }
						_ = json.Unmarshal(raw, &tool)
						names = append(names, tool.Name)
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			h := &listHandler{contentType: tc.contentType, chunks: []string{tc.body}}
			w := serve(t, m, h, postJSON(`{"jsonrpc":"2.0","id":4,"method":"`+tc.method+`"}`))
			if got != tc.wantTools {
				t.Errorf("OnToolsList got %d tools (%v), want %d", got, names, tc.wantTools)
			}
			if w.Body.String() != tc.wantBody {
				t.Errorf("body:\n got %s\nwant %s", w.Body, tc.wantBody)
			}
		})
	}
}
