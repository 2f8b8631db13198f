// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeaauthntest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/internal/pangeaauthntest"
)

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize runs an auto-approved authorization request and returns the
// redirect's query.
func authorize(t *testing.T, s *pangeaauthntest.Server, challenge string) url.Values {
	t.Helper()
	q := url.Values{"client_id": {s.ClientID}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "state": {"st"}, "scope": {"user"}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	resp, err := noFollow.Get(s.URL + "/v2/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("got status %d, want a redirect", resp.StatusCode)
	}
	return loc.Query()
}

func token(t *testing.T, s *pangeaauthntest.Server, form url.Values, id, secret string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func check(t *testing.T, s *pangeaauthntest.Server, serviceToken, tok string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/client/token/check", strings.NewReader(`{"token":"`+tok+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+serviceToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestCodeFlowAndTokenCheck(t *testing.T) {
	s := pangeaauthntest.New(t, nil)
	verifier := strings.Repeat("v", 43)
	h := sha256.Sum256([]byte(verifier))
	q := authorize(t, s, base64.RawURLEncoding.EncodeToString(h[:]))
	if q.Get("code") == "" || q.Get("state") != "st" {
		t.Fatalf("got %v, want a code and the state", q)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "code_verifier": {verifier}}
	status, body := token(t, s, form, s.ClientID, s.ClientSecret)
	tok, _ := body["access_token"].(string)
	if status != http.StatusOK || !strings.HasPrefix(tok, "ptu_") || body["token_type"] != "Bearer" {
		t.Fatalf("token: got %d %v", status, body)
	}
	if status, body := token(t, s, form, s.ClientID, s.ClientSecret); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("code replay: got %d %v, want invalid_grant", status, body)
	}
	status, env := check(t, s, s.ServiceToken, tok)
	res, _ := env["result"].(map[string]any)
	if status != http.StatusOK || env["status"] != "Success" || res["identity"] != "pui_testuser1" || res["email"] != "test-user@example.com" {
		t.Errorf("token check: got %d %v", status, env)
	}
	for _, k := range []string{"request_id", "request_time", "response_time", "summary"} {
		if _, ok := env[k]; !ok {
			t.Errorf("envelope lacks %s", k)
		}
	}
	if got := len(s.Requests()); got != 4 {
		t.Errorf("got %d recorded requests, want 4", got)
	}
}

func TestRejections(t *testing.T) {
	s := pangeaauthntest.New(t, nil)
	t.Run("token without basic auth", func(t *testing.T) {
		q := authorize(t, s, "")
		status, body := token(t, s, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}, "", "")
		if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("got %d %v, want 401 invalid_client", status, body)
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		q := authorize(t, s, base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
		status, body := token(t, s, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "code_verifier": {strings.Repeat("x", 43)}}, s.ClientID, s.ClientSecret)
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("got %d %v, want invalid_grant", status, body)
		}
	})
	t.Run("token check with a wrong service token", func(t *testing.T) {
		status, env := check(t, s, "pts_wrong", s.IssueToken("pui_testuser1"))
		if status != http.StatusUnauthorized || env["status"] != "Unauthorized" {
			t.Errorf("got %d %v, want 401 Unauthorized", status, env)
		}
	})
	t.Run("token check of an unknown token", func(t *testing.T) {
		if status, env := check(t, s, s.ServiceToken, "ptu_unknown"); status != http.StatusBadRequest || env["status"] == "Success" {
			t.Errorf("got %d %v, want a failure", status, env)
		}
	})
	t.Run("injected error", func(t *testing.T) {
		s.FailNextAuthorize("access_denied")
		if q := authorize(t, s, ""); q.Get("error") != "access_denied" || q.Get("state") != "st" {
			t.Errorf("got %v, want access_denied with state", q)
		}
	})
}
