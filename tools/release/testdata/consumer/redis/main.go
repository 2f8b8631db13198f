// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// A user of github.com/mcpauth/mcpauth/repository/redis alone: the store
// built from a URL (New makes no call to the server; none is needed).
package main

import (
	"fmt"
	"log"

	"github.com/mcpauth/mcpauth/repository/redis"
)

func main() {
	store, err := redis.New(&redis.Options{URL: "redis://127.0.0.1:1/0", Prefix: "consumer"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if got, want := store.Key("client/abc"), "consumer:client/abc"; got != want {
		log.Fatalf("Key: %q, want %q", got, want)
	}
	fmt.Println("redis: store opened")
}
