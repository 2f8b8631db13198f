// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/provider"
)

// rfcErrorChars reports whether s uses only the characters RFC 6749 §5.2
// allows in error and error_description: %x20-21 / %x23-5B / %x5D-7E.
func rfcErrorChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// checkErrorBody decodes an OAuth error body and checks it is exactly
// RFC-shaped: only error, error_description and error_uri, strings in the
// allowed characters, the wanted code, JSON and never cached.
func checkErrorBody(t *testing.T, status int, header http.Header, raw []byte, wantStatus int, wantCode provider.ErrorCode) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", raw, err)
	}
	for k, v := range body {
		s, ok := v.(string)
		if !ok || (k != "error" && k != "error_description" && k != "error_uri") || !rfcErrorChars(s) {
			t.Errorf("member %q: %#v is not part of an RFC 6749 §5.2 error", k, v)
		}
	}
	got := struct {
		Status      int
		Code        any
		ContentType string
		CacheCtl    string
	}{status, body["error"], header.Get("Content-Type"), header.Get("Cache-Control")}
	want := got
	want.Status, want.Code, want.ContentType, want.CacheCtl = wantStatus, string(wantCode), "application/json", "no-store"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error response (-want +got):\n%s\nbody: %s", diff, raw)
	}
	return body
}

// TestErrorWire: every code the provider sends as JSON, elicited through
// its endpoints, has an exactly RFC-shaped body and the code's status.
func TestErrorWire(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) {
		// codeFor, noRefresh and the next two cases register; the fifth is refused.
		o.Registration.PerAddressPerMinute = 4
	})
	base := e.url(0)
	e.extra.Handle("/test/admin", e.ps[0].RequireScopes("never-granted")(http.HandlerFunc(echoPrincipal)))
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	at, rt := tok.str("access_token"), tok.str("refresh_token")
	if at == "" || rt == "" {
		t.Fatalf("exchange: %d %v", tok.status, tok.body)
	}
	noRefresh := register(t, base, map[string]any{
		"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"},
	}).str("client_id")

	form := func(v url.Values) func() *http.Response {
		return func() *http.Response {
			resp, err := http.PostForm(base+provider.PathToken, v)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
	}
	regJSON := func(body string) func() *http.Response {
		return func() *http.Response {
			resp, err := http.Post(base+provider.PathRegister, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
	}
	bearer := func(path, token string) func() *http.Response {
		return func() *http.Response {
			req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
	}
	tests := []struct {
		name   string
		do     func() *http.Response
		status int
		code   provider.ErrorCode
	}{
		{"no grant_type", form(url.Values{"client_id": {id}}), 400, provider.CodeInvalidRequest},
		{"repeated parameter with quotes in its name", form(url.Values{"client_id": {id}, `a"\é`: {"1", "2"}}), 400, provider.CodeInvalidRequest},
		{"unknown client", form(url.Values{"client_id": {"nobody"}, "grant_type": {"authorization_code"}}), 401, provider.CodeInvalidClient},
		{"bad code", form(url.Values{"client_id": {id}, "grant_type": {"authorization_code"}, "code": {"nope"}}), 400, provider.CodeInvalidGrant},
		{"password grant", form(url.Values{"client_id": {id}, "grant_type": {"password"}}), 400, provider.CodeUnsupportedGrantType},
		{"refresh without the grant type", form(url.Values{"client_id": {noRefresh}, "grant_type": {"refresh_token"}, "refresh_token": {rt}}), 400, provider.CodeUnauthorizedClient},
		{"scope not granted", form(url.Values{"client_id": {id}, "grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {`"evil\`}}), 400, provider.CodeInvalidScope},
		{"other resource", form(url.Values{"client_id": {id}, "grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": {"https://elsewhere.example/mcp"}}), 400, provider.CodeInvalidTarget},
		{"GET token", func() *http.Response { r, _ := http.Get(base + provider.PathToken); return r }, 405, provider.CodeInvalidRequest},
		{"no redirect URIs", regJSON(`{"client_name":"x"}`), 400, provider.CodeInvalidRedirectURI},
		{"unknown auth method", regJSON(`{"redirect_uris":["` + clientRedirect + `"],"token_endpoint_auth_method":"\"quoted\\\u00e9"}`), 400, provider.CodeInvalidClientMetadata},
		{"registration rate", regJSON(`{"redirect_uris":["` + clientRedirect + `"]}`), 429, provider.CodeTemporarilyUnavailable},
		{"bad bearer token", bearer("/mcp", "not-a-token"), 401, provider.CodeInvalidToken},
		{"missing scope", bearer("/test/admin", at), 403, provider.CodeInsufficientScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.do()
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			checkErrorBody(t, resp.StatusCode, resp.Header, raw, tt.status, tt.code)
		})
	}
}

// TestWriteErrorExact: Provider.WriteError writes each code as exactly the
// RFC 6749 §5.2 members, with the code's status.
func TestWriteErrorExact(t *testing.T) {
	e := newEnv(t, 1, nil)
	p := e.ps[0]
	codes := map[provider.ErrorCode]int{
		provider.CodeInvalidRequest: 400, provider.CodeInvalidClient: 401, provider.CodeInvalidGrant: 400,
		provider.CodeUnauthorizedClient: 400, provider.CodeUnsupportedGrantType: 400, provider.CodeUnsupportedResponseType: 400,
		provider.CodeInvalidScope: 400, provider.CodeAccessDenied: 403, provider.CodeServerError: 500,
		provider.CodeTemporarilyUnavailable: 503, provider.CodeInvalidTarget: 400, provider.CodeInvalidToken: 401,
		provider.CodeInsufficientScope: 403, provider.CodeInvalidRedirectURI: 400, provider.CodeInvalidClientMetadata: 400,
	}
	for code, status := range codes {
		t.Run(string(code), func(t *testing.T) {
			w := httptest.NewRecorder()
			p.WriteError(w, fmt.Errorf("wrapped: %w", &provider.Error{Code: code, Description: "what went wrong", URI: "https://docs.example/errors#" + string(code)}))
			want := `{"error":"` + string(code) + `","error_description":"what went wrong","error_uri":"https://docs.example/errors#` + string(code) + `"}`
			if diff := cmp.Diff(want, w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if w.Code != status || code.Status() != status {
				t.Errorf("got status %d (Status() %d), want %d", w.Code, code.Status(), status)
			}
			if bearerCode := code == provider.CodeInvalidToken || code == provider.CodeInsufficientScope; bearerCode != strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("WWW-Authenticate %q for %s", w.Header().Get("WWW-Authenticate"), code)
			}
		})
	}
}

// TestWriteErrorLeaksNothing: an error that is not an *Error, or an *Error
// whose fields break RFC 6749 §5.2, never puts its text on the wire.
func TestWriteErrorLeaksNothing(t *testing.T) {
	e := newEnv(t, 1, nil)
	p := e.ps[0]
	const secret = "postgres://admin:hunter2@db"
	generic := map[string]any{"error": "server_error", "error_description": "the request could not be completed"}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       map[string]any
	}{
		{"plain error", errors.New("dial " + secret), 500, generic},
		{"nil", nil, 500, generic},
		{"context error", context.DeadlineExceeded, 500, generic},
		{"cause of an Error", &provider.Error{Code: provider.CodeTemporarilyUnavailable, Description: "try later", Err: errors.New(secret)}, 503,
			map[string]any{"error": "temporarily_unavailable", "error_description": "try later"}},
		{"code with a quote", &provider.Error{Code: `bad"code`, Description: secret}, 500, generic},
		{"empty code", &provider.Error{Description: secret}, 500, generic},
		{"code with a newline", &provider.Error{Code: "x\nSet-Cookie: a=b"}, 500, generic},
		{"description cleaned, bad URI dropped", &provider.Error{Code: provider.CodeAccessDenied, Description: "no \"entry\" \\ é\n", URI: "javascript:alert(1)"}, 403,
			map[string]any{"error": "access_denied", "error_description": "no entry  "}},
		{"relative URI dropped, 2xx status ignored", &provider.Error{Code: provider.CodeInvalidRequest, URI: "/docs", Status: 200}, 400,
			map[string]any{"error": "invalid_request"}},
		{"explicit status kept", &provider.Error{Code: provider.CodeTemporarilyUnavailable, Status: 429}, 429,
			map[string]any{"error": "temporarily_unavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			p.WriteError(w, tt.err)
			if strings.Contains(w.Body.String(), "hunter2") || strings.Contains(fmt.Sprint(w.Header()), "hunter2") {
				t.Fatalf("the response carries the internal error: %v %s", w.Header(), w.Body)
			}
			body := checkErrorBody(t, w.Code, w.Header(), w.Body.Bytes(), tt.wantStatus, provider.ErrorCode(tt.want["error"].(string)))
			if diff := cmp.Diff(tt.want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorIsAs: errors.Is matches a code, errors.As reads the fields, and
// the message is for logs.
func TestErrorIsAs(t *testing.T) {
	cause := errors.New("store down")
	err := fmt.Errorf("tool: %w", &provider.Error{Code: provider.CodeTemporarilyUnavailable, Description: "later", Err: cause})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != provider.CodeTemporarilyUnavailable {
		t.Fatalf("errors.As: got %v", pe)
	}
	if !errors.Is(err, &provider.Error{Code: provider.CodeTemporarilyUnavailable}) || errors.Is(err, &provider.Error{Code: provider.CodeInvalidToken}) {
		t.Errorf("errors.Is does not match on the code")
	}
	if errors.Is(err, &provider.Error{Code: provider.CodeTemporarilyUnavailable, Description: "other"}) {
		t.Errorf("errors.Is matched a target with another description")
	}
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is does not reach the cause")
	}
	if got, want := pe.Error(), "provider: temporarily_unavailable: later: store down"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestUpstreamTokenErrors: Grant.UpstreamToken returns an *Error that tool
// code can inspect and write: invalid_token once the grant is revoked.
func TestUpstreamTokenErrors(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) { o.TokenCacheTTL = -1 })
	base := e.url(0)
	grants := make(chan *provider.Grant, 1)
	e.extra.Handle("/test/grant", e.ps[0].RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := provider.GrantFromContext(r.Context())
		grants <- g
	})))
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	if status, _, body := callMCP(t, base, tok.str("access_token")); status != http.StatusOK {
		t.Fatalf("MCP call: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/test/grant", nil)
	req.Header.Set("Authorization", "Bearer "+tok.str("access_token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	g := <-grants
	if ut, err := g.UpstreamToken(t.Context()); err != nil || ut.AccessToken == "" {
		t.Fatalf("UpstreamToken before revocation: %v", err)
	}
	rv := postForm(t, base+provider.PathRevoke, url.Values{"token": {tok.str("refresh_token")}, "client_id": {id}}, "", "")
	if rv.status != http.StatusOK {
		t.Fatalf("revoke: %d %v", rv.status, rv.body)
	}
	_, err = g.UpstreamToken(t.Context())
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != provider.CodeInvalidToken {
		t.Fatalf("UpstreamToken after revocation: got %v, want an *Error invalid_token", err)
	}
	w := httptest.NewRecorder()
	e.ps[0].WriteError(w, err)
	checkErrorBody(t, w.Code, w.Header(), w.Body.Bytes(), http.StatusUnauthorized, provider.CodeInvalidToken)
	if !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("got WWW-Authenticate %q, want an invalid_token challenge", w.Header().Get("WWW-Authenticate"))
	}

	_, err = provider.UpstreamTokenFromContext(t.Context())
	if !errors.Is(err, provider.ErrNoGrant) {
		t.Errorf("UpstreamTokenFromContext without a grant: got %v, want ErrNoGrant", err)
	}
}

// TestIdentifyErrors: an *Error from the Identify hook is what the client
// receives on its redirect URI; any other error becomes a generic
// server_error whose text never reaches the client.
func TestIdentifyErrors(t *testing.T) {
	const secret = "ldap bind password hunter2"
	tests := []struct {
		name string
		err  error
		want url.Values
	}{
		{"access denied with a URI", fmt.Errorf("policy: %w", &provider.Error{Code: provider.CodeAccessDenied, Description: "not on the list", URI: "https://docs.example/access"}),
			url.Values{"error": {"access_denied"}, "error_description": {"not on the list"}, "error_uri": {"https://docs.example/access"}}},
		{"internal error", errors.New(secret),
			url.Values{"error": {"server_error"}, "error_description": {"the request could not be completed"}}},
		{"bad code", &provider.Error{Code: "evil code\r\n", Description: secret},
			url.Values{"error": {"server_error"}, "error_description": {"the request could not be completed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 1, func(o *provider.Options) {
				o.Upstream.Identify = func(context.Context, *provider.UpstreamToken) (*provider.Identity, error) { return nil, tt.err }
			})
			base := e.url(0)
			id := register(t, base, nil).str("client_id")
			b := newBrowser(t)
			end := b.loginOP(b.consent(b.get(authorizeURL(base, id, newPKCE(), nil)), base, "approve"))
			if strings.Contains(end.header.Get("Location"), "hunter2") {
				t.Fatalf("the redirect carries the hook's error: %s", end.header.Get("Location"))
			}
			q := clientRedirectOf(t, end)
			q.Del("state")
			q.Del("iss")
			if diff := cmp.Diff(tt.want, q); diff != "" {
				t.Errorf("client redirect (-want +got):\n%s", diff)
			}
		})
	}
}
