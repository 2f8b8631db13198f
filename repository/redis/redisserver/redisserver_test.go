// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redisserver_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
)

// recorder is a testing.TB that records Skipf and Fatalf and ends the
// goroutine that called them, as the real ones do.
type recorder struct {
	testing.TB
	mu    sync.Mutex // guards skip, fatal
	skip  string
	fatal string
}

func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skip = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// startWith runs Start in a goroutine of its own, for Skipf and Fatalf.
func startWith(t *testing.T) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		redisserver.Start(r, nil)
	}()
	<-done
	return r
}

// TestMissingBinary: without redis-server, a test is skipped with a
// message saying what to install; under CI it fails instead.
func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, tt := range []struct {
		ci        string
		wantSkip  bool
		wantWords string
	}{
		{"", true, "apt-get install redis-server"},
		{"false", true, "apt-get install redis-server"},
		{"true", false, "CI must install it"},
		{"1", false, "CI must install it"},
	} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := startWith(t)
			got := r.fatal
			if tt.wantSkip {
				got = r.skip
			}
			if !strings.Contains(got, tt.wantWords) || (tt.wantSkip && r.fatal != "") || (!tt.wantSkip && r.skip != "") {
				t.Errorf("skip %q, fatal %q; want the %s to say %q", r.skip, r.fatal, map[bool]string{true: "skip", false: "failure"}[tt.wantSkip], tt.wantWords)
			}
		})
	}
}

// TestKillRestart: a killed server refuses connections; a restarted one
// listens on the same port again.
func TestKillRestart(t *testing.T) {
	s := redisserver.Start(t, nil)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL() != "redis://"+s.Addr()+"/0" {
		t.Errorf("Addr %q, URL %q: want a loopback address", s.Addr(), s.URL())
	}
	ping := func() error {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		buf := make([]byte, 7)
		n, err := c.Read(buf)
		if string(buf[:n]) != "+PONG\r\n" {
			return fmt.Errorf("PING answered %q, %v", buf[:n], err)
		}
		return nil
	}
	if err := ping(); err != nil {
		t.Fatalf("running server: %v", err)
	}
	s.Kill()
	if err := ping(); err == nil {
		t.Errorf("killed server still answers")
	}
	s.Kill() // idempotent
	s.Restart()
	if err := ping(); err != nil {
		t.Errorf("restarted server: %v", err)
	}
}
