// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redisserver

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the server when the test process
// dies, so that a test binary killed by a timeout or a crash, which runs
// no cleanup, leaves no server behind. (The signal follows the thread
// that started the process; the Go runtime ends a thread only when a
// goroutine locked to it exits, which a test's goroutine is not.)
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
