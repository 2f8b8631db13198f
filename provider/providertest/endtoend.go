// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// OAuthHandler returns an OAuth handler for the go-sdk MCP client (the
// OAuthHandler of mcp.StreamableClientTransport). On the MCP endpoint's
// 401 it discovers the authorization server, registers dynamically as a
// public client named clientName with redirect URI [ClientRedirect], and
// runs each authorization (PKCE S256) through b at the provider the
// authorization URL belongs to.
func OAuthHandler(t testing.TB, b *Browser, clientName string) auth.OAuthHandler {
	t.Helper()
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs:            []string{ClientRedirect},
			TokenEndpointAuthMethod: "none",
			GrantTypes:              []string{"authorization_code", "refresh_token"},
			ClientName:              clientName,
		}},
		RedirectURL: ClientRedirect,
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			u, err := url.Parse(args.URL)
			if err != nil {
				return nil, err
			}
			u.RawQuery = ""
			q, err := b.AuthorizeContext(ctx, strings.TrimSuffix(u.String(), provider.PathAuthorize), args.URL)
			if err != nil {
				return nil, err
			}
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatalf("providertest: NewAuthorizationCodeHandler: %v", err)
	}
	return h
}

// App is what [EndToEnd] gives the router integration under test to serve.
type App struct {
	// Provider is the authorization server. Its BaseURL is the test
	// server's root and its upstream an in-process [OP].
	Provider *provider.Provider
	// Middleware is mcpauth in context identity mode (the principal comes
	// from Provider.RequireBearer) with a policy that lets user id1 call
	// "greet" and nothing else.
	Middleware *mcpauth.Middleware
	// MCP is a go-sdk Streamable HTTP handler with the tools "greet" and
	// "greet-jwt", each answering "<tool>: Hello, <name>!".
	MCP http.Handler

	t    testing.TB
	mu   sync.Mutex
	seen []string
}

// Saw reports the principal and the decision that the MCP endpoint's
// handler found for a request, as read through the integration's own
// accessors; nil means it found none. [EndToEnd] checks that exactly the
// one allowed tools/call was seen, with the logged-in user's principal.
func (a *App) Saw(pr *mcpauth.Principal, d *mcpauth.Decision) {
	if d == nil {
		a.t.Errorf("providertest: the MCP handler found no decision")
		return
	}
	if pr == nil || d.Method != mcpauth.MethodToolsCall {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, pr.Subject+" "+pr.Email+" "+d.Checks[0].Action)
}

// EndToEnd tests a router integration of the provider and mcpauth with the
// whole OAuth flow. serve returns the handler of the test server: every
// route of app.Provider (app.Provider.Paths), and at /mcp app.MCP behind
// app.Provider.RequireBearer and app.Middleware, reporting to [App.Saw].
// The go-sdk client then connects to /mcp with [OAuthHandler] (clientName
// is its registered name): it meets the 401, registers, logs in as the
// OP's test user through the consent page, and calls "greet" (allowed) and
// "greet-jwt" (denied as a tool error).
func EndToEnd(t *testing.T, clientName string, serve func(app *App) http.Handler) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	base := "http://" + srv.Listener.Addr().String()
	op := StartOP(t, base+provider.DefaultCallbackPath)
	p, err := provider.New(&provider.Options{BaseURL: base, Upstream: op.Upstream()})
	if err != nil {
		t.Fatalf("providertest: New: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	pol, err := policy.Parse("endtoend.json", []byte(`{
		"resources": {"mcp_server": {"actions": ["greet", "greet-jwt"]}},
		"roles": {"Client": {"permissions": ["mcp_server:greet"]}},
		"users": {"id1": {"roles": ["Client"]}}
	}`))
	if err != nil {
		t.Fatalf("providertest: policy: %v", err)
	}
	mw, err := mcpauth.New(pol, &mcpauth.Options{Identity: mcpauth.ContextIdentity(), ResourceMetadataURL: p.ResourceMetadataURL()})
	if err != nil {
		t.Fatalf("providertest: mcpauth.New: %v", err)
	}
	app := &App{Provider: p, Middleware: mw, MCP: greeter(), t: t}
	srv.Config.Handler = serve(app)
	srv.Start()

	c := mcp.NewClient(&mcp.Implementation{Name: clientName, Version: "1.0.0"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: p.Resource(), OAuthHandler: OAuthHandler(t, NewBrowser(), clientName),
	}, nil)
	if err != nil {
		t.Fatalf("providertest: connect: %v", err)
	}
	defer cs.Close()

	for _, tc := range []struct {
		tool, text string
		isError    bool
	}{
		{"greet", "greet: Hello, Ada!", false},
		{"greet-jwt", `Unauthorized: not authorized to call tool "greet-jwt"`, true},
	} {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tc.tool, Arguments: map[string]any{"name": "Ada"}})
		if err != nil {
			t.Fatalf("%s: %v", tc.tool, err)
		}
		text, _ := res.Content[0].(*mcp.TextContent)
		if text == nil || text.Text != tc.text || res.IsError != tc.isError {
			t.Errorf("%s: got %+v (isError %v), want %q (isError %v)", tc.tool, res.Content[0], res.IsError, tc.text, tc.isError)
		}
	}
	app.mu.Lock()
	defer app.mu.Unlock()
	if diff := cmp.Diff([]string{"id1 test-user@zitadel.ch greet"}, app.seen); diff != "" {
		t.Errorf("tools/call the MCP handler saw (-want +got):\n%s", diff)
	}
}

type nameArg struct {
	Name string `json:"name,omitempty"`
}

// greeter returns the go-sdk handler of [App.MCP].
func greeter() http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "providertest", Version: "1.0.0"}, nil)
	for _, name := range []string{"greet", "greet-jwt"} {
		mcp.AddTool(s, &mcp.Tool{Name: name}, func(_ context.Context, req *mcp.CallToolRequest, in nameArg) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: req.Params.Name + ": Hello, " + in.Name + "!"}}}, nil, nil
		})
	}
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
}
