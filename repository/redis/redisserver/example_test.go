// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redisserver_test

import (
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
)

// Start needs the *testing.T of the test it serves (it skips the test when
// redis-server is missing, outside CI, and stops the server when the test
// ends), which an example does not have: this one shows the test function
// and is compiled, not run.
func ExampleStart() {
	testRoundTrip := func(t *testing.T) {
		srv := redisserver.Start(t, nil)
		store, err := redis.New(&redis.Options{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })

		if err := store.Set(t.Context(), "k", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if got, err := store.Get(t.Context(), "k"); err != nil || string(got) != "v" {
			t.Fatalf("Get = %q, %v; want \"v\"", got, err)
		}
	}
	_ = testRoundTrip
}
