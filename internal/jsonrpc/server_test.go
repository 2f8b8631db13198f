// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// toolRecorder records the names of the tools a go-sdk server ran.
type toolRecorder struct {
	mu  sync.Mutex
	ran []string
}

func (r *toolRecorder) handler(name string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		r.mu.Lock()
		r.ran = append(r.ran, name)
		r.mu.Unlock()
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ran " + name}}}, nil
	}
}

func (r *toolRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ran := r.ran
	r.ran = nil
	slices.Sort(ran)
	return ran
}

// TestStreamableServerBehaviour posts bodies to a real go-sdk
// StreamableHTTPHandler and compares what its tools actually ran with what
// Decode reports. For accepted bodies the server must run exactly the
// tools/call names Decode read (or refuse the body itself). For refused
// bodies the test records what the server does with them, which is why
// they are refused: a decoder that picks the first duplicate, matches case
// insensitively or reads another JSON value would authorize a different
// tool than the one that runs.
func TestStreamableServerBehaviour(t *testing.T) {
	rec := &toolRecorder{}
	server := mcp.NewServer(&mcp.Implementation{Name: "behaviour", Version: "v0.0.1"}, nil)
	for _, name := range []string{"echo", "delete_all"} {
		server.AddTool(&mcp.Tool{Name: name, InputSchema: map[string]any{"type": "object"}}, rec.handler(name))
	}
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	ts := httptest.NewServer(handler)
	defer ts.Close()

	const (
		call       = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`
		callDelete = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_all"}}`
	)
	tests := []struct {
		name string
		body string
		// For bodies Decode refuses: the tools the server runs anyway.
		serverRuns []string
	}{
		{name: "tools/call", body: call},
		{name: "escaped method key", body: `{"jsonrpc":"2.0","id":1,"\u006dethod":"tools/call","params":{"n\u0061me":"ech\u006f"}}`},
		{name: "batch", body: "[" + call + "," + strings.Replace(callDelete, `"id":1`, `"id":2`, 1) + "]"},
		{name: "response message", body: `{"jsonrpc":"2.0","id":1,"result":{}}`},
		{name: "notification", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
		{name: "tools/call with null id", body: `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"delete_all"}}`},
		{name: "nesting at the limit", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":` + nest(maxDepth-3) + `}}}`},

		// A case-insensitive, last-wins decoder (encoding/json into a
		// struct) reads tools/list; the server runs tools/call.
		{name: "METHOD after method", serverRuns: []string{"delete_all"},
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","METHOD":"tools/list","params":{"name":"delete_all"}}`},
		{name: "METHOD vs method", serverRuns: nil,
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call","params":{"name":"delete_all"}}`},
		{name: "Method alone", serverRuns: nil,
			body: `{"jsonrpc":"2.0","id":1,"Method":"tools/call","params":{"name":"delete_all"}}`},
		// A first-wins decoder reads tools/list or echo; the server keeps
		// the last member.
		{name: "duplicate method", serverRuns: []string{"delete_all"},
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"delete_all"}}`},
		{name: "duplicate name in params", serverRuns: []string{"delete_all"},
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"delete_all"}}`},
		{name: "escaped duplicate name", serverRuns: []string{"delete_all"},
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","n\u0061me":"delete_all"}}`},
		// encoding/json would read delete_all; the server runs echo.
		{name: "case-variant Name", serverRuns: []string{"echo"},
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","Name":"delete_all"}}`},
		// The server decodes the first value and ignores the rest; a
		// decoder that reads the last value sees tools/list.
		{name: "two concatenated objects", serverRuns: []string{"delete_all"},
			body: callDelete + `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`},
		{name: "trailing garbage", serverRuns: []string{"delete_all"}, body: callDelete + ` garbage`},
		{name: "BOM", serverRuns: nil, body: "\xEF\xBB\xBF" + callDelete},
		{name: "empty batch", serverRuns: nil, body: `[]`},
		{name: "nested batch", serverRuns: nil, body: "[[" + callDelete + "]]"},
		{name: "non-object params for tools/call", serverRuns: nil,
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["delete_all"]}`},
		{name: "wrong jsonrpc version", serverRuns: nil,
			body: `{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"delete_all"}}`},
		{name: "numeric method", serverRuns: nil, body: `{"jsonrpc":"2.0","id":1,"method":5}`},
		{name: "nesting over the limit", serverRuns: nil,
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":` + nest(maxDepth-2) + `}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, respBody := post(t, ts.URL, tc.body)
			ran := rec.take()
			msgs, _, err := Decode([]byte(tc.body))
			if err != nil {
				if diff := cmp.Diff(tc.serverRuns, ran); diff != "" {
					t.Errorf("Decode refused %q (%v); the server ran different tools than recorded (-want +got):\n%s", tc.body, err, diff)
				}
				return
			}
			if tc.serverRuns != nil {
				t.Fatalf("Decode accepted %q; the case expects it refused", tc.body)
			}
			var want []string
			for _, m := range msgs {
				if m.Method == methodToolsCall {
					want = append(want, m.Name)
				}
			}
			slices.Sort(want)
			if len(ran) == 0 && len(want) > 0 && status >= 400 {
				return // the server refused the body itself: nothing ran
			}
			if diff := cmp.Diff(want, ran); diff != "" {
				t.Errorf("Decode accepted %q; the server (HTTP %d, %s) ran other tools (-Decode +server):\n%s", tc.body, status, respBody, diff)
			}
		})
	}
}

// post sends body as an MCP client would and returns the status and body.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	return resp.StatusCode, string(b)
}
