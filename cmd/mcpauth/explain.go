// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// maxInputBytes caps the request and response files: the middleware's
// default Options.Limits.MaxBodyBytes.
const maxInputBytes = 4 << 20

const explainUsage = `usage: mcpauth explain [flags] [REQUEST_FILE | -]

Reads one JSON-RPC request (from REQUEST_FILE, or from stdin when it is "-"
or absent), authorizes it with the middleware's own mapping against a
policy file, and prints every check the decision point receives (user,
action, resource type and key, tenant, attributes) with the policy's
decision and the role, set rule or condition that decided it.

A list request (tools/list, prompts/list, resources/list,
resources/templates/list) is allowed at request time and filtered item by
item in the response: pass the server's response (or just its result) with
-response to see each item's list-time check and the filtered result.

Exit codes: 0 allowed, 1 denied or invalid policy, 2 usage error or
unreadable input.

flags:
`

// runExplain implements "mcpauth explain".
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("explain", stderr)
	policyPath := fs.String("policy", "", "policy `FILE` (default: the built-in demo policy)")
	user := fs.String("user", "", "identify the caller as user `KEY` (default \"client\", the middleware's fixed user)")
	token := fs.String("jwt", "", "identify the caller by the HS256 JWT `TOKEN` (needs -jwt-secret)")
	secret := fs.String("jwt-secret", "", "HMAC `SECRET` that verifies -jwt")
	claim := fs.String("jwt-claim", "sub", "JWT `CLAIM` holding the user key")
	tenant := fs.String("tenant", "", "check in tenant `T` (default \"default\")")
	server := fs.String("server", mcpauth.DefaultServerName, "server `NAME`: the resource type of tools/call")
	public := fs.String("public", "", "comma-separated public tool `NAMES` (checked by nobody)")
	response := fs.String("response", "", "the server's response `FILE` to a list request, to filter")
	fs.Usage = func() {
		fmt.Fprint(stderr, explainUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "%s: "+format+"\n", append([]any{programName}, args...)...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 1:
		return fail("explain takes at most one REQUEST_FILE")
	case *user != "" && *token != "":
		return fail("-user and -jwt are mutually exclusive")
	case *token != "" && *secret == "":
		return fail("-jwt needs -jwt-secret")
	case *token == "" && *secret != "":
		return fail("-jwt-secret needs -jwt")
	}

	p, policyName := policy.Demo(), "the built-in demo policy"
	if *policyPath != "" {
		var err error
		if p, err = policy.Load(*policyPath); err != nil {
			fmt.Fprintln(stderr, err)
			var pe *policy.Error
			if errors.As(err, &pe) {
				return exitFailed
			}
			return exitUsage
		}
		policyName = *policyPath
	}

	body, source, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		return fail("%v", err)
	}
	var respBody []byte
	if *response != "" {
		if *response == "-" && (fs.Arg(0) == "" || fs.Arg(0) == "-") {
			return fail("the request and -response cannot both come from stdin")
		}
		if respBody, _, err = readInput(*response, stdin); err != nil {
			return fail("%v", err)
		}
	}

	// Names a tools/call cannot tell apart, wherever they show.
	warnPolicyCollisions(stderr, p, []string{*server})
	warnCallAction(stderr, body)
	if respBody != nil {
		warnListCollisions(stderr, responseTools(respBody))
	}

	argPrefix := p.ArgumentPrefix()
	if argPrefix == "" {
		argPrefix = mcpauth.NoPrefix
	}
	opts := &mcpauth.Options{
		ServerName:     *server,
		ArgumentPrefix: argPrefix,
		DisableAudit:   true,
		// Every check must reach the policy to be explained.
		Cache: mcpauth.CacheOptions{Size: -1},
	}
	opts.Tenant.Fixed = *tenant
	if *public != "" {
		opts.PublicTools = strings.Split(*public, ",")
	}
	switch {
	case *token != "":
		opts.Identity = mcpauth.JWTIdentity(mcpauth.JWTOptions{Secret: []byte(*secret), Claim: *claim})
	case *user != "":
		opts.Identity = mcpauth.FixedIdentity(*user)
	}
	rec := &recorder{p: p}
	mw, err := mcpauth.New(rec, opts)
	if err != nil {
		return fail("%v", err)
	}

	r := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	if *token != "" {
		r.Header.Set("Authorization", "Bearer "+*token)
	}

	out := &printer{w: stdout}
	out.printf("policy:   %s\n", policyName)
	out.printf("request:  %s\n", source)

	var (
		d                   *mcpauth.Decision
		filtered, respItems []byte
	)
	if respBody != nil {
		respItems, err = asResponse(body, respBody)
		if err != nil {
			return fail("%v", err)
		}
		d, filtered, err = serveList(mw, rec, r, body, respItems)
	} else {
		d, err = mw.Check(r)
	}
	var denial *mcpauth.Denial
	if err != nil && !errors.As(err, &denial) {
		return fail("%v", err)
	}
	if d != nil && d.Method != "" {
		out.printf("method:   %s\n", d.Method)
	} else if denial != nil && denial.Method != "" {
		out.printf("method:   %s\n", denial.Method)
	}
	checks := rec.recorded()
	switch {
	case d != nil && d.Identity != nil:
		out.printf("identity: user %q\n", d.Identity.User.Key)
	case len(checks) > 0:
		// A denied decision carries no identity; the checks name the user.
		out.printf("identity: user %q\n", checks[0].User.Key)
	}
	for i, c := range checks {
		ex := p.Explain(c)
		out.printf("\ncheck %d of %d", i+1, len(checks))
		if ex.ListTime {
			out.printf(" (list-time: an item of %v)", c.Resource.Attributes[mcpauth.AttrMCPMethod])
		}
		out.printf(", as Permit's /allowed would receive it:\n")
		out.printCheck(c)
		out.printf("  policy:\n")
		for _, line := range strings.Split(strings.TrimRight(ex.String(), "\n"), "\n") {
			out.printf("    %s\n", line)
		}
	}
	out.printf("\n")
	switch {
	case err != nil:
		reason := denial.Reason
		if reason == "" {
			reason = denial.Error()
		}
		out.printf("decision: denied (%s)\n", reason)
		return exitFailed
	case d.Bypassed:
		out.printf("decision: allowed without a check (bypassed method or public tool)\n")
	case len(checks) == 0 && d.Method != "" && isList(d.Method):
		out.printf("decision: allowed; the result is filtered item by item (pass -response FILE to see each item's check)\n")
	default:
		out.printf("decision: allowed\n")
	}
	if filtered != nil {
		out.printList(respItems, filtered)
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", programName, out.err)
		return exitUsage
	}
	return exitOK
}

func isList(method string) bool {
	switch method {
	case mcpauth.MethodToolsList, mcpauth.MethodPromptsList, mcpauth.MethodResourcesList, mcpauth.MethodResourcesTemplatesList:
		return true
	}
	return false
}

// serveList runs the request through the middleware's handler in front of
// a handler that answers with respBody, and returns the decision and the
// response as the caller would receive it.
func serveList(mw *mcpauth.Middleware, rec *recorder, r *http.Request, reqBody, respBody []byte) (*mcpauth.Decision, []byte, error) {
	var d *mcpauth.Decision
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ = mcpauth.DecisionFromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Write(respBody)
	})
	rw := httptest.NewRecorder()
	mw.Handler(next).ServeHTTP(rw, r)
	if d == nil {
		// Denied before reaching the handler: Check says why.
		rec.reset()
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		d, err := mw.Check(r)
		return d, nil, err
	}
	return d, rw.Body.Bytes(), nil
}

// asResponse returns resp as a JSON-RPC response to req: unchanged when it
// is one, wrapped as {"jsonrpc":"2.0","id":<req's id>,"result":resp} when
// it is only a result.
func asResponse(req, resp []byte) ([]byte, error) {
	var probe struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(resp, &probe); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	if probe.JSONRPC != "" {
		return resp, nil
	}
	var r struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(req, &r); err != nil || r.ID == nil {
		return nil, errors.New("response: the request has no id to answer")
	}
	return json.Marshal(map[string]any{"jsonrpc": "2.0", "id": r.ID, "result": json.RawMessage(resp)})
}

// readInput reads a file, or stdin when path is "-" or empty, and names
// its source.
func readInput(path string, stdin io.Reader) ([]byte, string, error) {
	src, name := stdin, "stdin"
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		src, name = f, path
	}
	body, err := io.ReadAll(io.LimitReader(src, maxInputBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", name, err)
	}
	if len(body) > maxInputBytes {
		return nil, "", fmt.Errorf("%s: larger than %d bytes", name, maxInputBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, "", fmt.Errorf("%s: empty", name)
	}
	return body, name, nil
}

// recorder is the Authorizer given to the middleware: it decides with the
// policy and records every check it is asked, in order.
type recorder struct {
	p      *policy.Policy
	mu     sync.Mutex // guards checks
	checks []mcpauth.Check
}

func (r *recorder) Allowed(ctx context.Context, c mcpauth.Check) (bool, error) {
	r.mu.Lock()
	r.checks = append(r.checks, c)
	r.mu.Unlock()
	return r.p.Allowed(ctx, c)
}

func (r *recorder) AllowedBulk(ctx context.Context, cs []mcpauth.Check) ([]bool, error) {
	r.mu.Lock()
	r.checks = append(r.checks, cs...)
	r.mu.Unlock()
	return r.p.AllowedBulk(ctx, cs)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.checks = nil
	r.mu.Unlock()
}

func (r *recorder) recorded() []mcpauth.Check {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.checks)
}

// printer writes to the output and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) printCheck(c mcpauth.Check) {
	p.printf("  user:     %s\n", c.User.Key)
	if len(c.User.Attributes) > 0 {
		p.printf("  user attributes:\n")
		p.printAttrs(c.User.Attributes)
	}
	p.printf("  action:   %s\n", c.Action)
	p.printf("  resource: type %s", c.Resource.Type)
	if c.Resource.Key != "" {
		p.printf(", key %s", c.Resource.Key)
	}
	p.printf("\n")
	if c.Resource.Tenant != "" {
		p.printf("  tenant:   %s\n", c.Resource.Tenant)
	} else {
		p.printf("  tenant:   %s (none given)\n", mcpauth.DefaultTenant)
	}
	if len(c.Resource.Attributes) > 0 {
		p.printf("  resource attributes:\n")
		p.printAttrs(c.Resource.Attributes)
	}
	if len(c.Context) > 0 {
		p.printf("  context:\n")
		p.printAttrs(c.Context)
	}
}

// listItems returns the names (or URIs, or URI templates) of the items of
// a list response.
func listItems(resp []byte) []string {
	// The result's other members (cacheScope, nextCursor, ...) are not
	// lists: decode the list members alone.
	var r struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	if json.Unmarshal(resp, &r) != nil {
		return nil
	}
	var out []string
	for _, member := range []string{"tools", "prompts", "resources", "resourceTemplates"} {
		var items []struct {
			Name        string `json:"name"`
			URI         string `json:"uri"`
			URITemplate string `json:"uriTemplate"`
		}
		if raw, ok := r.Result[member]; !ok || json.Unmarshal(raw, &items) != nil {
			continue
		}
		for _, it := range items {
			switch {
			case it.Name != "" && member != "resources" && member != "resourceTemplates":
				out = append(out, it.Name)
			case it.URI != "":
				out = append(out, it.URI)
			case it.URITemplate != "":
				out = append(out, it.URITemplate)
			}
		}
	}
	return out
}

// printList summarizes what the list filter kept.
func (p *printer) printList(before, after []byte) {
	all, kept := listItems(before), listItems(after)
	var listed, hidden []string
	for _, it := range all {
		if slices.Contains(kept, it) {
			listed = append(listed, it)
		} else {
			hidden = append(hidden, it)
		}
	}
	none := func(s []string) string {
		if len(s) == 0 {
			return "(none)"
		}
		return strings.Join(s, ", ")
	}
	p.printf("\nfiltered result: %d of %d items listed\n", len(listed), len(all))
	p.printf("  listed: %s\n", none(listed))
	p.printf("  hidden: %s\n", none(hidden))
}

// printAttrs prints attributes sorted by name, with JSON values.
func (p *printer) printAttrs(m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := json.Marshal(m[k])
		if err != nil {
			v = fmt.Appendf(nil, "%v", m[k])
		}
		p.printf("    %s = %s\n", k, v)
	}
}
