// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthgin_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthgin"
	"github.com/mcpauth/mcpauth/policy"
)

func ExampleMiddleware() {
	// Every caller is "client" here; real servers identify callers by a
	// JWT, a header or the OAuth provider.
	mw, err := mcpauth.New(policy.Demo(), &mcpauth.Options{
		Identity: mcpauth.FixedIdentity("client"),
	})
	if err != nil {
		log.Fatal(err)
	}
	mcpHandler := func(c *gin.Context) {
		d, _ := mcpauthgin.Decision(c)
		c.String(http.StatusOK, "allowed for %s", d.Identity.User.Key)
	}

	r := gin.New()
	r.POST("/mcp", mcpauthgin.Middleware(mw), mcpHandler)

	for _, tool := range []string{"greet", "greet-jwt"} {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Printf("%s: %s\n", tool, w.Body)
	}
	// Output:
	// greet: allowed for client
	// greet-jwt: {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Unauthorized: not authorized to call tool \"greet-jwt\""}],"isError":true}}
}
