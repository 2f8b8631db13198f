// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc_test

import (
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth/internal/jsonrpc"
)

func ExampleDecode() {
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`)
	msgs, batch, err := jsonrpc.Decode(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := msgs[0]
	args, err := jsonrpc.DecodeObject(m.Arguments)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(batch, string(m.ID), m.Method, m.Name, args["text"])
	// Output: false 1 tools/call echo hi
}

func ExampleDecode_smuggling() {
	// Two "name" members: the go-sdk would run the last one, another
	// decoder might authorize the first. Decode refuses the body.
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"delete_all"}}`)
	_, _, err := jsonrpc.Decode(body)
	var e *jsonrpc.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Message)
	}
	// Output: -32600 invalid request: duplicate member name
}
