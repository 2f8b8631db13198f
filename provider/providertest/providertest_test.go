// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package providertest_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository/memory"
)

func TestMain(m *testing.M) {
	// The example OP logs every request through the default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

func TestReplicaFlowMemory(t *testing.T) {
	providertest.ReplicaFlow(t, memory.New(nil))
}
