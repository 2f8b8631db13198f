// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"crypto/tls"
	"fmt"
	"log"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/repository/redis"
)

// New from a URL: the store builds a single-server client, and closes it
// in Close. New makes no call to the server.
func ExampleNew() {
	store, err := redis.New(&redis.Options{
		URL:    "rediss://mcpauth:password@cache.internal:6380/0",
		Prefix: "mcpauth-prod",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Println(store.Key("mcpauth/provider/access/0e3f"))
	fmt.Println(store.Key("client:{42}"))
	// Output:
	// mcpauth-prod:mcpauth/provider/access/0e3f
	// mcpauth-prod:client%3A%7B42%7D
}

// New with a Sentinel-backed client (a Cluster client works the same
// way). The store does not close a client it was given.
func ExampleNew_sentinel() {
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs:      []string{"sentinel-1:26379", "sentinel-2:26379", "sentinel-3:26379"},
		MasterName: "mcpauth",
		Username:   "mcpauth",
		Password:   "password",
		TLSConfig:  &tls.Config{MinVersion: tls.VersionTLS12},
	})
	defer client.Close()
	store, err := redis.New(&redis.Options{Client: client})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Println(store.Key("k"))
	// Output: mcpauth:k
}
