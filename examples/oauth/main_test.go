// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/examples/internal/exampletest"
	"github.com/mcpauth/mcpauth/internal/pangeaauthntest"
	"github.com/mcpauth/mcpauth/internal/pangeavaulttest"
	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	goredis "github.com/redis/go-redis/v9"
)

// connectOAuth connects the go-sdk client with its OAuth handler (dynamic
// registration, PKCE) and b for the login.
func connectOAuth(t *testing.T, mcpURL string, b *providertest.Browser) *mcp.ClientSession {
	t.Helper()
	h := providertest.OAuthHandler(t, b, "oauth example test")
	return exampletest.ConnectWith(t, &mcp.StreamableClientTransport{Endpoint: mcpURL, OAuthHandler: h})
}

// browser returns a browser that logs in at the development OP as
// username.
func browser(username string) *providertest.Browser {
	b := providertest.NewBrowser()
	b.Username = username
	return b
}

// TestDevIDPLogin walks the whole login with -dev-idp: the go-sdk client
// finds the authorization server from the 401, registers, sends the
// browser through consent and the development OP's login, gets a token and
// calls tools, which the middleware decides for the logged-in subject.
func TestDevIDPLogin(t *testing.T) {
	mcpURL, out := exampletest.Start(t, run, nil, "-dev-idp")
	for _, s := range []string{
		"mcpauth OAuth example: MCP server at " + mcpURL,
		"Upstream: the development OpenID Provider at http://127.0.0.1:",
		"Decisions: the embedded policy.json",
		"Storage: memory",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("banner lacks %q:\n%s", s, out)
		}
	}

	// Without a token: 401 pointing at the protected-resource metadata.
	resp, err := http.Post(mcpURL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	base := strings.TrimSuffix(mcpURL, "/mcp")
	if want := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`; resp.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), want) {
		t.Errorf("no token: got %d %q, want 401 with %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}

	clientBrowser := browser("test-user@127.0.0.1")
	client := connectOAuth(t, mcpURL, clientBrowser)
	if diff := cmp.Diff([]string{"conditional-greet", "greet"}, exampletest.ToolNames(t, client)); diff != "" {
		t.Errorf("tools/list for id1 (-want +got):\n%s", diff)
	}
	exampletest.Check(t, client, exampletest.ClientCases)

	adminBrowser := browser("test-user2")
	admin := connectOAuth(t, mcpURL, adminBrowser)
	if diff := cmp.Diff([]string{"conditional-greet", "greet", "greet-jwt"}, exampletest.ToolNames(t, admin)); diff != "" {
		t.Errorf("tools/list for id2 (-want +got):\n%s", diff)
	}
	exampletest.Check(t, admin, []exampletest.Case{{Tool: "greet-jwt", Text: "Hello, id2! (secure)"}})
	if n := clientBrowser.Authorizations() + adminBrowser.Authorizations(); n != 2 {
		t.Errorf("got %d logins, want 2 (one per client)", n)
	}

	log := out.String()
	for _, s := range []string{
		"decision=deny user=id1 tenant=default method=tools/call tool_name=greet-jwt resource=mcp_server action=greet-jwt",
		"decision=allow user=id2 tenant=default method=tools/call tool_name=greet-jwt resource=mcp_server action=greet-jwt",
	} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %q", s)
		}
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no upstream", nil, nil, "set PANGEA_AUTHN_ISSUER_URL, PANGEA_AUTHN_CLIENT_ID, PANGEA_AUTHN_CLIENT_SECRET and PANGEA_AUTHN_SCOPES, or run with -dev-idp"},
		{"no Pangea identity source", nil, map[string]string{"PANGEA_AUTHN_ISSUER_URL": "https://pdn-x.login.aws.us.pangea.cloud", "PANGEA_AUTHN_CLIENT_ID": "psa_x", "PANGEA_AUTHN_CLIENT_SECRET": "pck_x", "PANGEA_AUTHN_SCOPES": "user"}, "Pangea has no identity source: set PangeaOptions.AuthNToken"},
		{"two stores", []string{"-dev-idp"}, map[string]string{"PANGEA_VAULT_TOKEN": "pts_x", "VAULT_ADDR": "http://127.0.0.1:1"}, "not both"},
		{"half a HashiCorp Vault", []string{"-dev-idp"}, map[string]string{"VAULT_ADDR": "http://127.0.0.1:1"}, "set both VAULT_ADDR and VAULT_TOKEN"},
		{"Redis and a Vault", []string{"-dev-idp", "-store", "redis://127.0.0.1:1"}, map[string]string{"PANGEA_VAULT_TOKEN": "pts_x"}, "not more than one"},
		{"REDIS_URL and a Vault", []string{"-dev-idp"}, map[string]string{"REDIS_URL": "redis://127.0.0.1:1", "VAULT_ADDR": "http://127.0.0.1:1"}, "not more than one"},
		{"store URL not for Redis", []string{"-dev-idp", "-store", "https://user:pw@cache.example"}, nil, "-store must be a redis://, rediss:// or unix:// URL"},
		{"bad Redis URL", []string{"-dev-idp", "-store", "redis://127.0.0.1:1/not-a-db"}, nil, "Options.URL is not a valid"},
		{"short encryption key", []string{"-dev-idp"}, map[string]string{"MCP_ENCRYPTION_KEY": "abcd"}, "MCP_ENCRYPTION_KEY must be 64 hex digits"},
		{"half of Permit", []string{"-dev-idp"}, map[string]string{"PERMIT_PDP_URL": "http://127.0.0.1:7766"}, "APIKey is empty"},
		{"missing policy file", []string{"-dev-idp", "-policy", "/nonexistent/policy.json"}, nil, "/nonexistent/policy.json"},
		{"plain http elsewhere", []string{"-dev-idp", "-base-url", "http://mcp.example.com"}, nil, "must use https"},
		{"extra argument", []string{"serve"}, nil, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-addr", "127.0.0.1:0"}, tt.args...)
			err := run(context.Background(), args, func(k string) string { return tt.env[k] }, io.Discard, func(string) {
				t.Error("the server started")
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestPangeaLogin walks the login with Pangea AuthN (its strict double) in
// every identity mode, with the provider's records in Pangea Vault (its
// strict double): hosted login, code exchange with client_secret_basic,
// the user's identity, and decisions from a -policy file naming that user.
func TestPangeaLogin(t *testing.T) {
	const user = pangeaauthntest.DefaultUserID
	pol := strings.Replace(string(policyJSON), `"id2": {"roles": ["Admin"]}`, `"`+user+`": {"roles": ["Admin"]}`, 1)
	if pol == string(policyJSON) {
		t.Fatal("policy.json no longer names id2")
	}
	file := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(file, []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		dbl   pangeaauthntest.Options
		env   map[string]string
		calls []string
	}{
		{"ID token", pangeaauthntest.Options{}, map[string]string{"PANGEA_AUTHN_SCOPES": "openid user"},
			[]string{"GET /v2/oauth/authorize", "POST /v2/oauth/token", "POST /v2/client/jwks"}},
		{"userinfo", pangeaauthntest.Options{UserinfoPath: "/userinfo"}, map[string]string{"PANGEA_AUTHN_IDENTITY": "userinfo", "PANGEA_AUTHN_USERINFO_URL": "/userinfo"},
			[]string{"GET /v2/oauth/authorize", "POST /v2/oauth/token", "GET /userinfo"}},
		{"token check", pangeaauthntest.Options{}, map[string]string{"PANGEA_AUTHN_IDENTITY": "pangea_token_check"},
			[]string{"GET /v2/oauth/authorize", "POST /v2/oauth/token", "POST /v2/client/token/check"}},
		// The go-sdk client logs in again after the 401 of a grant
		// without a user, then gives up.
		{"token check skipped, none", pangeaauthntest.Options{AccessTokens: pangeaauthntest.TokenForeign}, map[string]string{"PANGEA_AUTHN_IDENTITY": "pangea_token_check,none"},
			[]string{"GET /v2/oauth/authorize", "POST /v2/oauth/token", "GET /v2/oauth/authorize", "POST /v2/oauth/token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			authn := pangeaauthntest.New(t, &tt.dbl)
			vault := pangeavaulttest.New(t, nil)
			env := map[string]string{
				"PANGEA_AUTHN_ISSUER_URL":    authn.URL,
				"PANGEA_AUTHN_CLIENT_ID":     authn.ClientID,
				"PANGEA_AUTHN_CLIENT_SECRET": authn.ClientSecret,
				"PANGEA_AUTHN_SCOPES":        "user",
				"PANGEA_AUTHN_TOKEN":         authn.ServiceToken,
				"PANGEA_AUTHN_BASE_URL":      authn.URL,
				"PANGEA_VAULT_TOKEN":         vault.Token(),
				"PANGEA_VAULT_BASE_URL":      vault.URL,
				"POLICY_FILE":                file,
			}
			for k, v := range tt.env {
				if strings.HasPrefix(v, "/") {
					v = authn.URL + v
				}
				env[k] = v
			}
			mcpURL, out := exampletest.Start(t, run, env)
			authn.AllowRedirectURI(strings.TrimSuffix(mcpURL, "/mcp") + "/pangea/callback")
			if !strings.Contains(out.String(), "Storage: Pangea Vault") {
				t.Errorf("banner does not name Pangea Vault:\n%s", out)
			}
			// The upstream approves at once: no login form.
			b := providertest.NewBrowser()
			b.NoUpstreamLogin = true
			cs := connectOAuth(t, mcpURL, b)
			if tt.env["PANGEA_AUTHN_IDENTITY"] == "pangea_token_check,none" {
				// A grant without a user: the middleware's context
				// identity refuses it.
				if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "greet-jwt"}); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
					t.Errorf("greet-jwt without a user: got %v, want Unauthorized", err)
				}
			} else {
				exampletest.Check(t, cs, []exampletest.Case{{Tool: "greet-jwt", Text: "Hello, " + user + "! (secure)"}})
			}
			var paths []string
			for _, r := range authn.Requests() {
				paths = append(paths, r.Method+" "+r.Path)
			}
			if diff := cmp.Diff(tt.calls, paths); diff != "" {
				t.Errorf("AuthN requests (-want +got):\n%s", diff)
			}
			if len(vault.Requests()) == 0 {
				t.Errorf("no record went to the Vault double")
			}
		})
	}
}

// TestPangeaBanner checks the Pangea configuration path up to serving: the
// banner names the redirect URI to register and warns when logins may
// carry no user.
func TestPangeaBanner(t *testing.T) {
	_, out := exampletest.Start(t, run, map[string]string{
		"PANGEA_AUTHN_ISSUER_URL":    "https://pdn-example.login.aws.us.pangea.cloud",
		"PANGEA_AUTHN_CLIENT_ID":     "psa_client",
		"PANGEA_AUTHN_CLIENT_SECRET": "pangea-client-secret-value",
		"PANGEA_AUTHN_SCOPES":        "user",
		"PANGEA_AUTHN_IDENTITY":      "none",
	})
	for _, s := range []string{
		"Upstream: Pangea AuthN at https://pdn-example.login.aws.us.pangea.cloud; its redirect URI must be http://127.0.0.1:",
		"/pangea/callback",
		"PANGEA_AUTHN_IDENTITY allows none",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("banner lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out.String(), "pangea-client-secret-value") {
		t.Errorf("banner shows the client secret:\n%s", out)
	}
}

// TestRedisStore runs the -dev-idp login with -store on a real Redis: the
// banner names the server without its password, and the provider's
// records land in Redis under the example's prefix.
func TestRedisStore(t *testing.T) {
	srv := redisserver.Start(t, nil)
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { admin.Close() })
	if err := admin.Do(t.Context(), "acl", "setuser", "default", "on", ">s3cret-pw", "~*", "&*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	storeURL := "redis://default:s3cret-pw@" + srv.Addr() + "/0"
	mcpURL, out := exampletest.Start(t, run, nil, "-dev-idp", "-store", storeURL)
	if want := "Storage: Redis at redis://default:xxxxx@" + srv.Addr() + "/0, key prefix mcpauth-oauth-example."; !strings.Contains(out.String(), want) {
		t.Errorf("banner lacks %q:\n%s", want, out)
	}
	if strings.Contains(out.String(), "s3cret-pw") {
		t.Errorf("banner shows the Redis password:\n%s", out)
	}
	cs := connectOAuth(t, mcpURL, browser("test-user2"))
	exampletest.Check(t, cs, []exampletest.Case{{Tool: "greet-jwt", Text: "Hello, id2! (secure)"}})
	n, err := admin.Eval(t.Context(), "return #redis.call('keys', ARGV[1])", nil, "mcpauth-oauth-example:mcpauth/provider/access/*").Int()
	if err != nil || n == 0 {
		t.Errorf("Redis holds %d access-token records (err %v), want at least one", n, err)
	}
	// The provider and the middleware listen for the other replicas.
	channels, err := admin.PubSubChannels(t.Context(), "mcpauth-oauth-example:*").Result()
	slices.Sort(channels)
	if want := []string{"mcpauth-oauth-example:mcpauth/decisions", "mcpauth-oauth-example:mcpauth/provider/revocations"}; err != nil || !slices.Equal(channels, want) {
		t.Errorf("subscribed channels %q (err %v), want %q", channels, err, want)
	}
}
