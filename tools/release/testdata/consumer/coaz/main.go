// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// A user of github.com/mcpauth/mcpauth/authzen/coaz alone: the middleware
// with the COAZ mapping, asking a loopback AuthZEN decision point that
// permits everything, in front of a handler that answers one tool call.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen/coaz"
)

func main() {
	asked := 0
	pdp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"decision":true}`)
	}))
	defer pdp.Close()
	authz, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: pdp.URL})
	if err != nil {
		log.Fatal(err)
	}
	mapping, err := coaz.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	opts := &mcpauth.Options{}
	mapping.Configure(opts)
	mw, err := mcpauth.New(authz, opts)
	if err != nil {
		log.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello"}]}}`)
	}))
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{}}}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "hello") || asked == 0 {
		log.Fatalf("tools/call: %d %s after %d decisions, want the handler's answer after one", w.Code, w.Body, asked)
	}
	fmt.Println("coaz: tools/call allowed by the decision point")
}
