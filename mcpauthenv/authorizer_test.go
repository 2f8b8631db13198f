// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthenv_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/authzentest"
	"github.com/mcpauth/mcpauth/mcpauthenv"
	"github.com/mcpauth/mcpauth/policy"
)

func TestAuthZENFromLookup(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want *mcpauth.AuthZENOptions
	}{
		{"unset", map[string]string{}, nil},
		{"unset with a Permit PDP", map[string]string{"PERMIT_API_KEY": "k", "PERMIT_MCP_PDP_TIMEOUT": "2s"}, nil},
		{"url only", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp.example.com/tenant1"},
			&mcpauth.AuthZENOptions{PDPURL: "https://pdp.example.com/tenant1"}},
		{"loopback http", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "http://127.0.0.1:8181"},
			&mcpauth.AuthZENOptions{PDPURL: "http://127.0.0.1:8181"}},
		{"localhost http", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "http://LocalHost:8181"},
			&mcpauth.AuthZENOptions{PDPURL: "http://LocalHost:8181"}},
		{"remote http allowed", map[string]string{
			"PERMIT_MCP_AUTHZEN_URL": "http://pdp.internal", "PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP": "yes",
		}, &mcpauth.AuthZENOptions{PDPURL: "http://pdp.internal", AllowInsecureHTTP: true}},
		{"bearer, discovery, timeout", map[string]string{
			"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_TOKEN": "tok",
			"PERMIT_MCP_AUTHZEN_DISCOVER": "true", "PERMIT_MCP_AUTHZEN_METADATA_TTL": "90",
			"PERMIT_MCP_PDP_TIMEOUT": "750ms",
		}, &mcpauth.AuthZENOptions{
			PDPURL: "https://pdp", BearerToken: "tok", Discover: true,
			MetadataTTL: 90 * time.Second, Timeout: 750 * time.Millisecond,
		}},
		{"api key", map[string]string{
			"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_API_KEY": "key",
			"PERMIT_MCP_AUTHZEN_API_KEY_HEADER": "X-PDP-Key", "PERMIT_MCP_AUTHZEN_SUBJECT_TYPE": "identity",
			"PERMIT_MCP_AUTHZEN_DISABLE_EVALUATIONS": "1",
		}, &mcpauth.AuthZENOptions{
			PDPURL: "https://pdp", APIKey: "key", APIKeyHeader: "X-PDP-Key", SubjectType: "identity", DisableEvaluations: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mcpauthenv.AuthZENFromLookup(mapLookup(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AuthZENOptions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthorizerFromLookupErrors tries the configurations that must not
// start: each error names the variables and never shows a secret.
func TestAuthorizerFromLookupErrors(t *testing.T) {
	const secret = "s3cr3t-value-never-shown"
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", map[string]string{}, mcpauthenv.ErrNoDecisionPoint.Error()},
		{"relative url", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "pdp.example.com"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL is not an absolute http or https URL without user info, query or fragment"},
		{"other scheme", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "ftp://pdp"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL is not an absolute http or https URL without user info, query or fragment"},
		{"credentials in the url are not echoed", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://u:" + secret + "@pdp"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL is not an absolute http or https URL without user info, query or fragment"},
		{"query", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp/?key=" + secret},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL is not an absolute http or https URL without user info, query or fragment"},
		{"fragment", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp/#x"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL is not an absolute http or https URL without user info, query or fragment"},
		{"remote http", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "http://pdp.example.com"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL uses http to a host that is not loopback: use https, or set PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP=true on a network you trust"},
		{"loopback lookalike", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "http://127.0.0.1.nip.io"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL uses http to a host that is not loopback: use https, or set PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP=true on a network you trust"},
		{"remote http explicitly refused", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "http://10.0.0.1", "PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP": "false"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL uses http to a host that is not loopback: use https, or set PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP=true on a network you trust"},
		{"authzen and permit key", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_API_KEY": secret},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL and a Permit URL or API key (PERMIT_PDP_URL, PERMIT_API_KEY, PERMIT_MCP_PERMIT_PDP_URL, PERMIT_MCP_PERMIT_API_KEY) are both set: choose one decision point"},
		{"authzen and permit url", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_PERMIT_PDP_URL": "https://cloudpdp.api.permit.io"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_URL and a Permit URL or API key (PERMIT_PDP_URL, PERMIT_API_KEY, PERMIT_MCP_PERMIT_PDP_URL, PERMIT_MCP_PERMIT_API_KEY) are both set: choose one decision point"},
		{"token and api key", map[string]string{
			"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_TOKEN": secret, "PERMIT_MCP_AUTHZEN_API_KEY": secret + "2",
		}, "mcpauthenv: set at most one of PERMIT_MCP_AUTHZEN_TOKEN and PERMIT_MCP_AUTHZEN_API_KEY"},
		{"header without key", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_API_KEY_HEADER": "X-Key"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_API_KEY_HEADER is set but PERMIT_MCP_AUTHZEN_API_KEY is not"},
		{"bad header name", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_API_KEY": secret, "PERMIT_MCP_AUTHZEN_API_KEY_HEADER": "X Key:"},
			`mcpauthenv: PERMIT_MCP_AUTHZEN_API_KEY_HEADER "X Key:" is not a header name`},
		{"token without url", map[string]string{"PERMIT_MCP_AUTHZEN_TOKEN": secret},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_TOKEN is set but PERMIT_MCP_AUTHZEN_URL is not"},
		{"authzen setting beside permit", map[string]string{"PERMIT_API_KEY": secret, "PERMIT_MCP_AUTHZEN_DISCOVER": "true"},
			"mcpauthenv: PERMIT_MCP_AUTHZEN_DISCOVER is set but PERMIT_MCP_AUTHZEN_URL is not"},
		{"bad timeout", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_PDP_TIMEOUT": "soon"},
			`mcpauthenv: PERMIT_MCP_PDP_TIMEOUT "soon" is not a duration (such as 30s or 1m) or a number of seconds`},
		{"negative timeout", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_PDP_TIMEOUT": "-5s"},
			`mcpauthenv: PERMIT_MCP_PDP_TIMEOUT "-5s" is not a positive duration`},
		{"bad metadata ttl", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_METADATA_TTL": "0"},
			`mcpauthenv: PERMIT_MCP_AUTHZEN_METADATA_TTL "0" is not a positive duration`},
		{"bad boolean", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_DISCOVER": "sometimes"},
			`mcpauthenv: PERMIT_MCP_AUTHZEN_DISCOVER "sometimes" is not a boolean (true/false, 1/0, yes/no, on/off)`},
		{"permit url without key", map[string]string{"PERMIT_PDP_URL": "http://127.0.0.1:7766"},
			"mcpauthenv: Permit variables: mcpauth: PermitOptions.APIKey is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := mcpauthenv.AuthorizerFromLookup(mapLookup(tt.env), nil)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error:\ngot  %v\nwant %s", err, tt.want)
			}
			if a != nil {
				t.Errorf("got authorizer %T with the error, want nil", a)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows a secret: %v", err)
			}
			if tt.name == "nothing set" {
				if !errors.Is(err, mcpauthenv.ErrNoDecisionPoint) {
					t.Errorf("got %v, want ErrNoDecisionPoint", err)
				}
				return
			}
			if errors.Is(err, mcpauthenv.ErrNoDecisionPoint) {
				t.Errorf("a misconfiguration is reported as ErrNoDecisionPoint: %v", err)
			}
			// FromLookup and AuthZENFromLookup refuse the same
			// configurations (only the authorizer needs a Permit key).
			if tt.name == "permit url without key" {
				return
			}
			if _, _, ferr := mcpauthenv.FromLookup(mapLookup(tt.env)); ferr == nil || ferr.Error() != tt.want {
				t.Errorf("FromLookup: got %v, want %s", ferr, tt.want)
			}
			if _, aerr := mcpauthenv.AuthZENFromLookup(mapLookup(tt.env)); aerr == nil || aerr.Error() != tt.want {
				t.Errorf("AuthZENFromLookup: got %v, want %s", aerr, tt.want)
			}
		})
	}
}

func TestAuthorizerFromLookupChooses(t *testing.T) {
	a, err := mcpauthenv.AuthorizerFromLookup(mapLookup(map[string]string{"PERMIT_API_KEY": "k"}), nil)
	if _, ok := a.(*mcpauth.Permit); err != nil || !ok {
		t.Errorf("Permit key: got %T, %v, want *mcpauth.Permit", a, err)
	}
	a, err = mcpauthenv.AuthorizerFromLookup(mapLookup(map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp"}), nil)
	if _, ok := a.(*mcpauth.AuthZEN); err != nil || !ok {
		t.Errorf("AuthZEN URL: got %T, %v, want *mcpauth.AuthZEN", a, err)
	}
}

// checkTool asks mw whether the fixed user may call tool: "allowed",
// "forbidden" or "failed" (the decision point could not decide).
func checkTool(t *testing.T, mw *mcpauth.Middleware, tool string) string {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{"name":"Ada"}}}`
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	d, err := mw.Check(r)
	switch {
	case err == nil && d.Allowed:
		return "allowed"
	case errors.Is(err, mcpauth.ErrDecisionFailed):
		return "failed"
	case errors.Is(err, mcpauth.ErrForbidden):
		return "forbidden"
	}
	t.Fatalf("Check(%s): %+v, %v", tool, d, err)
	return ""
}

// TestAuthorizerFromEnvAuthZENEndToEnd configures the middleware and an
// AuthZEN authorizer from variables only, against the embedded demo policy
// served as an AuthZEN PDP (what mcpauth policy serve runs): its endpoints
// discovered, its bearer token required.
func TestAuthorizerFromEnvAuthZENEndToEnd(t *testing.T) {
	h, err := policy.NewHandler(policy.Demo(), &policy.HandlerOptions{Token: "pdp-token"})
	if err != nil {
		t.Fatal(err)
	}
	pdp := httptest.NewServer(h)
	t.Cleanup(pdp.Close)
	for _, tt := range []struct {
		name            string
		token           string
		greet, greetJWT string
	}{
		{"the right token", "pdp-token", "allowed", "forbidden"},
		// The PDP refuses the request: the middleware fails closed.
		{"a wrong token", "not-the-token", "failed", "failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PERMIT_MCP_AUTHZEN_URL", pdp.URL)
			t.Setenv("permit_mcp_authzen_discover", "true")
			t.Setenv("PERMIT_MCP_AUTHZEN_TOKEN", tt.token)
			t.Setenv("PERMIT_MCP_DECISION_CACHE_SIZE", "0")
			opts, _, err := mcpauthenv.FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			authz, err := mcpauthenv.AuthorizerFromEnv(nil)
			if err != nil {
				t.Fatal(err)
			}
			mw, err := mcpauth.New(authz, opts)
			if err != nil {
				t.Fatal(err)
			}
			// The demo policy lets client call greet, not greet-jwt.
			if got := checkTool(t, mw, "greet"); got != tt.greet {
				t.Errorf("greet: got %s, want %s", got, tt.greet)
			}
			if got := checkTool(t, mw, "greet-jwt"); got != tt.greetJWT {
				t.Errorf("greet-jwt: got %s, want %s", got, tt.greetJWT)
			}
		})
	}
}

// TestAuthorizerFromLookupAuthZENRequests checks what the variables put on
// the wire: the API key in its header, the subject type, and single
// evaluations when the batch API is disabled.
func TestAuthorizerFromLookupAuthZENRequests(t *testing.T) {
	pdp := authzentest.New(t, authzentest.WithAPIKey("X-PDP-Key", "pdp-key"), authzentest.WithPolicy(func(e authzentest.Evaluation) bool {
		return e.Action.Name == "greet"
	}))
	env := map[string]string{
		"PERMIT_MCP_AUTHZEN_URL": pdp.PDP, "PERMIT_MCP_AUTHZEN_API_KEY": "pdp-key", "PERMIT_MCP_AUTHZEN_API_KEY_HEADER": "X-PDP-Key",
		"PERMIT_MCP_AUTHZEN_SUBJECT_TYPE": "identity", "PERMIT_MCP_AUTHZEN_DISABLE_EVALUATIONS": "true",
		"PERMIT_MCP_IDENTITY_FIXED_VALUE": "alice", "PERMIT_MCP_DECISION_CACHE_SIZE": "0",
	}
	opts, _, err := mcpauthenv.FromLookup(mapLookup(env))
	if err != nil {
		t.Fatal(err)
	}
	authz, err := mcpauthenv.AuthorizerFromLookup(mapLookup(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := mcpauth.New(authz, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkTool(t, mw, "greet"); got != "allowed" {
		t.Errorf("greet: got %s, want allowed", got)
	}
	if got := checkTool(t, mw, "delete"); got != "forbidden" {
		t.Errorf("delete: got %s, want forbidden", got)
	}
	ctx := t.Context()
	ok, err := authz.AllowedBulk(ctx, []mcpauth.Check{{User: mcpauth.User{Key: "alice"}, Action: "greet", Resource: mcpauth.Resource{Type: "t"}}, {User: mcpauth.User{Key: "alice"}, Action: "x", Resource: mcpauth.Resource{Type: "t"}}})
	if err != nil || fmt.Sprint(ok) != "[true false]" {
		t.Errorf("AllowedBulk: got %v, %v", ok, err)
	}
	var got []string
	for _, r := range pdp.Requests() {
		for _, e := range r.Evaluations {
			got = append(got, fmt.Sprintf("%s %s key=%s %s/%s %s", r.Path, r.Header.Get("X-PDP-Key"), r.Header.Get("X-API-Key"), e.Subject.Type, e.Subject.ID, e.Action.Name))
		}
	}
	want := []string{
		"/access/v1/evaluation pdp-key key= identity/alice greet",
		"/access/v1/evaluation pdp-key key= identity/alice delete",
		"/access/v1/evaluation pdp-key key= identity/alice greet",
		"/access/v1/evaluation pdp-key key= identity/alice x",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PDP requests (-want +got):\n%s", diff)
	}
}
