// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/permittest"
)

// newPermit returns a Permit talking to pdp.
func newPermit(t testing.TB, pdp *permittest.Server, opts *mcpauth.PermitOptions) *mcpauth.Permit {
	t.Helper()
	o := mcpauth.PermitOptions{PDPURL: pdp.URL, APIKey: pdp.APIKey}
	if opts != nil {
		o = *opts
		if o.PDPURL == "" {
			o.PDPURL = pdp.URL
		}
		if o.APIKey == "" {
			o.APIKey = pdp.APIKey
		}
	}
	p, err := mcpauth.NewPermit(&o)
	if err != nil {
		t.Fatalf("NewPermit: %v", err)
	}
	return p
}

func TestPermitAllowedPayload(t *testing.T) {
	tests := []struct {
		name  string
		check mcpauth.Check
		want  permittest.Check
	}{
		{
			name:  "minimal check gets the default tenant",
			check: mcpauth.Check{User: mcpauth.User{Key: "client"}, Action: "list", Resource: mcpauth.Resource{Type: "mcp_server_tools"}},
			want: permittest.Check{
				User:   permittest.User{Key: "client"},
				Action: "list",
				Resource: permittest.Resource{
					Type: "mcp_server_tools", Tenant: "default",
					Context: map[string]any{"tenant": "default"},
				},
			},
		},
		{
			name: "everything set",
			check: mcpauth.Check{
				User:   mcpauth.User{Key: "alice", Attributes: map[string]any{"jwt": map[string]any{"sub": "alice", "admin": true}}},
				Action: "conditional-greet",
				Resource: mcpauth.Resource{
					Type: "mcp_server", Key: "file:///etc/motd", Tenant: "acme",
					Attributes: map[string]any{
						"tool_name": "conditional-greet", "mcp_method": "tools/call",
						"arg_name": "A", "arg_number": json.Number("12"), "arg_list": []any{1.5, "x", nil},
					},
				},
				Context: map[string]any{"source": "mcp", "n": 3, "ok": true},
			},
			want: permittest.Check{
				User: permittest.User{
					Key:        "alice",
					Attributes: map[string]any{"jwt": map[string]any{"sub": "alice", "admin": true}},
				},
				Action: "conditional-greet",
				Resource: permittest.Resource{
					Type: "mcp_server", Key: "file:///etc/motd", Tenant: "acme",
					Attributes: map[string]any{
						"tool_name": "conditional-greet", "mcp_method": "tools/call",
						"arg_name": "A", "arg_number": json.Number("12"),
						"arg_list": []any{json.Number("1.5"), "x", nil},
					},
					Context: map[string]any{"tenant": "acme"},
				},
				// permit-golang carries context values as strings.
				Context: map[string]any{"source": "mcp", "n": "3", "ok": "true"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdp := permittest.New(t)
			pdp.AllowAll()
			p := newPermit(t, pdp, nil)
			ok, err := p.Allowed(context.Background(), tt.check)
			if err != nil || !ok {
				t.Fatalf("Allowed: got %v, %v, want true, nil", ok, err)
			}
			reqs := pdp.Requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d PDP requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != permittest.PathAllowed {
				t.Errorf("request: got %s %s, want POST /allowed", r.Method, r.Path)
			}
			if want := "Bearer " + pdp.APIKey; r.Authorization != want {
				t.Errorf("Authorization: got %q, want %q", r.Authorization, want)
			}
			if r.ContentType != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", r.ContentType)
			}
			if diff := cmp.Diff([]permittest.Check{tt.want}, r.Checks); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPermitAllowedExactBody pins the exact bytes permit-golang sends, so a
// change of SDK version that changes the wire format is noticed.
func TestPermitAllowedExactBody(t *testing.T) {
	pdp := permittest.New(t)
	p := newPermit(t, pdp, nil)
	c := mcpauth.Check{
		User:     mcpauth.User{Key: "alice", Attributes: map[string]any{"type": "fixed_identity"}},
		Action:   "list",
		Resource: mcpauth.Resource{Type: "mcp_server_tools", Attributes: map[string]any{"mcp_method": "tools/list"}},
	}
	if _, err := p.Allowed(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	want := `{"user":{"key":"alice","attributes":{"type":"fixed_identity"}},"action":"list",` +
		`"resource":{"type":"mcp_server_tools","tenant":"default","attributes":{"mcp_method":"tools/list"},"context":{"tenant":"default"}}}`
	if got := string(pdp.Requests()[0].Body); got != want {
		t.Errorf("body:\ngot  %s\nwant %s", got, want)
	}
}

func TestPermitDecisions(t *testing.T) {
	pdp := permittest.New(t)
	pdp.Allow(permittest.Rule{User: "alice", Action: "greet", Type: "mcp_server"})
	p := newPermit(t, pdp, nil)
	tests := []struct {
		name string
		user string
		want bool
	}{
		{"allowed", "alice", true},
		{"denied", "bob", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mcpauth.Check{User: mcpauth.User{Key: tt.user}, Action: "greet", Resource: mcpauth.Resource{Type: "mcp_server"}}
			got, err := p.Allowed(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Allowed: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPermitAllowedBulkTwoTenants(t *testing.T) {
	pdp := permittest.New(t)
	pdp.Allow(
		permittest.Rule{User: "alice", Tenant: "default"},
		permittest.Rule{User: "bob", Tenant: "acme", Key: "r2"},
	)
	p := newPermit(t, pdp, nil)
	checks := []mcpauth.Check{
		{User: mcpauth.User{Key: "alice"}, Action: "read", Resource: mcpauth.Resource{Type: "doc", Key: "r1"}},
		{User: mcpauth.User{Key: "bob"}, Action: "read", Resource: mcpauth.Resource{Type: "doc", Key: "r1", Tenant: "acme"}},
		{User: mcpauth.User{Key: "bob"}, Action: "read", Resource: mcpauth.Resource{Type: "doc", Key: "r2", Tenant: "acme"}},
		{User: mcpauth.User{Key: "alice"}, Action: "read", Resource: mcpauth.Resource{Type: "doc", Key: "r3", Tenant: "default"}},
		{User: mcpauth.User{Key: "carol"}, Action: "read", Resource: mcpauth.Resource{Type: "doc", Key: "r4"}},
	}
	got, err := p.AllowedBulk(context.Background(), checks)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{true, false, true, true, false}, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}

	// permit-golang sends one request per tenant, in map order.
	reqs := pdp.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d PDP requests, want 2 (one per tenant)", len(reqs))
	}
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Checks[0].Resource.Tenant < reqs[j].Checks[0].Resource.Tenant })
	wire := func(user, key, tenant string) permittest.Check {
		return permittest.Check{
			User:   permittest.User{Key: user},
			Action: "read",
			Resource: permittest.Resource{
				Type: "doc", Key: key, Tenant: tenant, Context: map[string]any{"tenant": tenant},
			},
		}
	}
	want := [][]permittest.Check{
		{wire("bob", "r1", "acme"), wire("bob", "r2", "acme")},
		{wire("alice", "r1", "default"), wire("alice", "r3", "default"), wire("carol", "r4", "default")},
	}
	for i, r := range reqs {
		if r.Path != permittest.PathAllowedBulk || r.Authorization != "Bearer "+pdp.APIKey {
			t.Errorf("request %d: got %s with %q", i, r.Path, r.Authorization)
		}
		if diff := cmp.Diff(want[i], r.Checks); diff != "" {
			t.Errorf("request %d payload (-want +got):\n%s", i, diff)
		}
	}
}

func TestPermitAllowedBulkEmpty(t *testing.T) {
	pdp := permittest.New(t)
	p := newPermit(t, pdp, nil)
	got, err := p.AllowedBulk(context.Background(), nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("AllowedBulk(nil): got %v, %v, want [], nil", got, err)
	}
	if n := pdp.Calls(""); n != 0 {
		t.Errorf("got %d PDP requests, want 0", n)
	}
}

func TestPermitErrors(t *testing.T) {
	check := mcpauth.Check{User: mcpauth.User{Key: "alice"}, Action: "list", Resource: mcpauth.Resource{Type: "mcp_server_tools"}}
	two := []mcpauth.Check{check, check}
	closed := permittest.Start()
	closed.Close()

	tests := []struct {
		name       string
		setup      func(pdp *permittest.Server)
		opts       *mcpauth.PermitOptions
		bulk       bool
		wantMsg    string
		wantStatus int
		wantCause  error
	}{
		{name: "wrong api key", opts: &mcpauth.PermitOptions{APIKey: "permit_key_wrong_but_long"},
			wantMsg: "HTTP 401 (the PDP refused the API key)", wantStatus: 401},
		{name: "server error", setup: func(s *permittest.Server) { s.FailWith(500) }, wantMsg: "HTTP 500", wantStatus: 500},
		{name: "bulk server error", setup: func(s *permittest.Server) { s.FailWith(502) }, bulk: true, wantMsg: "HTTP 502", wantStatus: 502},
		{name: "cloud pdp without abac", setup: func(s *permittest.Server) { s.FailWith(501) }, wantMsg: "cannot evaluate ABAC", wantStatus: 501},
		// permit-golang itself treats 400, 3xx and 429 as success and
		// would read "allow" from the body; the transport refuses them.
		{name: "bad request carrying allow", setup: func(s *permittest.Server) { s.RespondRaw(400, `{"allow":true}`) },
			wantMsg: "HTTP 400", wantStatus: 400},
		{name: "too many requests carrying allow", setup: func(s *permittest.Server) { s.RespondRaw(429, `{"allow":true}`) },
			wantMsg: "HTTP 429", wantStatus: 429},
		{name: "redirect", setup: func(s *permittest.Server) { s.RespondRaw(302, `{"allow":true}`) }, wantMsg: "HTTP 302", wantStatus: 302},
		{name: "created is not an answer", setup: func(s *permittest.Server) { s.RespondRaw(201, `{"allow":true}`) },
			wantMsg: "HTTP 201", wantStatus: 201},
		{name: "garbage", setup: func(s *permittest.Server) { s.RespondRaw(200, `<html>proxy error</html>`) }, wantMsg: "invalid answer: invalid character"},
		{name: "wrong type", setup: func(s *permittest.Server) { s.RespondRaw(200, `{"allow":"yes"}`) }, wantMsg: "invalid answer: json: cannot unmarshal"},
		{name: "bulk garbage", setup: func(s *permittest.Server) { s.RespondRaw(200, `{"allow":`) }, bulk: true, wantMsg: "invalid answer: unexpected end of JSON input"},
		{name: "bulk length mismatch", setup: func(s *permittest.Server) { s.RespondRaw(200, `{"allow":[{"allow":true}]}`) },
			bulk: true, wantMsg: "invalid answer: unexpected number of results"},
		{name: "bulk answer is not a list", setup: func(s *permittest.Server) { s.RespondRaw(200, `{"allow":true}`) },
			bulk: true, wantMsg: "invalid answer: json: cannot unmarshal bool"},
		{name: "answer too large", setup: func(s *permittest.Server) {
			s.RespondRaw(200, `{"allow":true,"debug":"`+strings.Repeat("x", 9<<20)+`"}`)
		},
			wantMsg: "answer larger than 8388608 bytes"},
		{name: "connection refused", opts: &mcpauth.PermitOptions{PDPURL: closed.URL}, wantMsg: "connection refused"},
		{name: "timeout", setup: func(s *permittest.Server) { s.Hold() }, opts: &mcpauth.PermitOptions{Timeout: 20 * time.Millisecond},
			wantMsg: "timed out after 20ms", wantCause: context.DeadlineExceeded},
		{name: "bulk timeout", setup: func(s *permittest.Server) { s.Hold() }, opts: &mcpauth.PermitOptions{Timeout: 20 * time.Millisecond},
			bulk: true, wantMsg: "timed out after 20ms", wantCause: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdp := permittest.New(t)
			pdp.AllowAll()
			if tt.setup != nil {
				tt.setup(pdp)
			}
			var logs bytes.Buffer
			opts := &mcpauth.PermitOptions{}
			if tt.opts != nil {
				*opts = *tt.opts
			}
			opts.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			p := newPermit(t, pdp, opts)
			path := "/allowed"
			var err error
			if tt.bulk {
				path = "/allowed/bulk"
				var got []bool
				got, err = p.AllowedBulk(context.Background(), two)
				if got != nil {
					t.Errorf("AllowedBulk: got %v with the error, want nil", got)
				}
			} else {
				var got bool
				got, err = p.Allowed(context.Background(), check)
				if got {
					t.Error("Allowed: got true with the error, want false")
				}
			}
			if err == nil {
				t.Fatal("got no error")
			}
			if !errors.Is(err, mcpauth.ErrDecisionFailed) {
				t.Errorf("error %q does not wrap ErrDecisionFailed", err)
			}
			wantPrefix := "mcpauth: decision failed: permit pdp " + path + ": "
			if !strings.HasPrefix(err.Error(), wantPrefix) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error: got %q, want %q followed by a message containing %q", err, wantPrefix, tt.wantMsg)
			}
			var de *mcpauth.DecisionError
			if !errors.As(err, &de) || de.Status != tt.wantStatus || de.Path != path {
				t.Errorf("DecisionError: got %+v, want status %d path %s", de, tt.wantStatus, path)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("error %q does not wrap %v", err, tt.wantCause)
			}
			for _, key := range []string{pdp.APIKey, opts.APIKey} {
				if key != "" && (strings.Contains(err.Error(), key) || strings.Contains(logs.String(), key)) {
					t.Errorf("the API key leaked into the error or the logs: %q / %s", err, logs.String())
				}
			}
			if !strings.Contains(logs.String(), `"msg":"permit pdp request failed"`) {
				t.Errorf("no failure log record: %s", logs.String())
			}
		})
	}
}

func TestPermitContextCancellation(t *testing.T) {
	check := mcpauth.Check{User: mcpauth.User{Key: "alice"}, Action: "list", Resource: mcpauth.Resource{Type: "mcp_server_tools"}}
	tests := []struct {
		name string
		call func(p *mcpauth.Permit, ctx context.Context) error
	}{
		{"allowed", func(p *mcpauth.Permit, ctx context.Context) error {
			_, err := p.Allowed(ctx, check)
			return err
		}},
		{"bulk", func(p *mcpauth.Permit, ctx context.Context) error {
			_, err := p.AllowedBulk(ctx, []mcpauth.Check{check, check})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/in flight", func(t *testing.T) {
			pdp := permittest.New(t)
			pdp.AllowAll()
			pdp.Hold()
			// A timeout far beyond the test's life: only cancellation can
			// end the call.
			p := newPermit(t, pdp, &mcpauth.PermitOptions{Timeout: time.Hour})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tt.call(p, ctx) }()
			pdp.WaitHeld(1)
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) || !errors.Is(err, mcpauth.ErrDecisionFailed) {
				t.Errorf("got %v, want an error wrapping context.Canceled and ErrDecisionFailed", err)
			}
			if want := "mcpauth: decision failed: permit pdp "; !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "context canceled") {
				t.Errorf("message: got %q", err)
			}
		})
		t.Run(tt.name+"/already cancelled", func(t *testing.T) {
			pdp := permittest.New(t)
			pdp.AllowAll()
			p := newPermit(t, pdp, nil)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := tt.call(p, ctx); !errors.Is(err, context.Canceled) || !errors.Is(err, mcpauth.ErrDecisionFailed) {
				t.Errorf("got %v, want an error wrapping context.Canceled and ErrDecisionFailed", err)
			}
			if n := pdp.Calls(""); n != 0 {
				t.Errorf("got %d PDP requests, want 0", n)
			}
		})
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestPermitOptions(t *testing.T) {
	pdp := permittest.New(t)
	pdp.AllowAll()
	check := mcpauth.Check{User: mcpauth.User{Key: "u"}, Action: "a", Resource: mcpauth.Resource{Type: "t"}}

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name string
			opts *mcpauth.PermitOptions
			want string
		}{
			{"nil", nil, "mcpauth: PermitOptions.APIKey is empty"},
			{"no key", &mcpauth.PermitOptions{PDPURL: pdp.URL}, "mcpauth: PermitOptions.APIKey is empty"},
			{"relative url", &mcpauth.PermitOptions{APIKey: "k", PDPURL: "localhost:7766"}, "mcpauth: PermitOptions.PDPURL is not an absolute http or https URL without query"},
			{"ftp url", &mcpauth.PermitOptions{APIKey: "k", PDPURL: "ftp://pdp"}, "mcpauth: PermitOptions.PDPURL is not an absolute http or https URL without query"},
			{"query", &mcpauth.PermitOptions{APIKey: "k", PDPURL: "http://pdp/?x=1"}, "mcpauth: PermitOptions.PDPURL is not an absolute http or https URL without query"},
			{"negative timeout", &mcpauth.PermitOptions{APIKey: "k", Timeout: -time.Second}, "mcpauth: PermitOptions.Timeout is negative"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := mcpauth.NewPermit(tt.opts)
				if err == nil || err.Error() != tt.want || p != nil {
					t.Errorf("got %v, %v, want nil, %q", p, err, tt.want)
				}
			})
		}
	})

	t.Run("trailing slash", func(t *testing.T) {
		pdp.Reset()
		p := newPermit(t, pdp, &mcpauth.PermitOptions{PDPURL: pdp.URL + "/"})
		if ok, err := p.Allowed(context.Background(), check); err != nil || !ok {
			t.Fatalf("got %v, %v", ok, err)
		}
		if got := pdp.Requests()[0].Path; got != "/allowed" {
			t.Errorf("path: got %q, want /allowed", got)
		}
	})

	t.Run("http client", func(t *testing.T) {
		ct := &countingTransport{base: http.DefaultTransport}
		p := newPermit(t, pdp, &mcpauth.PermitOptions{HTTPClient: &http.Client{Transport: ct}})
		for range 3 {
			if _, err := p.Allowed(context.Background(), check); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.AllowedBulk(context.Background(), []mcpauth.Check{check, check}); err != nil {
			t.Fatal(err)
		}
		if got := ct.n.Load(); got != 4 {
			t.Errorf("requests through the supplied client: got %d, want 4", got)
		}
	})

	t.Run("http client timeout is the default timeout", func(t *testing.T) {
		held := permittest.New(t)
		held.Hold()
		p := newPermit(t, held, &mcpauth.PermitOptions{HTTPClient: &http.Client{Timeout: 15 * time.Millisecond}})
		_, err := p.Allowed(context.Background(), check)
		if err == nil || !strings.Contains(err.Error(), "timed out after 15ms") {
			t.Errorf("got %v, want a timeout after 15ms", err)
		}
	})
}

func TestPermitKeepAlive(t *testing.T) {
	pdp := permittest.New(t)
	pdp.AllowAll()
	p := newPermit(t, pdp, nil)
	c := mcpauth.Check{User: mcpauth.User{Key: "u"}, Action: "a", Resource: mcpauth.Resource{Type: "t"}}
	for range 5 {
		if _, err := p.Allowed(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if _, err := p.AllowedBulk(context.Background(), []mcpauth.Check{c, c}); err != nil {
			t.Fatal(err)
		}
	}
	// A failed answer must not cost the connection either.
	pdp.FailWith(500)
	if _, err := p.Allowed(context.Background(), c); err == nil {
		t.Fatal("got no error from a failing PDP")
	}
	pdp.FailWith(0)
	if _, err := p.Allowed(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := pdp.Conns(); got != 1 {
		t.Errorf("connections for 12 sequential requests: got %d, want 1", got)
	}
}

func TestPermitDebugLog(t *testing.T) {
	pdp := permittest.New(t)
	pdp.AllowAll()
	var logs bytes.Buffer
	p := newPermit(t, pdp, &mcpauth.PermitOptions{
		PDPURL: strings.Replace(pdp.URL, "http://", "http://user:pdp-password@", 1),
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	c := mcpauth.Check{User: mcpauth.User{Key: "u"}, Action: "a", Resource: mcpauth.Resource{Type: "t"}}
	if _, err := p.AllowedBulk(context.Background(), []mcpauth.Check{c, c}); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("want one JSON record, got %q: %v", logs.String(), err)
	}
	want := map[string]any{"level": "DEBUG", "msg": "permit pdp request", "path": "/allowed/bulk", "checks": 2.0,
		"pdp": strings.Replace(pdp.URL, "http://", "http://user:xxxxx@", 1)}
	if diff := cmp.Diff(want, rec, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "time" || k == "latency" })); diff != "" {
		t.Errorf("log record (-want +got):\n%s", diff)
	}
	if strings.Contains(logs.String(), pdp.APIKey) || strings.Contains(logs.String(), "pdp-password") {
		t.Errorf("a secret leaked into the log: %s", logs.String())
	}
}

func TestPermitConcurrent(t *testing.T) {
	pdp := permittest.New(t)
	pdp.Allow(permittest.Rule{Action: "even"})
	p := newPermit(t, pdp, nil)
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			action := "odd"
			if i%2 == 0 {
				action = "even"
			}
			c := mcpauth.Check{User: mcpauth.User{Key: fmt.Sprint("u", i)}, Action: action, Resource: mcpauth.Resource{Type: "t"}}
			ok, err := p.Allowed(context.Background(), c)
			if err == nil && ok != (i%2 == 0) {
				err = fmt.Errorf("check %d: got %v", i, ok)
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := pdp.Calls(permittest.PathAllowed); got != 16 {
		t.Errorf("PDP requests: got %d, want 16", got)
	}
}

func BenchmarkPermitAllowed(b *testing.B) {
	pdp := permittest.New(b, permittest.WithoutRecording())
	pdp.AllowAll()
	p := newPermit(b, pdp, nil)
	c := benchCheck()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := p.Allowed(ctx, c); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkPermitAllowedParallel(b *testing.B) {
	pdp := permittest.New(b, permittest.WithoutRecording())
	pdp.AllowAll()
	p := newPermit(b, pdp, nil)
	c := benchCheck()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := p.Allowed(context.Background(), c); err != nil || !ok {
				b.Error(ok, err)
				return
			}
		}
	})
}

func BenchmarkPermitAllowedBulk10(b *testing.B) {
	pdp := permittest.New(b, permittest.WithoutRecording())
	pdp.AllowAll()
	p := newPermit(b, pdp, nil)
	cs := make([]mcpauth.Check, 10)
	for i := range cs {
		cs[i] = mcpauth.Check{User: mcpauth.User{Key: "alice"}, Action: "read", Resource: mcpauth.Resource{Type: "mcp_server_tools", Key: fmt.Sprint("tool", i)}}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.AllowedBulk(ctx, cs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPDPRawHTTP is the baseline for BenchmarkPermitAllowed: the same
// request sent with plain net/http, without permit-golang.
func BenchmarkPDPRawHTTP(b *testing.B) {
	pdp := permittest.New(b, permittest.WithoutRecording())
	pdp.AllowAll()
	body := []byte(`{"user":{"key":"alice","attributes":{"email":"alice@example.com"}},"action":"conditional-greet",` +
		`"resource":{"type":"mcp_server","tenant":"default","attributes":{"arg_number":12,"mcp_method":"tools/call","tool_name":"conditional-greet"},"context":{"tenant":"default"}}}`)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, pdp.URL+"/allowed", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+pdp.APIKey)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ Allow bool }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || !out.Allow {
			b.Fatal(out, err)
		}
	}
}

// TestPermitLive asks a real PDP when MCPAUTH_TEST_PERMIT_API_KEY is set
// (and MCPAUTH_TEST_PERMIT_PDP_URL, default http://localhost:7766). The
// decisions depend on that environment's policy; the test checks that the
// PDP accepts our requests and answers them.
func TestPermitLive(t *testing.T) {
	key := os.Getenv("MCPAUTH_TEST_PERMIT_API_KEY")
	if key == "" {
		t.Skip("MCPAUTH_TEST_PERMIT_API_KEY is not set")
	}
	p, err := mcpauth.NewPermit(&mcpauth.PermitOptions{PDPURL: os.Getenv("MCPAUTH_TEST_PERMIT_PDP_URL"), APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	c := mcpauth.Check{User: mcpauth.User{Key: "mcpauth-live-test"}, Action: "list", Resource: mcpauth.Resource{Type: "mcp_server_tools"}}
	if _, err := p.Allowed(t.Context(), c); err != nil {
		t.Fatalf("Allowed: %v", err)
	}
	other := c
	other.Resource.Tenant = "mcpauth-live-test-tenant"
	got, err := p.AllowedBulk(t.Context(), []mcpauth.Check{c, other})
	if err != nil || len(got) != 2 {
		t.Fatalf("AllowedBulk: got %v, %v", got, err)
	}
}

// cannedTransport answers every request with {"allow":true} in memory, to
// measure the client side alone.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return nil, err
	}
	r.Body.Close()
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"allow":true,"result":true}`)), Request: r,
	}, nil
}

// BenchmarkPermitClientSide is Permit.Allowed without a network: the cost
// of permit-golang and the per-call transport.
func BenchmarkPermitClientSide(b *testing.B) {
	p, err := mcpauth.NewPermit(&mcpauth.PermitOptions{APIKey: "k", HTTPClient: &http.Client{Transport: cannedTransport{}}})
	if err != nil {
		b.Fatal(err)
	}
	c := benchCheck()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := p.Allowed(ctx, c); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkRawClientSide is the same request built and decoded with plain
// net/http and encoding/json, the baseline for BenchmarkPermitClientSide.
func BenchmarkRawClientSide(b *testing.B) {
	client := &http.Client{Transport: cannedTransport{}}
	c := benchCheck()
	type user struct {
		Key        string         `json:"key"`
		Attributes map[string]any `json:"attributes,omitempty"`
	}
	type resource struct {
		Type       string            `json:"type"`
		Tenant     string            `json:"tenant"`
		Attributes map[string]any    `json:"attributes,omitempty"`
		Context    map[string]string `json:"context"`
	}
	b.ReportAllocs()
	for b.Loop() {
		body, err := json.Marshal(struct {
			User     user     `json:"user"`
			Action   string   `json:"action"`
			Resource resource `json:"resource"`
		}{user{c.User.Key, c.User.Attributes}, c.Action, resource{c.Resource.Type, "default", c.Resource.Attributes, map[string]string{"tenant": "default"}}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost:7766/allowed", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer k")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ Allow bool }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		cancel()
		if err != nil || !out.Allow {
			b.Fatal(out, err)
		}
	}
}

func benchCheck() mcpauth.Check {
	return mcpauth.Check{
		User:     mcpauth.User{Key: "alice", Attributes: map[string]any{"email": "alice@example.com"}},
		Action:   "conditional-greet",
		Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{"tool_name": "conditional-greet", "mcp_method": "tools/call", "arg_number": 12}},
	}
}

// ExampleNewPermit builds the Permit decision point from the variables the
// original example runner reads. It needs a running PDP, so it has no
// output.
func ExampleNewPermit() {
	pdp, err := mcpauth.NewPermit(&mcpauth.PermitOptions{
		PDPURL:  os.Getenv("PERMIT_PDP_URL"), // empty: http://localhost:7766
		APIKey:  os.Getenv("PERMIT_API_KEY"),
		Timeout: 2 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	allowed, err := pdp.Allowed(context.Background(), mcpauth.Check{
		User:     mcpauth.User{Key: "alice"},
		Action:   "greet",
		Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{"tool_name": "greet"}},
	})
	if err != nil {
		// The PDP could not decide: deny.
		fmt.Println("denied:", err)
		return
	}
	fmt.Println("allowed:", allowed)
}
