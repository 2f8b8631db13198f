// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// allowGreetOnly is a tiny Authorizer for the examples: it allows the
// "greet" tool and nothing else.
var allowGreetOnly = mcpauth.AuthorizerFunc(func(_ context.Context, c mcpauth.Check) (bool, error) {
	return c.Action == "greet", nil
})

func ExampleNew() {
	mw, err := mcpauth.New(allowGreetOnly, &mcpauth.Options{
		ServerName: "mcp_server",
		Identity:   mcpauth.HeaderIdentity("X-User", ""),
	})
	if err != nil {
		panic(err)
	}
	mcpServer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Hello!"}]}}`)
	})
	h := mw.Handler(mcpServer)

	for _, tool := range []string{"greet", "delete_everything"} {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-User", "alice")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Hello!"}]}}
	// 200 {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Unauthorized: not authorized to call tool \"delete_everything\""}],"isError":true}}
}

func ExampleMiddleware_Check() {
	mw, err := mcpauth.New(allowGreetOnly, nil)
	if err != nil {
		panic(err)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"conditional-greet","arguments":{"number":12}}}`
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")

	d, err := mw.Check(r)
	c := d.Checks[0]
	fmt.Println("allowed:", d.Allowed)
	fmt.Println("user:", c.User.Key, "action:", c.Action, "resource:", c.Resource.Type, "tenant:", c.Resource.Tenant)
	fmt.Println("arg_number:", c.Resource.Attributes["arg_number"])
	fmt.Println("error:", err)
	// Output:
	// allowed: false
	// user: client action: conditional-greet resource: mcp_server tenant: default
	// arg_number: 12
	// error: mcpauth: forbidden
}

func ExampleDefaultMapping() {
	opts := &mcpauth.Options{ServerName: "billing"}
	base := mcpauth.DefaultMapping(opts)
	// Add the caller's client name to every check.
	opts.Mapping = func(ctx context.Context, r *mcpauth.Request) (*mcpauth.Check, bool, error) {
		c, ok, err := base(ctx, r)
		if ok && err == nil {
			c.Context = map[string]any{"client": r.HTTP.Header.Get("X-Client")}
		}
		return c, ok, err
	}
	mw, err := mcpauth.New(allowGreetOnly, opts)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/mcp",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"invoice://42"}}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Client", "desktop")
	d, _ := mw.Check(r)
	c := d.Checks[0]
	fmt.Println(c.Resource.Type, c.Resource.Key, c.Action, c.Context["client"])
	// Output:
	// billing_resources invoice://42 read desktop
}
