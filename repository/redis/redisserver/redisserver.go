// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package redisserver runs a real redis-server process for tests, the way
// net/http/httptest runs an HTTP server: on a free loopback port, with
// nothing saved to disk unless asked, stopped when the test ends.
//
//	srv := redisserver.Start(t, nil)
//	store, err := redis.New(&redis.Options{URL: srv.URL()})
//
// When no redis-server binary is on PATH, [Start] skips the test with a
// message saying what to install, except under CI (the CI environment
// variable set to anything but "" or "false"), where a missing server
// fails the test: CI must never pass by skipping.
package redisserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Binary is the name of the server binary looked up on PATH.
const Binary = "redis-server"

// maxPortAttempts bounds the retries when another process takes the free
// port between its discovery and the server's bind.
const maxPortAttempts = 5

// Options configures a server. The zero value runs a server that keeps
// everything in memory (no RDB snapshots, no append-only file).
type Options struct {
	// Args are extra arguments for redis-server, appended after the
	// defaults (later arguments win), for example
	// []string{"--appendonly", "yes", "--appendfsync", "always"}.
	Args []string
	// Dir is the server's working directory, where persistence files go.
	// Default: a new t.TempDir().
	Dir string
}

// Server is a running redis-server process. Its methods are for the test
// goroutine; Addr and URL may be called from any goroutine.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	args []string
	port int

	mu   sync.Mutex // guards proc
	proc *process
}

// process is one run of the server.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been waited for

	logMu   sync.Mutex    // guards log, seen, newLine
	log     []string      // the server's last output lines, for failure messages
	seen    []string      // every line that matched a pattern of await
	newLine chan struct{} // closed and replaced at each line
}

// Start starts a server and stops it when the test ends (t.Cleanup).
func Start(t testing.TB, opts *Options) *Server {
	t.Helper()
	bin := lookPath(t, Binary)
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	s := &Server{t: t, bin: bin, dir: o.Dir, args: o.Args}
	t.Cleanup(s.Kill)
	var lastErr error
	for range maxPortAttempts {
		port, err := freePort()
		if err != nil {
			t.Fatalf("redisserver: find a free port: %v", err)
		}
		s.port = port
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redisserver: %v", lastErr)
	return nil
}

// lookPath finds a program of the Debian package redis-server (or of
// redis-tools, which it depends on), or skips the test, or fails it under
// CI.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" {
			t.Fatalf("redisserver: %s not found on PATH, and CI=%s: CI must install it (Debian package redis-server)", name, ci)
		}
		t.Skipf("redisserver: %s not found on PATH; install it (Debian: apt-get install redis-server) to run this test", name)
	}
	return path
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs the server on s.port and returns once it accepts
// connections, or with an error (and the server's output) when it exits
// first.
func (s *Server) start() error {
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "no",
		"--logfile", "",
		"--daemonize", "no",
	}
	args = append(args, s.args...)
	cmd := exec.Command(s.bin, args...)
	// The output goes through a pipe of our own rather than StdoutPipe,
	// whose read end Wait closes, possibly before the last lines are read.
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = w, w
	dieWithParent(cmd)
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return fmt.Errorf("start %s: %w", Binary, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{}), newLine: make(chan struct{})}
	ready, drained := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(drained)
		defer r.Close()
		p.read(r, ready)
	}()
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	select {
	case <-ready:
		s.mu.Lock()
		s.proc = p
		s.mu.Unlock()
		return nil
	case <-p.exited:
		<-drained
		return fmt.Errorf("%s exited before accepting connections on port %d; its output:\n%s", Binary, s.port, p.output())
	}
}

// read copies the server's output lines into p.log (the last 50), wakes
// the waiters of await, and closes ready at the line that says the server
// accepts connections.
func (p *process) read(r io.Reader, ready chan<- struct{}) {
	sc := bufio.NewScanner(r)
	signalled := false
	for sc.Scan() {
		line := sc.Text()
		p.logMu.Lock()
		p.log = append(p.log, line)
		if len(p.log) > 50 {
			p.log = p.log[1:]
		}
		if strings.Contains(line, "Cluster state changed") {
			p.seen = append(p.seen, line)
		}
		close(p.newLine)
		p.newLine = make(chan struct{})
		p.logMu.Unlock()
		if !signalled && strings.Contains(line, "Ready to accept connections") {
			signalled = true
			close(ready)
		}
	}
}

// awaitClusterOK returns once the server has logged that its cluster state
// is ok, or with an error when it exits first.
func (p *process) awaitClusterOK() error {
	for {
		p.logMu.Lock()
		ok := slices.ContainsFunc(p.seen, func(l string) bool { return strings.HasSuffix(l, "Cluster state changed: ok") })
		next := p.newLine
		p.logMu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-next:
		case <-p.exited:
			return fmt.Errorf("%s exited before its cluster state was ok; its output:\n%s", Binary, p.output())
		}
	}
}

func (p *process) output() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return strings.Join(p.log, "\n")
}

// Addr returns the server's host:port.
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// URL returns a redis:// URL for the server's database 0.
func (s *Server) URL() string {
	return "redis://" + s.Addr() + "/0"
}

// Dir returns the server's working directory.
func (s *Server) Dir() string { return s.dir }

// Kill stops the server at once (SIGKILL), as a crash or a lost machine
// would, and waits for the process to exit. Only what the server had
// written to disk survives (see [Options.Args] for persistence). Killing a
// stopped server does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Errorf("redisserver: kill: %v", err)
	}
	<-p.exited
}

// Restart starts the server again, after [Server.Kill], on the same port
// with the same directory and arguments: with persistence on, it reloads
// what was written before.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		s.t.Fatalf("redisserver: restart: %v", err)
	}
}

// Cluster is a Redis Cluster of masters without replicas, each a
// [Server] of its own.
type Cluster struct {
	Servers []*Server
}

// StartCluster starts masters servers in cluster mode and joins them into
// one cluster with redis-cli --cluster create, which returns once every
// node agrees on the slot map. The servers stop when the test ends.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	c := &Cluster{}
	for range masters {
		c.Servers = append(c.Servers, Start(t, &Options{Args: []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000",
		}}))
	}
	cli := lookPath(t, "redis-cli")
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redisserver: redis-cli --cluster create: %v\n%s", err, out)
	}
	// redis-cli returns once the nodes agree on the slot map; a node
	// serves only once it logs that its cluster state is ok (at the
	// earliest two seconds after it started).
	for _, s := range c.Servers {
		s.mu.Lock()
		p := s.proc
		s.mu.Unlock()
		if err := p.awaitClusterOK(); err != nil {
			t.Fatalf("redisserver: %v", err)
		}
	}
	return c
}

// Addrs returns the host:port of every node.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		addrs[i] = s.Addr()
	}
	return addrs
}
