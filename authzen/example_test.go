// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package authzen_test

import (
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth/authzen"
)

// A PDP parses an Access Evaluation request strictly and takes the
// evaluations it asks for from Effective (which applies the defaults of an
// Access Evaluations request and requires a subject, an action and a
// resource in each); a client parses the decision it gets back.
func ExampleParseRequest() {
	req, err := authzen.ParseRequest([]byte(`{
		"subject": {"type": "user", "id": "alice"},
		"action": {"name": "greet"},
		"resource": {"type": "mcp_server", "id": "mcp_server", "properties": {"tenant": "default"}}
	}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Subject.ID, req.Action.Name, req.Resource.Type, req.Resource.Properties["tenant"])

	noResource, err := authzen.ParseRequest([]byte(`{"subject": {"type": "user", "id": "alice"}, "action": {"name": "greet"}}`))
	if err != nil {
		panic(err)
	}
	_, err = noResource.Effective()
	fmt.Println(errors.Is(err, authzen.ErrMissing))

	d, err := authzen.ParseDecision([]byte(`{"decision": false, "context": {"reason": "not a member"}}`))
	fmt.Println(d.Decision, d.Context["reason"], err)
	// Output:
	// alice greet mcp_server default
	// true
	// false not a member <nil>
}

// The metadata of a PDP with a path in its identifier is served below the
// well-known prefix.
func ExampleWellKnownURL() {
	u, err := authzen.WellKnownURL("https://pdp.example.com/tenant1")
	fmt.Println(u, err)
	// Output: https://pdp.example.com/.well-known/authzen-configuration/tenant1 <nil>
}
