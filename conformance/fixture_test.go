// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// everythingServerPkg is the go-sdk's own conformance fixture: the server
// the go-sdk runs the official suite against. It is built from the module
// the root module already requires, so the version under test is the one
// go.mod pins.
const everythingServerPkg = "github.com/modelcontextprotocol/go-sdk/conformance/everything-server"

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
	buildDir  string
)

// everythingServerBinary builds [everythingServerPkg] once per test binary
// and returns the path of the executable.
func everythingServerBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("go command not found: %w", err)
			return
		}
		// One directory for the whole test binary: TestMain removes it.
		buildBin = filepath.Join(buildDir, "everything-server")
		cmd := exec.Command(goBin, "build", "-o", buildBin, everythingServerPkg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build %s: %v\n%s", everythingServerPkg, err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// startEverythingServer runs the everything server in stateful Streamable
// HTTP mode on a free loopback port (as the go-sdk's own conformance script
// does) and returns its base URL. The process is stopped when the test ends.
func startEverythingServer(t *testing.T) *url.URL {
	t.Helper()
	bin := everythingServerBinary(t)
	// The server takes an address, not a listener: find a free port, free
	// it and hand it over. Another process may take it in between; the
	// server then exits, and we try another port.
	var lastErr error
	for range 3 {
		u, err := tryStartEverythingServer(t, bin)
		if err == nil {
			return u
		}
		lastErr = err
	}
	t.Fatalf("starting the everything server: %v", lastErr)
	return nil
}

func tryStartEverythingServer(t *testing.T, bin string) (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()

	// The server logs this line just before it binds its address.
	logs := newChildLog("Conformance server listening at")
	cmd := exec.Command(bin, "-http="+addr, "-stateless=false")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}

	select {
	case <-logs.seen:
	case <-exited:
		return nil, fmt.Errorf("everything server exited before listening (%v):\n%s", waitErr, logs)
	}
	// Between that log line and the bind there are a few instructions:
	// connection attempts are refused only until the listener exists. No
	// sleep: each refused attempt yields and tries again, until the server
	// accepts or exits.
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			stop()
			return nil, err
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("everything server exited (%v):\n%s", waitErr, logs)
		default:
			runtime.Gosched()
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("everything server on %s logged:\n%s", addr, logs)
		}
	})
	return &url.URL{Scheme: "http", Host: addr}, nil
}

// newProxy returns a reverse proxy to target that changes nothing the MCP
// server can see: the client's Host header is kept (the go-sdk server's DNS
// rebinding protection judges it), and every write of a response, such as
// each SSE event, is flushed at once. Its error log (clients hanging up on
// streams, mostly) is shown if the test fails.
//
// The proxy runs in full-duplex mode. Otherwise, when the server answers
// before the proxy has seen the end of the request body (the go-sdk server
// starts an SSE response as soon as it has parsed the request), net/http
// consumes and closes the rest of the incoming body as the proxy writes the
// response header; the proxy's transport, still finishing the outgoing
// request, then fails to read it and drops the connection, and with it the
// SSE stream. That broke about one sampling or elicitation scenario in
// twenty on the bare side; behind the middleware, which reads the whole
// body before passing it on, it never happened.
func newProxy(t *testing.T, target *url.URL) http.Handler {
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() && logs.String() != "" {
			t.Logf("proxy to %s logged:\n%s", target, logs)
		}
	})
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		FlushInterval: -1,
		ErrorLog:      log.New(logs, "", 0),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
			t.Errorf("proxy to %s: %v", target, err)
		}
		rp.ServeHTTP(w, r)
	})
}

// syncBuffer is a log safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// childLog collects a child process's output and closes seen once the
// output contains marker.
type childLog struct {
	syncBuffer
	marker string
	seen   chan struct{}
	once   sync.Once
}

func newChildLog(marker string) *childLog {
	return &childLog{marker: marker, seen: make(chan struct{})}
}

func (l *childLog) Write(p []byte) (int, error) {
	n, err := l.syncBuffer.Write(p)
	if strings.Contains(l.String(), l.marker) {
		l.once.Do(func() { close(l.seen) })
	}
	return n, err
}

// serve serves h on a free loopback port until the test ends and returns
// its base URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		// Close, not Shutdown: open SSE streams never end by themselves.
		srv.Close()
		<-done
	})
	return "http://" + l.Addr().String()
}
