// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// demoGrantingGreetJWT is the demo policy with greet-jwt granted to Client.
func demoGrantingGreetJWT(t *testing.T) []byte {
	t.Helper()
	src := string(policy.DemoJSON())
	out := strings.Replace(src, `"mcp_server:login",
        "mcp_server_tools:list"
      ]
    },
    "Guest"`, `"mcp_server:login",
        "mcp_server_tools:list",
        "mcp_server:greet-jwt"
      ]
    },
    "Guest"`, 1)
	if out == src {
		t.Fatal("demo.json changed shape: cannot grant greet-jwt to Client")
	}
	return []byte(out)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func checkAllowed(t *testing.T, a mcpauth.Authorizer, c mcpauth.Check) bool {
	t.Helper()
	ok, err := a.Allowed(context.Background(), c)
	if err != nil {
		t.Fatalf("Allowed: %v", err)
	}
	return ok
}

// syncBuffer is a bytes.Buffer safe for a logger shared with a goroutine.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWatcherReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.json")
	writeFile(t, path, policy.DemoJSON())
	var logs syncBuffer
	type reload struct {
		p   *policy.Policy
		err error
	}
	var reloads []reload
	w, err := policy.NewWatcher(path, &policy.WatchOptions{
		Interval: -1,
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		OnReload: func(p *policy.Policy, err error) { reloads = append(reloads, reload{p, err}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	greetJWT := toolCall("client", "greet-jwt", nil)
	if checkAllowed(t, w, greetJWT) {
		t.Fatal("client greet-jwt before reload: got allowed, want denied")
	}

	// A valid change takes effect on Reload.
	writeFile(t, path, demoGrantingGreetJWT(t))
	if err := w.Reload(); err != nil {
		t.Fatalf("Reload(valid): %v", err)
	}
	if !checkAllowed(t, w, greetJWT) {
		t.Fatal("client greet-jwt after reload: got denied, want allowed")
	}
	if !w.Explain(greetJWT).Allowed {
		t.Error("Explain after reload: got denied, want allowed")
	}
	if len(reloads) != 1 || reloads[0].err != nil || reloads[0].p != w.Policy() {
		t.Errorf("OnReload after a valid reload: got %+v, want one call with the new policy", reloads)
	}
	if !strings.Contains(logs.String(), "policy: reloaded") {
		t.Errorf("log: got %q, want a \"policy: reloaded\" record", logs.String())
	}

	// An invalid change is refused; the previous policy stays in force.
	before := w.Policy()
	writeFile(t, path, []byte("{\n  \"roles\": {\"Client\": {\"permissions\": [\"mcp_server:nope\"]}}\n}\n"))
	err = w.Reload()
	want := "policy: " + path + `:2:40: roles.Client.permissions[0]: permission "mcp_server:nope" names undeclared resource "mcp_server"`
	if err == nil || err.Error() != want {
		t.Fatalf("Reload(invalid): got %v, want %s", err, want)
	}
	if w.Policy() != before {
		t.Error("Policy after an invalid reload: got a new policy, want the previous one")
	}
	if !checkAllowed(t, w, greetJWT) {
		t.Error("client greet-jwt after an invalid reload: got denied, want the previous policy's allow")
	}
	if ok, err := w.AllowedBulk(context.Background(), []mcpauth.Check{greetJWT}); err != nil || !ok[0] {
		t.Errorf("AllowedBulk after an invalid reload: got (%v, %v), want ([true], nil)", ok, err)
	}
	if len(reloads) != 2 || reloads[1].err == nil || reloads[1].p != before {
		t.Errorf("OnReload after an invalid reload: got %+v, want the error and the previous policy", reloads)
	}
	if l := logs.String(); !strings.Contains(l, "keeping the previous policy") || !strings.Contains(l, "names undeclared resource") {
		t.Errorf("log: got %q, want the reason the file was refused", l)
	}

	// A missing file is refused too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Reload(missing): got %v, want fs.ErrNotExist", err)
	}
	if w.Policy() != before {
		t.Error("Policy after a failed read: got a new policy, want the previous one")
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewWatcherErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, []byte(`{"users": 1}`))
	if _, err := policy.NewWatcher(bad, nil); err == nil || err.Error() != "policy: "+bad+":1:11: users: want an object, got a number" {
		t.Errorf("NewWatcher(invalid): got %v", err)
	}
	if _, err := policy.NewWatcher(filepath.Join(dir, "missing.json"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NewWatcher(missing): got %v, want fs.ErrNotExist", err)
	}
}

func TestWatcherPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "policy.json")
		writeFile(t, path, policy.DemoJSON())
		type reload struct {
			p   *policy.Policy
			err error
		}
		reloads := make(chan reload)
		w, err := policy.NewWatcher(path, &policy.WatchOptions{
			Interval: time.Second,
			OnReload: func(p *policy.Policy, err error) { reloads <- reload{p, err} },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		greetJWT := toolCall("client", "greet-jwt", nil)
		initial := w.Policy()

		writeFile(t, path, demoGrantingGreetJWT(t))
		if r := <-reloads; r.err != nil || r.p == initial {
			t.Fatalf("after a valid change: got (%v, same policy %v), want a new policy", r.err, r.p == initial)
		}
		if !checkAllowed(t, w, greetJWT) {
			t.Fatal("client greet-jwt after the poller reloaded: got denied, want allowed")
		}
		current := w.Policy()

		writeFile(t, path, []byte(`{"roles": 1}`))
		if r := <-reloads; r.err == nil || r.p != current {
			t.Fatalf("after an invalid change: got (%v, same policy %v), want an error and the previous policy", r.err, r.p == current)
		}
		if w.Policy() != current {
			t.Fatal("Policy after an invalid change: got a new policy, want the previous one")
		}

		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if r := <-reloads; !errors.Is(r.err, fs.ErrNotExist) || r.p != current {
			t.Fatalf("after removal: got (%v, same policy %v), want fs.ErrNotExist and the previous policy", r.err, r.p == current)
		}

		writeFile(t, path, policy.DemoJSON())
		if r := <-reloads; r.err != nil || r.p == current {
			t.Fatalf("after restoring: got (%v, same policy %v), want a new policy", r.err, r.p == current)
		}
		if checkAllowed(t, w, greetJWT) {
			t.Fatal("client greet-jwt after restoring the demo: got allowed, want denied")
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWatcherConcurrentReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.json")
	writeFile(t, path, policy.DemoJSON())
	w, err := policy.NewWatcher(path, &policy.WatchOptions{Interval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	variants := [][]byte{policy.DemoJSON(), demoGrantingGreetJWT(t)}
	greet := toolCall("client", "greet", nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				// greet is allowed by both variants: a half-swapped policy
				// would show up as a denial or a race report.
				if ok, err := w.Allowed(context.Background(), greet); !ok || err != nil {
					t.Errorf("Allowed during reloads: got (%v, %v), want (true, nil)", ok, err)
					return
				}
			}
		})
	}
	for i := range 20 {
		writeFile(t, path, variants[i%2])
		if err := w.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
