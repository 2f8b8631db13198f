// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/permittest"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// fetchCode plays the user's browser for an MCP client: it opens authURL,
// approves the consent page, logs in at the OP and returns the parameters
// the client's redirect URI received. It returns errors instead of failing
// the test because the go-sdk client may call it on its own goroutine.
func fetchCode(ctx context.Context, authURL string) (url.Values, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	var final *url.URL
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), clientRedirect) {
			final = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	do := func(method, u string, form url.Values) (string, *url.URL, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return "", nil, err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		if err != nil {
			return "", nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Request.URL, nil
	}
	page, at, err := do(http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	f := hidden(page)
	if f.Get("csrf_token") == "" {
		return nil, fmt.Errorf("no consent page at %s: %.200s", at, page)
	}
	f.Set("action", "approve")
	consent := *at
	consent.Path = strings.TrimSuffix(consent.Path, provider.PathAuthorize) + provider.PathConsent
	consent.RawQuery = ""
	_, at, err = do(http.MethodPost, consent.String(), f)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(at.Path, "/login/username") {
		return nil, fmt.Errorf("no OP login page at %s", at)
	}
	login := *at
	login.RawQuery = ""
	if _, _, err = do(http.MethodPost, login.String(), url.Values{
		"id": {at.Query().Get("authRequestID")}, "username": {"test-user@" + at.Hostname()}, "password": {"verysecure"},
	}); err != nil {
		return nil, err
	}
	if final == nil {
		return nil, errors.New("the login did not reach the client's redirect URI")
	}
	return final.Query(), nil
}

var callerRE = regexp.MustCompile(`^subject=(\S*) email=(\S*) client=(\S*) upstream=(\S+)$`)

// newWhoamiServer is an MCP server with a "whoami" tool that reports the
// verified caller from go-sdk's TokenInfo and reads the upstream token.
func newWhoamiServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "whoami", Version: "1.0.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "who is calling"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		g, ok := provider.GrantFromTokenInfo(req.Extra.TokenInfo)
		if !ok {
			return nil, nil, errors.New("no grant")
		}
		upstream := "missing"
		if ut, err := g.UpstreamToken(ctx); err == nil && ut.AccessToken != "" {
			upstream = "present"
		}
		text := fmt.Sprintf("subject=%s email=%s client=%s upstream=%s", g.Subject, g.Email, g.ClientID, upstream)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "secret", Description: "denied by policy"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "the secret"}}}, nil, nil
	})
	return s
}

// countingHandler counts requests per "METHOD path".
type countingHandler struct {
	h  http.Handler
	mu sync.Mutex
	n  map[string]int
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.n[r.Method+" "+r.URL.Path]++
	c.mu.Unlock()
	c.h.ServeHTTP(w, r)
}

func (c *countingHandler) count(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

// TestGoSDKClientEndToEnd runs the whole flow with go-sdk's MCP client and
// its OAuth authorization-code handler: 401 → protected-resource metadata
// → authorization-server metadata → dynamic registration → authorize →
// consent → upstream OIDC login → callback → token → tools/call through the
// mcpauth middleware (context identity, Permit PDP double) → refresh →
// revoke → 401. The handler chain is the two-line composition:
// p.RequireBearer(mw.Handler(mcpHandler)).
func TestGoSDKClientEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var counter *countingHandler
	e := newEnv(t, 1, func(o *provider.Options) {
		o.MCPPath = "/test/mcp"
		// Shorter than oauth2's 10 s expiry margin: the client refreshes
		// before every request, while the provider's frozen clock keeps
		// each token valid.
		o.AccessTokenTTL = 5 * time.Second
	})
	base := e.url(0)
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return newWhoamiServer() }, nil)
	pdp := permittest.New(t)
	pdp.Allow(permittest.Rule{User: "id1", Action: "whoami"})
	authz, err := mcpauth.NewPermit(&mcpauth.PermitOptions{PDPURL: pdp.URL, APIKey: pdp.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := mcpauth.New(authz, &mcpauth.Options{Identity: mcpauth.ContextIdentity()})
	if err != nil {
		t.Fatal(err)
	}
	counter = &countingHandler{h: e.ps[0].RequireBearer(mw.Handler(mcpHandler)), n: map[string]int{}}
	e.extra.Handle("/test/mcp", counter)

	var fetches atomic.Int32
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs:            []string{clientRedirect},
			TokenEndpointAuthMethod: "none",
			GrantTypes:              []string{"authorization_code", "refresh_token"},
			ClientName:              "go-sdk end-to-end",
		}},
		RedirectURL: clientRedirect,
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			fetches.Add(1)
			q, err := fetchCode(ctx, args.URL)
			if err != nil {
				return nil, err
			}
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: base + "/test/mcp", OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()

	whoami := func() []string {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
		if err != nil {
			t.Fatalf("tools/call: %v", err)
		}
		if res.IsError || len(res.Content) != 1 {
			t.Fatalf("tools/call: got %+v", res)
		}
		m := callerRE.FindStringSubmatch(res.Content[0].(*mcp.TextContent).Text)
		if m == nil {
			t.Fatalf("unexpected whoami result %q", res.Content[0].(*mcp.TextContent).Text)
		}
		return m[1:]
	}
	got := whoami()
	clientID := got[2]
	if diff := cmp.Diff([]string{"id1", "test-user@zitadel.ch", clientID, "present"}, got); diff != "" || clientID == "" {
		t.Errorf("caller (-want +got):\n%s", diff)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("got %d authorization flows, want 1", n)
	}
	whoami()
	// The policy decision point saw the provider's user, and its deny
	// reaches the client.
	var users []string
	for _, r := range pdp.Requests() {
		for _, c := range r.Checks {
			users = append(users, c.User.Key+":"+c.Action)
		}
	}
	if len(users) == 0 || users[0] != "id1:whoami" {
		t.Errorf("got PDP checks %v, want id1:whoami", users)
	}
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "secret"}); err == nil && !res.IsError {
		t.Errorf("tools/call secret: got %+v, want a policy denial", res)
	}
	if n := counter.count("POST /test/mcp"); n < 3 {
		t.Errorf("got %d MCP POSTs, want several", n)
	}

	// The client refreshed (rotating refresh tokens) before its requests.
	ts, err := h.TokenSource(ctx)
	if err != nil || ts == nil {
		t.Fatalf("token source: %v", err)
	}
	prev, err := ts.Token()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	if got := whoami(); got[0] != "id1" {
		t.Errorf("after refresh got subject %q, want id1", got[0])
	}
	tok, err := ts.Token() // refreshes again: the token is inside oauth2's expiry margin
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok.RefreshToken == "" || tok.RefreshToken == prev.RefreshToken || tok.AccessToken == prev.AccessToken {
		t.Fatal("the client's token source did not refresh with rotation")
	}

	// Revoking the refresh token ends the grant: the access token the client
	// holds is refused with a 401 challenge.
	rv := postForm(t, base+provider.PathRevoke, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {clientID}}, "", "")
	if rv.status != http.StatusOK {
		t.Fatalf("revoke: got %d %v", rv.status, rv.body)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/test/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("after revoke: got %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// The client's own next call cannot refresh with the revoked token.
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"}); err == nil && fetches.Load() == 1 {
		t.Error("tools/call after revoke succeeded without a new authorization")
	}
}
