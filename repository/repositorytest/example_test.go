// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repositorytest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// A backend's test runs the suite with a Harness whose stores all read one
// Clock, so expiry is checked without sleeping:
//
//	func TestConformance(t *testing.T) {
//		clock := repositorytest.NewClock(time.Unix(1_700_000_000, 0))
//		repositorytest.Run(t, repositorytest.Harness{
//			New: func(t *testing.T) repository.Store {
//				s := memory.New(&memory.Options{Clock: clock.Now})
//				t.Cleanup(func() { s.Close() })
//				return s
//			},
//			Advance: clock.Advance,
//		})
//	}
//
// Here the same clock decides when a record expires.
func ExampleClock() {
	clock := repositorytest.NewClock(time.Unix(1_700_000_000, 0))
	store := memory.New(&memory.Options{Clock: clock.Now})
	defer store.Close()
	ctx := context.Background()

	if err := store.Set(ctx, "code", []byte("v"), time.Minute); err != nil {
		panic(err)
	}
	clock.Advance(59 * time.Second)
	v, err := store.Get(ctx, "code")
	fmt.Printf("%s %v\n", v, err)
	clock.Advance(time.Second)
	_, err = store.Get(ctx, "code")
	fmt.Println(errors.Is(err, repository.ErrNotFound))
	// Output:
	// v <nil>
	// true
}

// Every awkward key is stored under its own record.
func ExampleAwkwardKeys() {
	store := memory.New(nil)
	defer store.Close()
	ctx := context.Background()
	keys := repositorytest.AwkwardKeys()
	for i, k := range keys {
		if err := store.Set(ctx, k, []byte(fmt.Sprint(i)), 0); err != nil {
			panic(err)
		}
	}
	distinct := 0
	for i, k := range keys {
		if v, err := store.Get(ctx, k); err == nil && string(v) == fmt.Sprint(i) {
			distinct++
		}
	}
	fmt.Println(distinct == len(keys), len(keys) > 50)
	// Output: true true
}
