// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

import (
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	vaulthttp "github.com/hashicorp/vault/http"
	"github.com/hashicorp/vault/vault"

	"github.com/mcpauth/mcpauth/repository/hcvault"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// kvMount is the KV version 2 mount every test Vault gets. (The test core
// already mounts "secret/" as KV version 1.)
const kvMount = "kv2"

// testVault is an in-process Vault server on a loopback listener.
type testVault struct {
	core   *vault.Core
	keys   [][]byte // unseal keys
	root   string   // root token
	addr   string
	ln     *killableListener
	client *api.Client // root client, no retries
}

// startVault starts an unsealed in-process Vault with a KV version 2 engine
// at kvMount. The core is shut down when t ends.
func startVault(t testing.TB) *testVault {
	t.Helper()
	// The test core logs at trace level to stderr unless told to write to
	// files: keep the output readable, or honour the caller's directory.
	if os.Getenv("VAULT_TEST_LOG_DIR") == "" {
		t.Setenv("VAULT_TEST_LOG_DIR", t.TempDir())
	}
	core, keys, root := vault.TestCoreUnsealed(t)
	raw, addr := vaulthttp.TestListener(t)
	ln := &killableListener{Listener: raw}
	vaulthttp.TestServerWithListener(t, ln, addr, core)
	t.Cleanup(ln.kill)
	v := &testVault{core: core, keys: keys, root: root, addr: addr, ln: ln}
	v.client = v.newClient(t, root)
	err := v.client.Sys().MountWithContext(t.Context(), kvMount, &api.MountInput{Type: "kv-v2"})
	if err != nil {
		t.Fatalf("mounting KV v2: %v", err)
	}
	return v
}

// newClient returns a client for the test Vault that does not retry, so a
// failure is reported at once.
func (v *testVault) newClient(t testing.TB, token string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = v.addr
	cfg.MaxRetries = 0
	cfg.Timeout = time.Minute
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("api.NewClient: %v", err)
	}
	c.SetToken(token)
	return c
}

var prefixes atomic.Int64

// newStore returns a store on the test Vault under a prefix no other store
// of this process uses; opts may set the other options. The store is closed
// when t ends.
func (v *testVault) newStore(t testing.TB, opts hcvault.Options) *hcvault.Store {
	t.Helper()
	if opts.Client == nil {
		opts.Client = v.client
	}
	if opts.Mount == "" {
		opts.Mount = kvMount
	}
	if opts.Prefix == "" {
		opts.Prefix = fmt.Sprintf("test/%d", prefixes.Add(1))
	}
	s, err := hcvault.New(&opts)
	if err != nil {
		t.Fatalf("hcvault.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seal seals the Vault through its HTTP API.
func (v *testVault) seal(t testing.TB) {
	t.Helper()
	if err := v.client.Sys().SealWithContext(t.Context()); err != nil {
		t.Fatalf("seal: %v", err)
	}
}

// unseal unseals the Vault through its HTTP API.
func (v *testVault) unseal(t testing.TB) {
	t.Helper()
	for _, k := range v.keys {
		st, err := v.client.Sys().UnsealWithContext(t.Context(), base64.StdEncoding.EncodeToString(k))
		if err != nil {
			t.Fatalf("unseal: %v", err)
		}
		if !st.Sealed {
			return
		}
	}
	t.Fatal("still sealed after every unseal key")
}

// newClock returns a fake clock for the stores' Clock option.
func newClock() *repositorytest.Clock {
	return repositorytest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

// killableListener is the Vault server's listener. kill closes it and every
// connection it accepted, as if the server process had died; pooled client
// connections then fail instead of carrying on.
type killableListener struct {
	net.Listener
	mu     sync.Mutex // guards conns, killed
	conns  []net.Conn
	killed bool
}

func (l *killableListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.killed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns = append(l.conns, c)
	return c, nil
}

func (l *killableListener) kill() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.killed {
		return
	}
	l.killed = true
	l.Listener.Close()
	for _, c := range l.conns {
		c.Close()
	}
}
