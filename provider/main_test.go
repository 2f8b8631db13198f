// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"log/slog"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// zitadel's op package (the in-process OP) logs through the global slog
	// logger; keep test output readable.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
