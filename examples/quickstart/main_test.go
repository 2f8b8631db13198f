// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/examples/internal/exampletest"
	"github.com/mcpauth/mcpauth/internal/permittest"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// shellWords splits a command line the way sh does for the subset the
// banner uses: blanks separate words, '...' is literal, "..." expands $NAME.
func shellWords(t *testing.T, line string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "$"+k, v)
		}
		if strings.Contains(s, "$") {
			t.Fatalf("unexpanded variable in %q", s)
		}
		return s
	}
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\'', '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				t.Fatalf("unterminated quote in %q", line)
			}
			s := line[i+1 : i+1+j]
			if c == '"' {
				s = expand(s)
			}
			cur.WriteString(s)
			inWord = true
			i += j + 1
		default:
			if c == '$' {
				t.Fatalf("unquoted variable in %q", line)
			}
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// curlResult executes a printed "curl -sS URL -H ... -d BODY" command with
// net/http and returns the decoded tool result.
func curlResult(t *testing.T, line string, vars map[string]string) (text string, isError bool) {
	t.Helper()
	w := shellWords(t, line, vars)
	if len(w) < 3 || w[0] != "curl" || w[1] != "-sS" {
		t.Fatalf("not a curl command the test understands: %q", line)
	}
	req, err := http.NewRequest(http.MethodPost, w[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 3; i < len(w); i += 2 {
		if i+1 >= len(w) {
			t.Fatalf("flag %q without value in %q", w[i], line)
		}
		switch w[i] {
		case "-H":
			k, v, ok := strings.Cut(w[i+1], ": ")
			if !ok {
				t.Fatalf("bad header %q", w[i+1])
			}
			req.Header.Add(k, v)
		case "-d":
			req.Body = io.NopCloser(strings.NewReader(w[i+1]))
			req.ContentLength = int64(len(w[i+1]))
		default:
			t.Fatalf("unknown curl flag %q", w[i])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d %s", line, resp.StatusCode, body)
	}
	var msg struct {
		Result struct {
			Content []struct {
				Type, Text string
			}
			IsError bool
		}
		Error any
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatalf("%s: response %s: %v", line, body, err)
	}
	if msg.Error != nil || len(msg.Result.Content) != 1 {
		t.Fatalf("%s: got %s, want one text result", line, body)
	}
	return msg.Result.Content[0].Text, msg.Result.IsError
}

// banner returns the TOKEN value and the curl lines the server printed.
func parseBanner(t *testing.T, out string) (token string, cmds []string) {
	t.Helper()
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if v, ok := strings.CutPrefix(line, "  TOKEN="); ok {
			token = v
		}
		if v, ok := strings.CutPrefix(line, "  curl "); ok {
			cmds = append(cmds, "curl "+v)
		}
	}
	if token == "" || len(cmds) == 0 {
		t.Fatalf("banner without TOKEN or commands:\n%s", out)
	}
	return token, cmds
}

// TestBannerCommands runs the commands the server prints, as a user would
// paste them, and checks what they show.
func TestBannerCommands(t *testing.T) {
	mcpURL, out := exampletest.Start(t, run, nil)
	token, cmds := parseBanner(t, out.String())
	vars := map[string]string{"TOKEN": token}

	type want struct {
		text    string
		isError bool
	}
	wants := []want{
		{"Hello, Ada!", false},
		{`Unauthorized: not authorized to call tool "greet-jwt"`, true},
		{`Unauthorized: not authorized to call tool "conditional-greet"`, true},
		{"Good day, Ada. Your number is 12.", false},
	}
	if len(cmds) != len(wants)+1 {
		t.Fatalf("got %d commands, want %d:\n%s", len(cmds), len(wants)+1, out)
	}
	for i, w := range wants {
		if !strings.HasPrefix(cmds[i], "curl -sS "+mcpURL+" ") {
			t.Errorf("command %d does not call %s: %s", i, mcpURL, cmds[i])
		}
		text, isErr := curlResult(t, cmds[i], vars)
		if diff := cmp.Diff(w, want{text, isErr}, cmp.AllowUnexported(want{})); diff != "" {
			t.Errorf("command %d (%s): result mismatch (-want +got):\n%s", i+1, cmds[i], diff)
		}
	}

	// The last command logs in as admin without a token; the token it
	// returns may call greet-jwt, which greets the verified user.
	login := cmds[len(cmds)-1]
	if strings.Contains(login, "TOKEN") {
		t.Fatalf("the login command sends a token: %s", login)
	}
	adminToken, isErr := curlResult(t, login, nil)
	if isErr || strings.Count(adminToken, ".") != 2 {
		t.Fatalf("login: got %q (isError %v), want a JWT", adminToken, isErr)
	}
	greetJWT := cmds[1]
	text, isErr := curlResult(t, greetJWT, map[string]string{"TOKEN": adminToken})
	if text != "Hello, admin! (secure)" || isErr {
		t.Errorf("greet-jwt as admin: got %q (isError %v), want %q", text, isErr, "Hello, admin! (secure)")
	}

	// Every decision was logged, the denials at WARN.
	log := out.String()
	for _, s := range []string{
		"decision=allow user=client tenant=default method=tools/call tool_name=greet resource=mcp_server action=greet ",
		"decision=deny user=client tenant=default method=tools/call tool_name=greet-jwt resource=mcp_server action=greet-jwt ",
		"decision=allow user=admin tenant=default method=tools/call tool_name=greet-jwt resource=mcp_server action=greet-jwt ",
	} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %q:\n%s", s, log)
		}
	}
	if !strings.Contains(log, "JWT secret (random, since MCP_JWT_SECRET is not set)") {
		t.Errorf("the generated secret was not announced:\n%s", log)
	}
}

// TestGoSDKClient drives the server with the official client: login
// through the public tool, the filtered tool list per user, and the
// decisions of the demo policy.
func TestGoSDKClient(t *testing.T) {
	const secret = "a-fixed-test-secret-of-32-bytes!"
	mcpURL, out := exampletest.Start(t, run, map[string]string{"MCP_JWT_SECRET": secret})
	if strings.Contains(out.String(), "JWT secret") {
		t.Errorf("a configured secret was printed:\n%s", out)
	}

	anon := exampletest.Connect(t, mcpURL, "")
	tokens := map[string]string{}
	for _, c := range []struct{ user, password string }{{"admin", "password"}, {"client", "client"}} {
		tok, isErr := exampletest.Call(t, anon, "login", map[string]any{"username": c.user, "password": c.password})
		if isErr {
			t.Fatalf("login %s: %s", c.user, tok)
		}
		tokens[c.user] = tok
	}
	for _, c := range []struct{ name, user, password string }{
		{"wrong password", "admin", "client"},
		{"unknown user", "mallory", "password"},
		{"empty", "", ""},
	} {
		t.Run("login/"+c.name, func(t *testing.T) {
			text, isErr := exampletest.Call(t, anon, "login", map[string]any{"username": c.user, "password": c.password})
			if !isErr || !strings.Contains(text, "invalid username or password") {
				t.Errorf("got %q (isError %v), want the invalid-credentials error", text, isErr)
			}
		})
	}
	// Without a token, only the public tool is callable: listing needs an
	// identity.
	if _, err := anon.ListTools(context.Background(), nil); err == nil {
		t.Error("tools/list without a token succeeded")
	}

	type call struct {
		tool    string
		args    map[string]any
		text    string
		isError bool
	}
	tests := []struct {
		user      string
		wantTools []string
		calls     []call
	}{
		{
			user:      "admin",
			wantTools: []string{"conditional-greet", "greet", "greet-jwt", "login"},
			calls: []call{
				{"greet-jwt", nil, "Hello, admin! (secure)", false},
				{"conditional-greet", map[string]any{"name": "Bo", "number": 5}, "Hey Bo, number 5. Nice to see you.", false},
			},
		},
		{
			// greet-jwt is hidden from client's list; conditional-greet is
			// listed because its rule depends only on an argument.
			user:      "client",
			wantTools: []string{"conditional-greet", "greet", "login"},
			calls: []call{
				{"greet", map[string]any{"name": "Bo"}, "Hello, Bo!", false},
				{"greet-jwt", nil, `Unauthorized: not authorized to call tool "greet-jwt"`, true},
				{"conditional-greet", map[string]any{"name": "Bo", "number": 10}, `Unauthorized: not authorized to call tool "conditional-greet"`, true},
				{"conditional-greet", map[string]any{"name": "Bo", "number": 30}, "WOW Bo, number 30! What a pleasure!", false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			cs := exampletest.Connect(t, mcpURL, tokens[tt.user])
			if diff := cmp.Diff(tt.wantTools, exampletest.ToolNames(t, cs)); diff != "" {
				t.Errorf("tools/list mismatch (-want +got):\n%s", diff)
			}
			for _, c := range tt.calls {
				text, isErr := exampletest.Call(t, cs, c.tool, c.args)
				if text != c.text || isErr != c.isError {
					t.Errorf("%s(%v): got %q (isError %v), want %q (isError %v)", c.tool, c.args, text, isErr, c.text, c.isError)
				}
			}
		})
	}

	// A token signed with another secret is refused before any tool runs.
	forged := demo.SignToken([]byte("another-secret-another-secret-!!"), "admin", time.Now(), time.Now().Add(time.Hour))
	c := mcp.NewClient(&mcp.Implementation{Name: "forger", Version: "1.0.0"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint:   mcpURL,
		HTTPClient: &http.Client{Transport: exampletest.Bearer{Token: forged}},
	}, nil)
	if err == nil {
		_, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "greet", Arguments: map[string]any{"name": "x"}})
		_ = cs.Close()
	}
	if err == nil {
		t.Error("a forged token was accepted")
	}
}

// TestPermit checks that PERMIT_PDP_URL and PERMIT_API_KEY switch the
// decisions to the Permit PDP (here its double).
func TestPermit(t *testing.T) {
	pdp := permittest.New(t)
	pdp.Allow(permittest.Rule{User: "client", Action: "greet-jwt"})
	_, out := exampletest.Start(t, run, map[string]string{
		"MCP_JWT_SECRET": "another-fixed-test-secret-32-byte",
		"PERMIT_PDP_URL": pdp.URL,
		"PERMIT_API_KEY": pdp.APIKey,
	})
	if !strings.Contains(out.String(), "Decisions: the Permit PDP") {
		t.Errorf("banner does not name Permit:\n%s", out)
	}
	token, cmds := parseBanner(t, out.String())
	vars := map[string]string{"TOKEN": token}
	// Under this PDP policy client may call greet-jwt but not greet.
	for _, c := range []struct {
		cmd     string
		text    string
		isError bool
	}{
		{cmds[0], `Unauthorized: not authorized to call tool "greet"`, true},
		{cmds[1], "Hello, client! (secure)", false},
	} {
		text, isErr := curlResult(t, c.cmd, vars)
		if text != c.text || isErr != c.isError {
			t.Errorf("%s: got %q (isError %v), want %q (isError %v)", c.cmd, text, isErr, c.text, c.isError)
		}
	}
	var got []string
	for _, r := range pdp.Requests() {
		for _, c := range r.Checks {
			got = append(got, fmt.Sprintf("%s %s %s:%s", r.Path, c.User.Key, c.Resource.Type, c.Action))
		}
	}
	want := []string{"/allowed client mcp_server:greet", "/allowed client mcp_server:greet-jwt"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PDP requests mismatch (-want +got):\n%s", diff)
	}
}

// TestAuthZEN runs the quickstart against the demo policy served over
// AuthZEN by policy.Handler, as `mcpauth policy serve` does.
// With -authzen, as the README runs it, or with the mcpauthenv variables
// only.
func TestAuthZEN(t *testing.T) {
	h, err := policy.NewHandler(policy.Demo(), &policy.HandlerOptions{Token: "pdp-token"})
	if err != nil {
		t.Fatal(err)
	}
	pdp := httptest.NewServer(h)
	t.Cleanup(pdp.Close)
	t.Run("flag", func(t *testing.T) {
		testAuthZEN(t, pdp.URL, map[string]string{
			"MCP_JWT_SECRET":    "another-fixed-test-secret-32-byte",
			"MCPAUTH_PDP_TOKEN": "pdp-token",
		}, "-authzen", pdp.URL)
	})
	t.Run("environment", func(t *testing.T) {
		testAuthZEN(t, pdp.URL, map[string]string{
			"MCP_JWT_SECRET":           "another-fixed-test-secret-32-byte",
			"PERMIT_MCP_AUTHZEN_URL":   pdp.URL,
			"PERMIT_MCP_AUTHZEN_TOKEN": "pdp-token",
		})
	})
}

func testAuthZEN(t *testing.T, pdpURL string, env map[string]string, args ...string) {
	t.Helper()
	_, out := exampletest.Start(t, run, env, args...)
	if !strings.Contains(out.String(), "Decisions: the AuthZEN PDP at "+pdpURL) {
		t.Errorf("banner does not name the AuthZEN PDP:\n%s", out)
	}
	token, cmds := parseBanner(t, out.String())
	vars := map[string]string{"TOKEN": token}
	for _, c := range []struct {
		cmd     string
		text    string
		isError bool
	}{
		{cmds[0], "Hello, Ada!", false},
		{cmds[1], `Unauthorized: not authorized to call tool "greet-jwt"`, true},
		{cmds[2], `Unauthorized: not authorized to call tool "conditional-greet"`, true},
		{cmds[3], "Good day, Ada. Your number is 12.", false},
	} {
		text, isErr := curlResult(t, c.cmd, vars)
		if text != c.text || isErr != c.isError {
			t.Errorf("%s: got %q (isError %v), want %q (isError %v)", c.cmd, text, isErr, c.text, c.isError)
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
		{"only the PDP URL", []string{"-addr", "127.0.0.1:0"}, map[string]string{"PERMIT_PDP_URL": "http://127.0.0.1:1"}, "PermitOptions.APIKey is empty"},
		{"AuthZEN variable without its URL", []string{"-addr", "127.0.0.1:0"}, map[string]string{"PERMIT_MCP_AUTHZEN_TOKEN": "t"},
			"PERMIT_MCP_AUTHZEN_TOKEN is set but PERMIT_MCP_AUTHZEN_URL is not"},
		{"AuthZEN URL and Permit", []string{"-addr", "127.0.0.1:0"},
			map[string]string{"PERMIT_MCP_AUTHZEN_URL": "http://127.0.0.1:1", "PERMIT_API_KEY": "k"}, "choose one decision point"},
		{"unknown flag", []string{"-port", "1"}, nil, "flag provided but not defined"},
		{"extra argument", []string{"serve"}, nil, "unexpected arguments"},
		{"bad ADDR", nil, map[string]string{"ADDR": "not-an-address"}, "not-an-address"},
		{"AuthZEN and Permit", []string{"-addr", "127.0.0.1:0", "-authzen", "http://127.0.0.1:1"},
			map[string]string{"PERMIT_PDP_URL": "http://127.0.0.1:1", "PERMIT_API_KEY": "k"}, "choose one decision point"},
		{"unknown telemetry", []string{"-addr", "127.0.0.1:0", "-telemetry", "jaeger"}, nil, "want stdout or prometheus"},
		{"AuthZEN over http to a remote host", []string{"-addr", "127.0.0.1:0", "-authzen", "http://pdp.example.com"}, nil, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, io.Discard, func(string) {
				t.Error("the server started")
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestConditionalGreeting(t *testing.T) {
	tests := []struct {
		number int
		want   string
	}{
		{-1, "WOW Ada, number -1! What a pleasure!"},
		{0, "Hey Ada, number 0. Nice to see you."},
		{10, "Hey Ada, number 10. Nice to see you."},
		{11, "Good day, Ada. Your number is 11."},
		{20, "Good day, Ada. Your number is 20."},
		{21, "WOW Ada, number 21! What a pleasure!"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.number), func(t *testing.T) {
			if got := demo.ConditionalGreeting("Ada", tt.number); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// scrape fetches a Prometheus text exposition and returns the samples of
// the metric family name: the labels given in keep (in order, joined with
// ",") -> value.
func scrape(t *testing.T, url, name string, keep ...string) map[string]string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	out := map[string]string{}
	for line := range strings.Lines(string(body)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), name+"{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			t.Fatalf("unreadable sample %q", line)
		}
		got := map[string]string{}
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			got[k] = strings.Trim(v, `"`)
		}
		var key []string
		for _, k := range keep {
			key = append(key, got[k])
		}
		out[strings.Join(key, ",")] = value
	}
	return out
}

// TestPrometheus runs the quickstart with -telemetry=prometheus, makes an
// allowed, a cached, a denied and a public call, and scrapes /metrics.
func TestPrometheus(t *testing.T) {
	mcpURL, out := exampletest.Start(t, run, nil, "-telemetry=prometheus", "-metrics-addr", "127.0.0.1:0")
	var metricsURL string
	for line := range strings.Lines(out.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Metrics (Prometheus): "); ok {
			metricsURL = v
		}
	}
	if !strings.HasPrefix(metricsURL, "http://127.0.0.1:") {
		t.Fatalf("banner gives no loopback metrics URL:\n%s", out)
	}
	token, _ := parseBanner(t, out.String())
	cs := exampletest.Connect(t, mcpURL, token)
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"greet", map[string]any{"name": "Ada"}},
		{"greet", map[string]any{"name": "Ada"}},
		{"greet-jwt", map[string]any{}},
		{"login", map[string]any{"username": "nobody", "password": "x"}},
	} {
		exampletest.Call(t, cs, c.tool, c.args)
	}
	got := scrape(t, metricsURL, "mcpauth_decisions_total",
		"mcp_method_name", "mcpauth_decision_outcome", "mcpauth_decision_source")
	// The go-sdk client discovers the stateless server (server/discover)
	// instead of initializing a session.
	want := map[string]string{
		"server/discover,allow,bypass": "1",
		"tools/call,allow,pdp":         "1",
		"tools/call,allow,cache":       "1",
		"tools/call,deny,pdp":          "1",
		"tools/call,allow,bypass":      "1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mcpauth_decisions_total (-want +got):\n%s", diff)
	}
	if got := scrape(t, metricsURL, "mcpauth_cache_hits_total", "otel_scope_name"); got["github.com/mcpauth/mcpauth"] != "1" {
		t.Errorf("mcpauth_cache_hits_total = %v, want 1", got)
	}
}
