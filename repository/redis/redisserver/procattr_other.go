// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

//go:build !linux

package redisserver

import "os/exec"

// dieWithParent does nothing outside Linux: a test binary that dies
// without cleanup leaves its server running there.
func dieWithParent(*exec.Cmd) {}
