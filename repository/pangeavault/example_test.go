// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/mcpauth/mcpauth/internal/pangeavaulttest"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/pangeavault"
)

func Example() {
	// In production: Token from the environment, default domain.
	// Here: the Pangea Vault test double.
	srv := pangeavaulttest.Start(nil)
	defer srv.Close()

	store, err := pangeavault.New(&pangeavault.Options{
		Token:      srv.Token(),
		BaseURL:    srv.URL,
		HTTPClient: srv.Client(),
		Folder:     "mcpauth/access_tokens",
	})
	if err != nil {
		log.Fatal(err)
	}
	type accessToken struct {
		ClientID string   `json:"client_id"`
		Scopes   []string `json:"scopes"`
	}
	tokens := repository.New[accessToken](store)
	ctx := context.Background()
	key := "sha256-ab+/cd=="
	if err := tokens.Set(ctx, key, accessToken{ClientID: "c1", Scopes: []string{"user"}}, time.Hour); err != nil {
		log.Fatal(err)
	}
	tok, err := tokens.Get(ctx, key)
	fmt.Println(tok.ClientID, tok.Scopes, err)
	fmt.Println(srv.Items()[0].Name)

	_, err = tokens.Take(ctx, key)
	fmt.Println(errors.Is(err, repository.ErrUnsupported))
	// Output:
	// c1 [user] <nil>
	// mcpauth_onugcmrvgywwcyrlf5rwipj5
	// true
}
