// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package exampletest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// RunFunc is the run function of an example's main package: it serves
// until ctx is done and calls ready with the MCP URL once it accepts
// connections.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(mcpURL string)) error

// Buffer is an io.Writer safe for concurrent writes.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start runs run on 127.0.0.1:0 (plus args) with the variables env and
// returns the MCP URL and the output. The example stops, and its error is
// checked, when the test ends.
func Start(t *testing.T, run RunFunc, env map[string]string, args ...string) (string, *Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &Buffer{}
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, out,
			func(u string) { urls <- u })
	}()
	var u string
	select {
	case u = <-urls:
	case err := <-done:
		cancel()
		t.Fatalf("run returned before serving: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return u, out
}

// Bearer is a RoundTripper that adds "Authorization: Bearer Token" when
// Token is not empty.
type Bearer struct {
	Token string
	Base  http.RoundTripper // nil means http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (b Bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	base := b.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if b.Token == "" {
		return base.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.Token)
	return base.RoundTrip(r)
}

// Connect returns a go-sdk client session to mcpURL that sends token
// (none when empty). It is closed when the test ends.
func Connect(t *testing.T, mcpURL, token string) *mcp.ClientSession {
	t.Helper()
	return ConnectWith(t, &mcp.StreamableClientTransport{
		Endpoint:   mcpURL,
		HTTPClient: &http.Client{Transport: Bearer{Token: token}},
	})
}

// ConnectWith connects a go-sdk client over tr. The session is closed when
// the test ends.
func ConnectWith(t *testing.T, tr *mcp.StreamableClientTransport) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "example-test", Version: "1.0.0"}, nil)
	cs, err := c.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// Call calls tool and returns its single text content and isError.
func Call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool(%s): %v", tool, err)
	}
	if len(res.Content) != 1 {
		t.Fatalf("CallTool(%s): got %d contents, want 1", tool, len(res.Content))
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("CallTool(%s): got %T, want text", tool, res.Content[0])
	}
	return tc.Text, res.IsError
}

// ToolNames returns the sorted names tools/list returns.
func ToolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// Case is one tool call and its expected answer.
type Case struct {
	Tool    string
	Args    map[string]any
	Text    string
	IsError bool
}

// Denied is the text of the middleware's refusal of tool.
func Denied(tool string) string {
	return `Unauthorized: not authorized to call tool "` + tool + `"`
}

// ClientCases are the calls every example checks as user "client": an
// allowed call, a denied call and both sides of the ABAC rule.
var ClientCases = []Case{
	{"greet", map[string]any{"name": "Ada"}, "Hello, Ada!", false},
	{"greet-jwt", nil, Denied("greet-jwt"), true},
	{"conditional-greet", map[string]any{"name": "Ada", "number": 5}, Denied("conditional-greet"), true},
	{"conditional-greet", map[string]any{"name": "Ada", "number": 12}, "Good day, Ada. Your number is 12.", false},
}

// Check runs every case on cs.
func Check(t *testing.T, cs *mcp.ClientSession, cases []Case) {
	t.Helper()
	for _, c := range cases {
		text, isErr := Call(t, cs, c.Tool, c.Args)
		if text != c.Text || isErr != c.IsError {
			t.Errorf("%s(%v): got %q (isError %v), want %q (isError %v)", c.Tool, c.Args, text, isErr, c.Text, c.IsError)
		}
	}
}
