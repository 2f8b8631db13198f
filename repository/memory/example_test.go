// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
)

func Example() {
	ctx := context.Background()
	s := memory.New(&memory.Options{SweepInterval: time.Minute})
	defer s.Close()

	type code struct {
		ClientID string `json:"client_id"`
	}
	codes := repository.New[code](s)
	if err := codes.Set(ctx, "mcp_0123", code{ClientID: "c1"}, 5*time.Minute); err != nil {
		panic(err)
	}
	c, err := codes.Take(ctx, "mcp_0123") // single use
	fmt.Println(c.ClientID, err)
	_, err = codes.Take(ctx, "mcp_0123")
	fmt.Println(errors.Is(err, repository.ErrNotFound))
	// Output:
	// c1 <nil>
	// true
}
