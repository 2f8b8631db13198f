// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repository_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
)

func ExampleNew() {
	type client struct {
		ID           string   `json:"client_id"`
		RedirectURIs []string `json:"redirect_uris"`
	}
	ctx := context.Background()
	clients := repository.New[client](memory.New(nil))

	_, err := clients.Get(ctx, "c1")
	fmt.Println(errors.Is(err, repository.ErrNotFound))

	if err := clients.Set(ctx, "c1", client{ID: "c1", RedirectURIs: []string{"https://app.example/cb"}}, 0); err != nil {
		panic(err)
	}
	c, err := clients.Get(ctx, "c1")
	fmt.Println(c.RedirectURIs, err)

	err = clients.Create(ctx, "c1", client{ID: "c1"}, time.Hour)
	fmt.Println(errors.Is(err, repository.ErrConflict))
	// Output:
	// true
	// [https://app.example/cb] <nil>
	// true
}

// A store lacking an optional ability makes the typed layer fail loudly.
func ExampleRepository_Take_unsupported() {
	var s repository.Store = getSetDeleteOnly{memory.New(nil)}
	codes := repository.New[string](s)
	_, err := codes.Take(context.Background(), "mcp_0123")
	fmt.Println(errors.Is(err, repository.ErrUnsupported))
	// Output: true
}

// getSetDeleteOnly hides the optional abilities of the store it wraps.
type getSetDeleteOnly struct{ s repository.Store }

func (g getSetDeleteOnly) Get(ctx context.Context, k string) ([]byte, error) { return g.s.Get(ctx, k) }
func (g getSetDeleteOnly) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	return g.s.Set(ctx, k, v, ttl)
}
func (g getSetDeleteOnly) Delete(ctx context.Context, k string) error { return g.s.Delete(ctx, k) }
