// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package gate

import (
	"context"
	"sync"
	"testing"
)

func TestGate(t *testing.T) {
	g := New()
	g.Wait(context.Background()) // open: returns at once
	g.Hold()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Wait(context.Background())
		}()
	}
	g.WaitHeld(3)
	g.Release()
	wg.Wait()

	g.Hold()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		g.Wait(ctx)
		close(done)
	}()
	g.WaitHeld(1)
	cancel()
	<-done

	g.Close()
	g.Hold() // a closed gate never holds again
	g.Wait(context.Background())
	g.WaitHeld(10)
}
