// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
	"github.com/mcpauth/mcpauth/authzen/coaz"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	jwtSecret = "coaz-e2e-secret-0123456789abcdef"
	audience  = "https://mcp.example.com"
)

// signHS256 returns an HS256 JWT with claims.
func signHS256(t *testing.T, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT"})
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(jwtSecret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

func token(t *testing.T, sub string) string {
	return signHS256(t, map[string]any{
		"sub": sub, "client_id": "http://agentprovider.com/agent-app-id", "iss": "https://auth.example.com",
		"aud": audience, "exp": time.Now().Add(time.Hour).Unix(),
	})
}

// pdpLog records the AuthZEN requests the PDP receives.
type pdpLog struct {
	mu   sync.Mutex
	reqs []string
	next http.Handler
}

func (l *pdpLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		l.mu.Lock()
		l.reqs = append(l.reqs, r.URL.Path+" "+string(b))
		l.mu.Unlock()
	}
	l.next.ServeHTTP(w, r)
}

func (l *pdpLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.reqs, "\n")
}

type ranLog struct {
	mu  sync.Mutex
	ran []string
}

func (l *ranLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ran = append(l.ran, s)
}

func (l *ranLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.ran, ",")
}

// newServer is a go-sdk server whose get_customer tool declares the
// binding's example mapping (fig-tools-list).
func newServer(ran *ranLog) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "coaz-e2e", Version: "1.0.0"}, nil)
	handler := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ran.add(req.Params.Name + " " + string(req.Params.Arguments))
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
	}
	s.AddTool(&mcp.Tool{Name: "get_customer", Description: "Get customer details", InputSchema: map[string]any{
		"type": "object",
		"properties": map[string]any{
			"id":   map[string]any{"type": "string"},
			"case": map[string]any{"type": "string"},
		},
		"required": []string{"id"},
		"x-authzen-mapping": map[string]any{"evaluation": map[string]any{
			"subject":  map[string]any{"type": "identity", "id": "$token.sub"},
			"action":   map[string]any{"name": "get_customer"},
			"resource": map[string]any{"type": "customer", "id": "$params.arguments.id"},
			"context":  map[string]any{"agent": "$token.?client_id", "case": "$params.arguments.?case"},
		}},
	}}, handler)
	s.AddTool(&mcp.Tool{Name: "get_local_weather", InputSchema: map[string]any{
		"type": "object", "properties": map[string]any{"zip": map[string]any{"type": "string"}},
	}}, handler)
	s.AddTool(&mcp.Tool{Name: "impersonate", InputSchema: map[string]any{
		"type": "object",
		"x-authzen-mapping": map[string]any{"evaluation": map[string]any{
			"subject":  map[string]any{"id": "$params.arguments.user"},
			"action":   map[string]any{"name": "get_customer"},
			"resource": map[string]any{"type": "customer", "id": "cust-12345"},
		}},
	}}, handler)
	return s
}

type bearer struct {
	tok  string
	base http.RoundTripper
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return b.base.RoundTrip(r)
}

// A go-sdk server with a tool declaring a COAZ mapping, behind the
// middleware, authorized by an AuthZEN PDP (the embedded policy served by
// policy.Handler), called by the go-sdk client.
func TestEndToEndDeclaredMapping(t *testing.T) {
	p, err := policy.Load("testdata/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	h, err := policy.NewHandler(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	pdpRequests := &pdpLog{next: h}
	pdp := httptest.NewServer(pdpRequests)
	t.Cleanup(pdp.Close)
	az, err := mcpauth.NewAuthZEN(&mcpauth.AuthZENOptions{PDPURL: pdp.URL, Discover: true})
	if err != nil {
		t.Fatal(err)
	}
	mapping, err := coaz.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := &mcpauth.Options{Identity: mcpauth.JWTIdentity(mcpauth.JWTOptions{Secret: []byte(jwtSecret), Audience: audience})}
	mapping.Configure(opts)
	mw, err := mcpauth.New(az, opts)
	if err != nil {
		t.Fatal(err)
	}
	ran := &ranLog{}
	server := newServer(ran)
	mcpSrv := httptest.NewServer(mw.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	// Cleanups run last first: the sessions close before the servers.
	t.Cleanup(mcpSrv.Close)

	connect := func(user string) *mcp.ClientSession {
		t.Helper()
		client := mcp.NewClient(&mcp.Implementation{Name: "e2e-client", Version: "1.0.0"}, nil)
		cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
			Endpoint:   mcpSrv.URL,
			HTTPClient: &http.Client{Transport: &bearer{tok: token(t, user), base: http.DefaultTransport}},
		}, nil)
		if err != nil {
			t.Fatalf("%s: connect: %v", user, err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	ctx := context.Background()
	alice := connect("alice@example.com")
	tools, err := alice.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 3 {
		t.Fatalf("tools/list: got %v, %v", tools, err)
	}
	call := func(cs *mcp.ClientSession, tool string, args map[string]any) (*mcp.CallToolResult, error) {
		return cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	}
	// The declared mapping: alice may read cust-12345 only.
	if res, err := call(alice, "get_customer", map[string]any{"id": "cust-12345", "case": "case-67890"}); err != nil || res.IsError {
		t.Errorf("alice get_customer cust-12345: got %+v, %v; want allowed", res, err)
	}
	if res, err := call(alice, "get_customer", map[string]any{"id": "cust-999"}); err == nil && !res.IsError {
		t.Errorf("alice get_customer cust-999: allowed, want denied")
	}
	// The default tools/call mapping for the tool without a declaration.
	if res, err := call(alice, "get_local_weather", map[string]any{"zip": "94110"}); err != nil || res.IsError {
		t.Errorf("alice get_local_weather: got %+v, %v; want allowed", res, err)
	}
	// A mapping naming another subject is a mapping error: -32602, no PDP call.
	before := len(strings.Split(pdpRequests.all(), "\n"))
	var rpcErr *jsonrpc.Error
	if _, err := call(alice, "impersonate", map[string]any{"user": "bob@example.com"}); !errors.As(err, &rpcErr) || rpcErr.Code != coaz.CodeMappingError {
		t.Errorf("impersonate: got %v; want a JSON-RPC -32602 error", err)
	}
	if after := len(strings.Split(pdpRequests.all(), "\n")); after != before {
		t.Errorf("a mapping error reached the PDP")
	}
	bob := connect("bob@example.com")
	if _, err := bob.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := call(bob, "get_customer", map[string]any{"id": "cust-12345"}); err == nil && !res.IsError {
		t.Errorf("bob get_customer: allowed, want denied")
	}

	// A method the binding does not map is an authorization denial.
	if _, err := alice.ListResourceTemplates(ctx, nil); !errors.As(err, &rpcErr) || rpcErr.Code != coaz.CodeDenied {
		t.Errorf("resources/templates/list: got %v; want a JSON-RPC %d error", err, coaz.CodeDenied)
	}
	// The PDP unreachable: Internal error, nothing runs.
	pdp.Close()
	if _, err := call(alice, "get_customer", map[string]any{"id": "cust-777"}); !errors.As(err, &rpcErr) || rpcErr.Code != coaz.CodePDPError {
		t.Errorf("PDP down: got %v; want a JSON-RPC %d error", err, coaz.CodePDPError)
	}

	if got, want := ran.String(), `get_customer {"case":"case-67890","id":"cust-12345"},get_local_weather {"zip":"94110"}`; got != want {
		t.Errorf("tools that ran:\n got %s\nwant %s", got, want)
	}
	log := pdpRequests.all()
	for _, want := range []string{
		authzen.PathEvaluation + ` {"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"initialize"}`,
		`"action":{"name":"tools/list"},"resource":{"type":"mcp_server","id":"https://mcp.example.com"}`,
		`{"subject":{"type":"identity","id":"alice@example.com"},"action":{"name":"get_customer"},"resource":{"type":"customer","id":"cust-12345"},"context":{"agent":"http://agentprovider.com/agent-app-id","case":"case-67890"}}`,
		`"action":{"name":"tools/call"},"resource":{"type":"tool","id":"get_local_weather"}`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the PDP never received %s\nit received:\n%s", want, log)
		}
	}
}
