// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package repositorytest

import (
	"sync"
	"time"
)

// Clock is a fake clock for [Harness.Advance]: pass its Now method as a
// backend's clock and its Advance method as the harness's. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

// NewClock returns a clock that reads start until advanced.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
