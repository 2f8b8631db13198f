// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

//go:build !race

package mcpauth

const raceEnabled = false
