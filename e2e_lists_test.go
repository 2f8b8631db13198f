// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// listServer returns a go-sdk server with every kind of listable item
// whose name (or URI) is in names.
func listServer(names []string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "lists", Version: "1.0.0"}, nil)
	for _, n := range names {
		mcp.AddTool(s, &mcp.Tool{Name: n, Description: "tool " + n},
			func(ctx context.Context, req *mcp.CallToolRequest, in greetIn) (*mcp.CallToolResult, any, error) {
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil, nil
			})
		s.AddPrompt(&mcp.Prompt{Name: n, Description: "prompt " + n, Arguments: []*mcp.PromptArgument{{Name: "x"}}},
			func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
				return &mcp.GetPromptResult{}, nil
			})
		s.AddResource(&mcp.Resource{URI: "file:///" + n, Name: n, MIMEType: "text/plain"},
			func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
				return &mcp.ReadResourceResult{}, nil
			})
		s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "db://" + n + "/{id}", Name: n},
			func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
				return &mcp.ReadResourceResult{}, nil
			})
	}
	return s
}

// denySecret denies every item whose name or URI holds "secret".
var denySecret = mcpauth.AuthorizerFunc(func(_ context.Context, c mcpauth.Check) (bool, error) {
	for _, a := range []string{mcpauth.AttrToolName, mcpauth.AttrPromptName, mcpauth.AttrResourceURI} {
		if s, _ := c.Resource.Attributes[a].(string); strings.Contains(s, "secret") {
			return false, nil
		}
	}
	return true, nil
})

// postList posts a list request to url and returns the response and its
// body.
func postList(t *testing.T, url, method string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url,
		strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"`+method+`","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("X-User", "alice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", method, resp.StatusCode, body)
	}
	return resp, string(body)
}

// TestEndToEndListsByteForByte proves that a filtered list is exactly what
// the server sends when it has only the allowed items, but for the cache
// scope: the go-sdk server with every item behind the middleware against
// the same server holding only the items the policy allows, for the four
// list methods, with JSON and SSE responses.
func TestEndToEndListsByteForByte(t *testing.T) {
	all := []string{"alpha", "beta_secret", "delta", "gamma.secret", "omega"}
	allowed := []string{"alpha", "delta", "omega"}
	for _, mode := range []struct {
		name string
		json bool
	}{{"json", true}, {"sse", false}} {
		t.Run(mode.name, func(t *testing.T) {
			opts := &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: mode.json}
			mw, err := mcpauth.New(denySecret, &mcpauth.Options{
				Identity: mcpauth.HeaderIdentity("X-User", ""),
			})
			if err != nil {
				t.Fatal(err)
			}
			full, want := listServer(all), listServer(allowed)
			wrapped := httptest.NewServer(mw.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return full }, opts)))
			defer wrapped.Close()
			bare := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return want }, opts))
			defer bare.Close()
			for _, method := range []string{mcpauth.MethodToolsList, mcpauth.MethodPromptsList,
				mcpauth.MethodResourcesList, mcpauth.MethodResourcesTemplatesList} {
				t.Run(method, func(t *testing.T) {
					_, expected := postList(t, bare.URL, method)
					if !strings.Contains(expected, `"cacheScope":"public"`) {
						t.Fatalf("the bare server's answer has no public cacheScope: %s", expected)
					}
					expected = strings.Replace(expected, `"cacheScope":"public"`, `"cacheScope":"private"`, 1)
					for round := 0; round < 2; round++ { // cold, then every decision cached
						resp, got := postList(t, wrapped.URL, method)
						if got != expected {
							t.Errorf("round %d:\n got %q\nwant %q", round, got, expected)
						}
						if mode.json && resp.ContentLength != int64(len(got)) {
							t.Errorf("Content-Length %d for %d bytes", resp.ContentLength, len(got))
						}
					}
				})
			}
		})
	}
}

// TestEndToEndFilteredListIsPrivate is the regression test for security
// issue #10 point 4: a list filtered for one user must never be declared
// shareable. The go-sdk marks every list "public"; behind the middleware
// the result says "private" and so does Cache-Control.
func TestEndToEndFilteredListIsPrivate(t *testing.T) {
	for _, jsonResponse := range []bool{true, false} {
		server := listServer([]string{"alpha", "beta_secret"})
		mw, err := mcpauth.New(denySecret, &mcpauth.Options{
			Identity: mcpauth.HeaderIdentity("X-User", ""),
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mw.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
			&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: jsonResponse})))
		defer srv.Close()

		// What a go-sdk client reads.
		client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
		cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
			Endpoint:   srv.URL,
			HTTPClient: &http.Client{Transport: &headerTransport{base: http.DefaultTransport, header: "X-User", value: "alice"}},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := cs.ListTools(context.Background(), nil)
		cs.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Tools) != 1 || res.Tools[0].Name != "alpha" {
			t.Errorf("listed %d tools, want alpha only", len(res.Tools))
		}
		if res.CacheScope != "private" {
			t.Errorf("JSON response %v: cacheScope %q, want \"private\"", jsonResponse, res.CacheScope)
		}

		// What a shared HTTP cache reads.
		resp, _ := postList(t, srv.URL, mcpauth.MethodToolsList)
		cc := resp.Header.Values("Cache-Control")
		if len(cc) != 1 || !strings.Contains(cc[0], "private") || strings.Contains(cc[0], "public") {
			t.Errorf("JSON response %v: Cache-Control %q, want private and never public", jsonResponse, cc)
		}
		if v := resp.Header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "X-User") {
			t.Errorf("JSON response %v: Vary %q, want the identity header", jsonResponse, v)
		}
	}
}
