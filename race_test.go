// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

//go:build race

package mcpauth

// raceEnabled reports a race-detector build, in which sync.Pool drops a
// share of what it is given and allocation counts grow.
const raceEnabled = true
