// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

//go:build !unix

package mcpauth

import "time"

// processCPU returns 0: CPU time is measured on Unix systems only.
func processCPU() time.Duration { return 0 }
