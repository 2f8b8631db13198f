// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"os"
	"testing"

	"github.com/redis/go-redis/v9/logging"
)

// TestMain silences go-redis's process-wide logger, which reports every
// failed dial of the tests that stop the server on purpose.
func TestMain(m *testing.M) {
	logging.Disable()
	os.Exit(m.Run())
}
