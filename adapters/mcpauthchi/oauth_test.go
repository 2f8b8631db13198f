// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthchi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthchi"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

const clientRedirect = "http://127.0.0.1:1/callback"

// lateHandler serves the handler set after the server started (whose URL
// the handler needs).
type lateHandler struct {
	mu sync.RWMutex
	h  http.Handler
}

func (l *lateHandler) set(h http.Handler) { l.mu.Lock(); l.h = h; l.mu.Unlock() }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.RLock()
	h := l.h
	l.mu.RUnlock()
	h.ServeHTTP(w, r)
}

var hiddenRE = regexp.MustCompile(`name="(consent_id|csrf_token)" value="([^"]*)"`)

// login walks consent (approve) and the OP's login form as a browser with
// a cookie jar, and returns the query of the redirect to the MCP client.
func login(ctx context.Context, authURL string) (url.Values, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), clientRedirect) || len(via) > 20 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	send := func(method, u string, form url.Values) (*http.Response, string, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return nil, "", err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	resp, page, err := send(http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "csrf_token") {
		return nil, fmt.Errorf("got %d at %s, want the consent page", resp.StatusCode, resp.Request.URL)
	}
	form := url.Values{"action": {"approve"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], m[2])
	}
	consent := *resp.Request.URL
	consent.Path, consent.RawQuery = provider.PathConsent, ""
	if resp, _, err = send(http.MethodPost, consent.String(), form); err != nil {
		return nil, err
	}
	loginURL := resp.Request.URL
	if loginURL.Path != "/login/username" {
		return nil, fmt.Errorf("got %d at %s, want the OP's login page", resp.StatusCode, loginURL)
	}
	post := *loginURL
	post.RawQuery = ""
	resp, page, err = send(http.MethodPost, post.String(), url.Values{
		"id":       {loginURL.Query().Get("authRequestID")},
		"username": {"test-user@" + loginURL.Hostname()},
		"password": {"verysecure"},
	})
	if err != nil {
		return nil, err
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), clientRedirect) {
		return nil, fmt.Errorf("got %d to %q, want the client redirect; page %.200s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	return loc.Query(), nil
}

// TestProviderEndToEnd serves the provider and the MCP endpoint with chi
// (MountProvider, r.With(p.RequireBearer, Middleware)) and drives the whole
// OAuth login and MCP calls with the go-sdk client.
func TestProviderEndToEnd(t *testing.T) {
	var opH, appH lateHandler
	op := httptest.NewServer(&opH)
	t.Cleanup(op.Close)
	app := httptest.NewServer(&appH)
	t.Cleanup(app.Close)

	p, err := provider.New(&provider.Options{
		BaseURL:  app.URL,
		Upstream: provider.UpstreamOptions{Issuer: op.URL, ClientID: "upstream", ClientSecret: "upstream-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	st := storage.NewStorageWithClients(storage.NewUserStore(op.URL), map[string]*storage.Client{
		"upstream": storage.WebClient("upstream", "upstream-secret", p.CallbackURL()),
	})
	opH.set(exampleop.SetupServer(op.URL, st, nil, false))

	pol, err := policy.Parse("test.json", []byte(`{
		"resources": {"mcp_server": {"actions": ["greet", "greet-jwt", "login", "conditional-greet"]}},
		"roles": {"Client": {"permissions": ["mcp_server:greet"]}},
		"users": {"id1": {"roles": ["Client"]}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := mcpauth.New(pol, &mcpauth.Options{Identity: mcpauth.IdentityOptions{
		Mode: mcpauth.IdentityContext, ResourceMetadataURL: p.ResourceMetadataURL(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	mcpHandler := newMCPHandler()
	var mu sync.Mutex
	var seen []string
	r := chi.NewRouter()
	mcpauthchi.MountProvider(r, p)
	r.With(p.RequireBearer, mcpauthchi.Middleware(mw)).Handle("/mcp", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		d, _ := mcpauth.DecisionFromContext(req.Context())
		if pr, ok := mcpauth.PrincipalFromContext(req.Context()); ok && d.Method == mcpauth.MethodToolsCall {
			mu.Lock()
			seen = append(seen, pr.Subject+" "+pr.Email+" "+d.Checks[0].Action)
			mu.Unlock()
		}
		mcpHandler.ServeHTTP(w, req)
	}))
	appH.set(r)

	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs:            []string{clientRedirect},
			TokenEndpointAuthMethod: "none",
			GrantTypes:              []string{"authorization_code", "refresh_token"},
			ClientName:              "chi end-to-end",
		}},
		RedirectURL: clientRedirect,
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			q, err := login(ctx, args.URL)
			if err != nil {
				return nil, err
			}
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "chi-oauth", Version: "1.0.0"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: p.Resource(), OAuthHandler: h}, nil)
	if err != nil {
		t.Fatal(err)
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
		if got := res.Content[0].(*mcp.TextContent).Text; got != tc.text || res.IsError != tc.isError {
			t.Errorf("%s: got %q (isError %v), want %q (isError %v)", tc.tool, got, res.IsError, tc.text, tc.isError)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"id1 test-user@zitadel.ch greet"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("handlers saw %v, want %v", seen, want)
	}
}
