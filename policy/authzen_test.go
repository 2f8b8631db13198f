// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
	"github.com/mcpauth/mcpauth/policy"
)

func newPDP(t *testing.T, authz mcpauth.Authorizer, opts *policy.HandlerOptions) *httptest.Server {
	t.Helper()
	h, err := policy.NewHandler(authz, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func demoChecks() []mcpauth.Check {
	call := func(user, tool string, args map[string]any) mcpauth.Check {
		attrs := map[string]any{"tool_name": tool, "mcp_method": "tools/call"}
		for k, v := range args {
			attrs["arg_"+k] = v
		}
		return mcpauth.Check{User: mcpauth.User{Key: user}, Action: tool,
			Resource: mcpauth.Resource{Type: "mcp_server", Attributes: attrs}}
	}
	listTime := call("client", "conditional-greet", nil)
	listTime.Resource.Attributes["mcp_method"] = "tools/list"
	otherTenant := call("client", "greet", nil)
	otherTenant.Resource.Tenant = "acme"
	return []mcpauth.Check{
		call("admin", "greet-jwt", nil),
		call("client", "greet", map[string]any{"name": "Ada"}),
		call("client", "greet-jwt", nil),
		call("client", "conditional-greet", map[string]any{"number": json.Number("5")}),
		call("client", "conditional-greet", map[string]any{"number": json.Number("12")}),
		listTime,
		otherTenant,
		call("nobody", "login", nil),
		{User: mcpauth.User{Key: "client"}, Action: "list", Resource: mcpauth.Resource{Type: "mcp_server_tools"}},
	}
}

// Through AuthZEN, the embedded policy decides exactly as in process.
func TestHandlerDecidesLikeThePolicy(t *testing.T) {
	p := policy.Demo()
	srv := newPDP(t, p, &policy.HandlerOptions{Token: "pdp-token"})
	az, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: srv.URL, Discover: true, BearerToken: "pdp-token"})
	if err != nil {
		t.Fatal(err)
	}
	checks := demoChecks()
	want, _ := p.AllowedBulk(context.Background(), checks)
	if !want[0] || want[2] || !want[4] || want[3] {
		t.Fatalf("unexpected demo decisions %v", want)
	}
	for i, c := range checks {
		got, err := az.Allowed(context.Background(), c)
		if err != nil || got != want[i] {
			t.Errorf("check %d (%s %s): got %v, %v; want %v", i, c.User.Key, c.Action, got, err, want[i])
		}
	}
	got, err := az.AllowedBulk(context.Background(), checks)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bulk (-want +got):\n%s", diff)
	}
	md, err := az.Metadata(context.Background())
	if err != nil || md.PolicyDecisionPoint != srv.URL || md.AccessEvaluationsEndpoint != srv.URL+authzen.PathEvaluations {
		t.Errorf("metadata: got %+v, %v", md, err)
	}
}

// The middleware, asking the policy over AuthZEN.
func TestHandlerBehindTheMiddleware(t *testing.T) {
	srv := newPDP(t, policy.Demo(), nil)
	az, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := mcpauth.New(az, nil)
	if err != nil {
		t.Fatal(err)
	}
	for tool, want := range map[string]bool{"greet": true, "greet-jwt": false} {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		d, err := mw.Check(r)
		if d.Allowed != want || (err == nil) != want {
			t.Errorf("%s: got %v, %v; want %v", tool, d.Allowed, err, want)
		}
	}
}

// The evaluations semantics examples of section 7.1.2.1, with a decision
// point that denies document 2.
func TestHandlerSemantics(t *testing.T) {
	authz := mcpauth.AuthorizerFunc(func(_ context.Context, c mcpauth.Check) (bool, error) {
		return c.Resource.Key != "2", nil
	})
	srv := newPDP(t, authz, nil)
	for semantic, want := range map[string]string{
		"execute_all":            `{"evaluations":[{"decision":true},{"decision":false},{"decision":true}]}`,
		"deny_on_first_deny":     `{"evaluations":[{"decision":true},{"decision":false}]}`,
		"permit_on_first_permit": `{"evaluations":[{"decision":true}]}`,
	} {
		body := `{"subject":{"type":"user","id":"alice@example.com"},"action":{"name":"read"},
		  "options":{"evaluations_semantic":"` + semantic + `"},
		  "evaluations":[{"resource":{"type":"document","id":"1"}},{"resource":{"type":"document","id":"2"}},
		                 {"resource":{"type":"document","id":"3"}}]}`
		status, _, got := postTo(t, srv.URL+authzen.PathEvaluations, body, nil)
		if status != 200 || strings.TrimSpace(got) != want {
			t.Errorf("%s: got %d %s, want %s", semantic, status, got, want)
		}
	}
}

func postTo(t *testing.T, url, body string, h map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestHandlerRequests(t *testing.T) {
	failing := mcpauth.AuthorizerFunc(func(context.Context, mcpauth.Check) (bool, error) {
		return false, errors.New("secret internal detail")
	})
	srv := newPDP(t, policy.Demo(), &policy.HandlerOptions{Token: "tok", MaxEvaluations: 2, MaxBodyBytes: 4096})
	broken := newPDP(t, failing, nil)
	auth := map[string]string{"Authorization": "Bearer tok"}
	good := `{"subject":{"type":"user","id":"admin"},"action":{"name":"greet"},"resource":{"type":"mcp_server","id":"mcp_server"}}`
	tt := []struct {
		name, url, body string
		h               map[string]string
		status          int
		want            string
	}{
		{"allowed", srv.URL + authzen.PathEvaluation, good, auth, 200, `{"decision":true}`},
		{"scheme is case-insensitive", srv.URL + authzen.PathEvaluation, good, map[string]string{"Authorization": "bearer tok"}, 200, `{"decision":true}`},
		{"no token", srv.URL + authzen.PathEvaluation, good, nil, 401, ""},
		{"wrong token", srv.URL + authzen.PathEvaluation, good, map[string]string{"Authorization": "Bearer nope"}, 401, ""},
		{"text/plain", srv.URL + authzen.PathEvaluation, good, map[string]string{"Authorization": "Bearer tok", "Content-Type": "text/plain"}, 400, ""},
		{"repeated member", srv.URL + authzen.PathEvaluation, `{"subject":{"type":"user","id":"admin","id":"client"},"action":{"name":"greet"},"resource":{"type":"mcp_server","id":"mcp_server"}}`, auth, 400, ""},
		{"missing action", srv.URL + authzen.PathEvaluation, `{"subject":{"type":"user","id":"admin"},"resource":{"type":"mcp_server","id":"x"}}`, auth, 400, ""},
		{"numeric subject id", srv.URL + authzen.PathEvaluation, `{"subject":{"type":"user","id":7},"action":{"name":"greet"},"resource":{"type":"mcp_server","id":"x"}}`, auth, 400, ""},
		{"non-string tenant", srv.URL + authzen.PathEvaluation, `{"subject":{"type":"user","id":"admin"},"action":{"name":"greet"},"resource":{"type":"mcp_server","id":"mcp_server","properties":{"tenant":1}}}`, auth, 400, ""},
		{"unknown members ignored", srv.URL + authzen.PathEvaluation, `{"x":[1],` + good[1:], auth, 200, `{"decision":true}`},
		{"no entries: a single evaluation", srv.URL + authzen.PathEvaluations, good, auth, 200, `{"decision":true}`},
		{"too many entries", srv.URL + authzen.PathEvaluations, `{"evaluations":[` + good + `,` + good + `,` + good + `]}`, auth, 400, ""},
		{"unknown semantic", srv.URL + authzen.PathEvaluations, `{"options":{"evaluations_semantic":"some"},"evaluations":[` + good + `]}`, auth, 400, ""},
		{"entry without subject", srv.URL + authzen.PathEvaluations, `{"evaluations":[{"action":{"name":"greet"},"resource":{"type":"mcp_server","id":"x"}}]}`, auth, 400, ""},
		{"body too large", srv.URL + authzen.PathEvaluation, `{"x":"` + strings.Repeat("a", 5000) + `"}`, auth, 413, ""},
		{"unknown path", srv.URL + "/access/v1/search/subject", good, auth, 404, ""},
		{"failing authorizer", broken.URL + authzen.PathEvaluation, good, nil, 500, "internal error"},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"X-Request-ID": "req-1"}
			for k, v := range tc.h {
				h[k] = v
			}
			status, hdr, body := postTo(t, tc.url, tc.body, h)
			if status != tc.status || (tc.want != "" && strings.TrimSpace(body) != tc.want) {
				t.Errorf("got %d %q, want %d %q", status, body, tc.status, tc.want)
			}
			if hdr.Get("X-Request-ID") != "req-1" {
				t.Error("X-Request-ID not echoed")
			}
			if status == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Error("401 without a challenge")
			}
			if strings.Contains(body, "secret internal detail") {
				t.Error("an internal error reached the client")
			}
		})
	}
}

func TestHandlerMetadata(t *testing.T) {
	h, err := policy.NewHandler(policy.Demo(), &policy.HandlerOptions{PDPURL: "https://pdp.example.com/team/"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/authzen-configuration/team", nil))
	want := `{"policy_decision_point":"https://pdp.example.com/team","access_evaluation_endpoint":"https://pdp.example.com/team/access/v1/evaluation","access_evaluations_endpoint":"https://pdp.example.com/team/access/v1/evaluations"}`
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/authzen-configuration", nil))
	if rec.Code != 404 {
		t.Errorf("metadata outside the base path: got %d", rec.Code)
	}
	for _, bad := range []string{"pdp.example.com", "https://pdp.example.com/?x", "https://u@pdp.example.com"} {
		if _, err := policy.NewHandler(policy.Demo(), &policy.HandlerOptions{PDPURL: bad}); err == nil {
			t.Errorf("%s: got no error", bad)
		}
	}
	if _, err := policy.NewHandler(nil, nil); err == nil {
		t.Error("nil authorizer: got no error")
	}
}
