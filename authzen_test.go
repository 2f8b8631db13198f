// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
	"github.com/mcpauth/mcpauth/internal/authzentest"
)

func newAuthZEN(t testing.TB, opts *mcpauth.AuthZENOptions) *mcpauth.AuthZEN {
	t.Helper()
	a, err := mcpauth.NewAuthZEN(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func greetCheck(user string) mcpauth.Check {
	return mcpauth.Check{
		User:   mcpauth.User{Key: user},
		Action: "greet",
		Resource: mcpauth.Resource{Type: "mcp_server", Attributes: map[string]any{
			"tool_name": "greet", "mcp_method": "tools/call", "arg_number": json.Number("12"),
		}},
	}
}

// The documented table, observed on the wire.
func TestAuthZENTranslation(t *testing.T) {
	pdp := authzentest.New(t)
	pdp.AllowAll()
	a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
	tt := []struct {
		name  string
		check mcpauth.Check
		want  authzentest.Evaluation
	}{
		{
			name:  "tools/call without a key: the type stands for the id, tenant default",
			check: greetCheck("client"),
			want: authzentest.Evaluation{
				Subject: authzentest.Entity{Type: "user", ID: "client"},
				Action:  authzentest.Action{Name: "greet"},
				Resource: authzentest.Entity{Type: "mcp_server", ID: "mcp_server", Properties: map[string]any{
					"tool_name": "greet", "mcp_method": "tools/call", "arg_number": json.Number("12"), "tenant": "default",
				}},
			},
		},
		{
			name: "key, tenant, user attributes and context",
			check: mcpauth.Check{
				User:     mcpauth.User{Key: "alice", Attributes: map[string]any{"team": "blue"}},
				Action:   "read",
				Resource: mcpauth.Resource{Type: "mcp_server_resources", Key: "file:///a", Tenant: "acme"},
				Context:  map[string]any{"ip": "127.0.0.1"},
			},
			want: authzentest.Evaluation{
				Subject:  authzentest.Entity{Type: "user", ID: "alice", Properties: map[string]any{"team": "blue"}},
				Action:   authzentest.Action{Name: "read"},
				Resource: authzentest.Entity{Type: "mcp_server_resources", ID: "file:///a", Properties: map[string]any{"tenant": "acme"}},
				Context:  map[string]any{"ip": "127.0.0.1"},
			},
		},
	}
	for i, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := a.Allowed(context.Background(), tc.check)
			if err != nil || !ok {
				t.Fatalf("got %v, %v; want true, nil", ok, err)
			}
			reqs := pdp.Requests()
			if len(reqs) != i+1 || reqs[i].Path != authzen.PathEvaluation {
				t.Fatalf("got %d requests", len(reqs))
			}
			if diff := cmp.Diff(tc.want, reqs[i].Evaluations[0]); diff != "" {
				t.Errorf("evaluation (-want +got):\n%s", diff)
			}
			// The inverse gives back the check (with the default tenant
			// made explicit).
			ev, err := mcpauth.CheckToAuthZEN(tc.check, "")
			if err != nil {
				t.Fatal(err)
			}
			back, err := mcpauth.CheckFromAuthZEN(ev)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.check
			if want.Resource.Tenant == "" {
				want.Resource.Tenant = "default"
			}
			if diff := cmp.Diff(want, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthZENTenantAttributeConflict(t *testing.T) {
	c := greetCheck("client")
	c.Resource.Attributes["tenant"] = "other"
	if _, err := mcpauth.CheckToAuthZEN(c, ""); err == nil {
		t.Error("got no error for a tenant attribute that differs from the tenant")
	}
}

func TestAuthZENDecisions(t *testing.T) {
	pdp := authzentest.New(t)
	pdp.Decide(func(e authzentest.Evaluation) bool { return e.Subject.ID == "admin" })
	a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
	for user, want := range map[string]bool{"admin": true, "client": false} {
		got, err := a.Allowed(context.Background(), greetCheck(user))
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", user, got, err, want)
		}
	}
}

// A bulk check is one Access Evaluations request with execute_all, the
// shared subject moved to the top level, decisions in order.
func TestAuthZENBulk(t *testing.T) {
	pdp := authzentest.New(t)
	pdp.Decide(func(e authzentest.Evaluation) bool { return e.Action.Name != "greet-jwt" })
	a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
	var cs []mcpauth.Check
	for _, tool := range []string{"greet", "greet-jwt", "login"} {
		c := greetCheck("client")
		c.Action = tool
		cs = append(cs, c)
	}
	got, err := a.AllowedBulk(context.Background(), cs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{true, false, true}, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	reqs := pdp.Requests()
	if len(reqs) != 1 || reqs[0].Path != authzen.PathEvaluations || !reqs[0].Batch || reqs[0].Semantic != "execute_all" {
		t.Fatalf("got %+v", reqs)
	}
	var body map[string]any
	_ = json.Unmarshal(reqs[0].Body, &body)
	if _, ok := body["subject"]; !ok {
		t.Errorf("the shared subject is not a top-level default: %s", reqs[0].Body)
	}
	if got, err := a.AllowedBulk(context.Background(), nil); err != nil || len(got) != 0 {
		t.Errorf("empty bulk: got %v, %v", got, err)
	}
	if len(pdp.Requests()) != 1 {
		t.Error("an empty bulk check sent a request")
	}
}

// Without discovery, a PDP answering 404 on the evaluations path gets single
// evaluations from then on.
func TestAuthZENBulkFallback(t *testing.T) {
	pdp := authzentest.New(t, authzentest.WithoutEvaluations())
	pdp.Decide(func(e authzentest.Evaluation) bool { return e.Action.Name == "greet" })
	a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
	cs := []mcpauth.Check{greetCheck("client"), greetCheck("client")}
	cs[1].Action = "other"
	for round := 0; round < 2; round++ {
		got, err := a.AllowedBulk(context.Background(), cs)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
			t.Errorf("decisions (-want +got):\n%s", diff)
		}
	}
	if n := pdp.Calls(authzen.PathEvaluations); n != 1 {
		t.Errorf("got %d requests to the evaluations path, want 1 (the fallback is remembered)", n)
	}
	if n := pdp.Calls(authzen.PathEvaluation); n != 4 {
		t.Errorf("got %d single evaluations, want 4", n)
	}
	// DisableEvaluations never tries.
	pdp2 := authzentest.New(t)
	b := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp2.PDP, DisableEvaluations: true})
	if _, err := b.AllowedBulk(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	if n := pdp2.Calls(authzen.PathEvaluations); n != 0 {
		t.Errorf("DisableEvaluations: got %d batch requests", n)
	}
}

func TestAuthZENDiscovery(t *testing.T) {
	t.Run("endpoints from the metadata under a base path, fetched once", func(t *testing.T) {
		pdp := authzentest.New(t, authzentest.WithBasePath("/tenant1"))
		pdp.AllowAll()
		a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP + "/", Discover: true})
		for i := 0; i < 3; i++ {
			if ok, err := a.Allowed(context.Background(), greetCheck("client")); err != nil || !ok {
				t.Fatalf("got %v, %v", ok, err)
			}
		}
		if _, err := a.AllowedBulk(context.Background(), []mcpauth.Check{greetCheck("a"), greetCheck("b")}); err != nil {
			t.Fatal(err)
		}
		if n := pdp.Calls(authzen.WellKnownPath + "/tenant1"); n != 1 {
			t.Errorf("metadata fetched %d times, want 1", n)
		}
		if n := pdp.Calls("/tenant1" + authzen.PathEvaluation); n != 3 {
			t.Errorf("got %d evaluations at the discovered endpoint, want 3", n)
		}
		if n := pdp.Calls("/tenant1" + authzen.PathEvaluations); n != 1 {
			t.Errorf("got %d batch requests at the discovered endpoint, want 1", n)
		}
	})
	t.Run("no evaluations endpoint: single evaluations, the path never tried", func(t *testing.T) {
		pdp := authzentest.New(t, authzentest.WithoutEvaluations())
		a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP, Discover: true})
		if _, err := a.AllowedBulk(context.Background(), []mcpauth.Check{greetCheck("a"), greetCheck("b")}); err != nil {
			t.Fatal(err)
		}
		if pdp.Calls(authzen.PathEvaluations) != 0 || pdp.Calls(authzen.PathEvaluation) != 2 {
			t.Errorf("got %d batch and %d single requests", pdp.Calls(authzen.PathEvaluations), pdp.Calls(authzen.PathEvaluation))
		}
	})
	t.Run("relative endpoints resolve against the identifier", func(t *testing.T) {
		pdp := authzentest.New(t, authzentest.WithMetadata(func(md map[string]any) {
			md["access_evaluation_endpoint"] = "/access/v1/evaluation"
		}))
		pdp.AllowAll()
		a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP, Discover: true})
		if ok, err := a.Allowed(context.Background(), greetCheck("client")); err != nil || !ok {
			t.Fatalf("got %v, %v", ok, err)
		}
	})
	refused := map[string]func(md map[string]any){
		"metadata naming another PDP": func(md map[string]any) { md["policy_decision_point"] = "https://other.example.com" },
		"identifier with a trailing slash": func(md map[string]any) {
			md["policy_decision_point"] = md["policy_decision_point"].(string) + "/"
		},
		"endpoint on another host": func(md map[string]any) {
			md["access_evaluation_endpoint"] = "https://evil.example.com/access/v1/evaluation"
		},
		"no evaluation endpoint":     func(md map[string]any) { delete(md, "access_evaluation_endpoint") },
		"non-string identifier":      func(md map[string]any) { md["policy_decision_point"] = 7 },
		"endpoint on another scheme": func(md map[string]any) { md["access_evaluation_endpoint"] = "https://127.0.0.1/access/v1/evaluation" },
	}
	for name, edit := range refused {
		t.Run("refused: "+name, func(t *testing.T) {
			pdp := authzentest.New(t, authzentest.WithMetadata(edit))
			pdp.AllowAll()
			a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP, Discover: true})
			ok, err := a.Allowed(context.Background(), greetCheck("client"))
			if ok || !errors.Is(err, mcpauth.ErrDecisionFailed) {
				t.Fatalf("got %v, %v; want a decision failure", ok, err)
			}
			if _, err := a.Metadata(context.Background()); err == nil {
				t.Error("Metadata accepted the document")
			}
			if n := pdp.Calls(authzen.PathEvaluation); n != 0 {
				t.Errorf("the PEP used refused metadata: %d evaluations", n)
			}
		})
	}
}

func TestAuthZENCredentials(t *testing.T) {
	const secret = "s3cr3t-token-value"
	tt := []struct {
		name string
		pdp  authzentest.Option
		opts mcpauth.AuthZENOptions
		ok   bool
	}{
		{"bearer", authzentest.WithBearer(secret), mcpauth.AuthZENOptions{BearerToken: secret}, true},
		{"token source", authzentest.WithBearer(secret), mcpauth.AuthZENOptions{TokenSource: func(context.Context) (string, error) { return secret, nil }}, true},
		{"api key", authzentest.WithAPIKey("X-API-Key", secret), mcpauth.AuthZENOptions{APIKey: secret}, true},
		{"api key in another header", authzentest.WithAPIKey("X-PDP-Key", secret), mcpauth.AuthZENOptions{APIKey: secret, APIKeyHeader: "X-PDP-Key"}, true},
		{"wrong bearer", authzentest.WithBearer(secret), mcpauth.AuthZENOptions{BearerToken: secret + "x"}, false},
		{"none", authzentest.WithBearer(secret), mcpauth.AuthZENOptions{}, false},
		{"token source failing", authzentest.WithBearer(secret), mcpauth.AuthZENOptions{TokenSource: func(context.Context) (string, error) { return "", errors.New("no token") }}, false},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			pdp := authzentest.New(t, tc.pdp)
			pdp.AllowAll()
			var logs bytes.Buffer
			opts := tc.opts
			opts.PDPURL = pdp.PDP
			opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			a := newAuthZEN(t, &opts)
			ok, err := a.Allowed(context.Background(), greetCheck("client"))
			if ok != tc.ok || (err == nil) != tc.ok {
				t.Fatalf("got %v, %v", ok, err)
			}
			if err != nil {
				var de *mcpauth.DecisionError
				if !errors.As(err, &de) || !errors.Is(err, mcpauth.ErrDecisionFailed) {
					t.Errorf("got %T %v", err, err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Error("the error quotes the credential")
				}
			}
			if strings.Contains(logs.String(), secret) {
				t.Error("the log quotes the credential")
			}
		})
	}
}

func TestAuthZENFailsClosed(t *testing.T) {
	tt := []struct {
		name, ct, body string
		status         int
	}{
		{"500", "application/json", `{"decision":true}`, 500},
		{"403", "application/json", `{"decision":true}`, 403},
		{"redirect", "application/json", `{"decision":true}`, 302},
		{"text/plain", "text/plain", `{"decision":true}`, 200},
		{"not JSON", "application/json", `decision: true`, 200},
		{"missing decision", "application/json", `{"allow":true}`, 200},
		{"string decision", "application/json", `{"decision":"true"}`, 200},
		{"repeated decision", "application/json", `{"decision":false,"decision":true}`, 200},
		{"case variant decision", "application/json", `{"decision":false,"Decision":true}`, 200},
		{"trailing data", "application/json", `{"decision":true} {}`, 200},
		{"array", "application/json", `[{"decision":true}]`, 200},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			pdp := authzentest.New(t)
			pdp.RespondRaw(tc.status, tc.ct, tc.body)
			a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
			ok, err := a.Allowed(context.Background(), greetCheck("client"))
			if ok || !errors.Is(err, mcpauth.ErrDecisionFailed) {
				t.Fatalf("got %v, %v; want a decision failure", ok, err)
			}
			if tc.status != 200 {
				var de *mcpauth.DecisionError
				if errors.As(err, &de); de.Status != tc.status {
					t.Errorf("got status %d, want %d", de.Status, tc.status)
				}
			}
		})
	}
	t.Run("wrong number of decisions", func(t *testing.T) {
		pdp := authzentest.New(t)
		pdp.RespondRaw(200, "application/json", `{"evaluations":[{"decision":true}]}`)
		a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
		if _, err := a.AllowedBulk(context.Background(), []mcpauth.Check{greetCheck("a"), greetCheck("b")}); !errors.Is(err, mcpauth.ErrDecisionFailed) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("another X-Request-ID", func(t *testing.T) {
		pdp := authzentest.New(t)
		pdp.AllowAll()
		pdp.BreakRequestID(true)
		a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
		if ok, err := a.Allowed(context.Background(), greetCheck("a")); ok || !errors.Is(err, mcpauth.ErrDecisionFailed) {
			t.Errorf("got %v, %v", ok, err)
		}
	})
	t.Run("through the middleware: a deny, no internal detail", func(t *testing.T) {
		pdp := authzentest.New(t)
		pdp.FailWith(500)
		mw, err := mcpauth.New(newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP}), nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := callTool(t, mw, "greet")
		if strings.Contains(rec.Body.String(), "Hello") || strings.Contains(rec.Body.String(), "authzen pdp") {
			t.Errorf("got %s", rec.Body)
		}
	})
}

// callTool sends a tools/call through mw to a handler answering "Hello".
func callTool(t *testing.T, mw *mcpauth.Middleware, tool string) *httptest.ResponseRecorder {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{"number":12}}}`
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Hello"}]}}`))
	})).ServeHTTP(rec, r)
	return rec
}

func TestAuthZENTimeout(t *testing.T) {
	pdp := authzentest.New(t)
	pdp.AllowAll()
	pdp.Hold()
	defer pdp.Release()
	a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP, Timeout: 50 * time.Millisecond})
	ok, err := a.Allowed(context.Background(), greetCheck("a"))
	if ok || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, mcpauth.ErrDecisionFailed) {
		t.Errorf("got %v, %v; want a timeout", ok, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Allowed(ctx, greetCheck("a")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
}

func TestAuthZENReusesConnections(t *testing.T) {
	pdp := authzentest.New(t)
	pdp.AllowAll()
	a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
	for i := 0; i < 20; i++ {
		if _, err := a.Allowed(context.Background(), greetCheck("a")); err != nil {
			t.Fatal(err)
		}
	}
	pdp.RespondRaw(500, "application/json", `{}`)
	for i := 0; i < 5; i++ {
		_, _ = a.Allowed(context.Background(), greetCheck("a"))
	}
	if n := pdp.Conns(); n != 1 {
		t.Errorf("got %d connections for 25 sequential requests, want 1", n)
	}
}

// The middleware's decision cache and coalescing wrap the AuthZEN
// authorizer like any other.
func TestAuthZENBehindTheCache(t *testing.T) {
	pdp := authzentest.New(t)
	pdp.AllowAll()
	mw, err := mcpauth.New(newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if rec := callTool(t, mw, "greet"); !strings.Contains(rec.Body.String(), "Hello") {
			t.Fatalf("got %s", rec.Body)
		}
	}
	if n := pdp.Calls(authzen.PathEvaluation); n != 1 {
		t.Errorf("got %d PDP calls for 3 identical requests, want 1", n)
	}

	pdp.Hold()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			callTool(t, mw, "conditional-greet")
		}()
	}
	pdp.WaitHeld(1)
	pdp.Release()
	wg.Wait()
	if n := pdp.Calls(authzen.PathEvaluation); n != 2 {
		t.Errorf("got %d PDP calls, want 2: concurrent identical misses share one", n)
	}
	if s := mw.Stats(); s.Coalesced+s.Hits < 4 {
		t.Errorf("got %+v; want the 4 other callers coalesced or cached", s)
	}
}

func TestNewAuthZENOptions(t *testing.T) {
	tt := []struct {
		name string
		opts *mcpauth.AuthZENOptions
	}{
		{"nil", nil},
		{"no URL", &mcpauth.AuthZENOptions{}},
		{"relative URL", &mcpauth.AuthZENOptions{PDPURL: "/pdp"}},
		{"query", &mcpauth.AuthZENOptions{PDPURL: "https://pdp.example.com/?a=b"}},
		{"user info", &mcpauth.AuthZENOptions{PDPURL: "https://u:p@pdp.example.com"}},
		{"ftp", &mcpauth.AuthZENOptions{PDPURL: "ftp://pdp.example.com"}},
		{"http on a remote host", &mcpauth.AuthZENOptions{PDPURL: "http://pdp.example.com"}},
		{"two credentials", &mcpauth.AuthZENOptions{PDPURL: "https://pdp.example.com", BearerToken: "a", APIKey: "b"}},
		{"header without key", &mcpauth.AuthZENOptions{PDPURL: "https://pdp.example.com", APIKeyHeader: "X-Key"}},
		{"negative timeout", &mcpauth.AuthZENOptions{PDPURL: "https://pdp.example.com", Timeout: -1}},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := mcpauth.NewAuthZEN(tc.opts); err == nil {
				t.Error("got no error")
			}
		})
	}
	for _, ok := range []string{"https://pdp.example.com", "http://localhost:8181", "http://127.0.0.1:1", "http://[::1]:1/pdp"} {
		if _, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: ok}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if _, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: "http://pdp.internal", AllowInsecureHTTP: true}); err != nil {
		t.Errorf("AllowInsecureHTTP: %v", err)
	}
}

// A check carrying a complete AuthZEN request (what the COAZ mapping
// builds) is sent as it is; an evaluations request is allowed only when
// every decision is a permit.
func TestAuthZENCarriedRequest(t *testing.T) {
	subject := &authzen.Subject{Type: "identity", ID: "alice@example.com"}
	copyObject := &authzen.Request{
		Evaluation: authzen.Evaluation{Subject: subject, Context: map[string]any{"agent": "agent-app"}},
		Evaluations: []authzen.Evaluation{
			{Action: &authzen.Action{Name: "read"}, Resource: &authzen.Resource{Type: "storage_object", ID: "/bucket/reports/q1.pdf"}},
			{Action: &authzen.Action{Name: "write"}, Resource: &authzen.Resource{Type: "storage_object", ID: "/bucket/archive/q1.pdf"}},
		},
	}
	carry := func(r *authzen.Request) mcpauth.Check {
		return mcpauth.Check{User: mcpauth.User{Key: "alice@example.com"}, Action: "read",
			Context: map[string]any{mcpauth.ContextAuthZENRequest: r}}
	}
	for _, batch := range []bool{true, false} {
		var opts []authzentest.Option
		if !batch {
			opts = append(opts, authzentest.WithoutEvaluations())
		}
		pdp := authzentest.New(t, opts...)
		a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP, Discover: true})
		pdp.Decide(func(e authzentest.Evaluation) bool { return e.Action.Name == "write" })
		if ok, err := a.Allowed(context.Background(), carry(copyObject)); ok || err != nil {
			t.Errorf("batch=%v, one deny: got %v, %v; want false", batch, ok, err)
		}
		if !batch && pdp.Calls(authzen.PathEvaluation) != 1 {
			t.Errorf("fallback: got %d evaluations, want 1 (stop at the first deny)", pdp.Calls(authzen.PathEvaluation))
		}
		pdp.AllowAll()
		if ok, err := a.Allowed(context.Background(), carry(copyObject)); !ok || err != nil {
			t.Errorf("batch=%v, all permit: got %v, %v; want true", batch, ok, err)
		}
		last := pdp.Requests()[len(pdp.Requests())-1]
		if batch {
			if !last.Batch || last.Semantic != "execute_all" || len(last.Evaluations) != 2 ||
				last.Evaluations[1].Subject.Type != "identity" || last.Evaluations[1].Context["agent"] != "agent-app" {
				t.Errorf("got %+v", last)
			}
		} else if last.Path != authzen.PathEvaluation || last.Evaluations[0].Resource.ID != "/bucket/archive/q1.pdf" ||
			last.Evaluations[0].Subject.ID != "alice@example.com" {
			t.Errorf("fallback: got %+v", last)
		}
	}
	pdp := authzentest.New(t)
	pdp.AllowAll()
	a := newAuthZEN(t, &mcpauth.AuthZENOptions{PDPURL: pdp.PDP})
	bad := []mcpauth.Check{
		{Context: map[string]any{mcpauth.ContextAuthZENRequest: "not a request"}},
		carry(&authzen.Request{Evaluations: []authzen.Evaluation{{Action: &authzen.Action{Name: "read"}}}}),
		carry(&authzen.Request{Evaluation: copyObject.Evaluation, Evaluations: copyObject.Evaluations, Options: map[string]any{"evaluations_semantic": "permit_on_first_permit"}}),
	}
	for i, c := range bad {
		if ok, err := a.Allowed(context.Background(), c); ok || !errors.Is(err, mcpauth.ErrDecisionFailed) {
			t.Errorf("bad[%d]: got %v, %v", i, ok, err)
		}
	}
	if n := len(pdp.Requests()); n != 0 {
		t.Errorf("malformed carried requests reached the PDP %d times", n)
	}
}
