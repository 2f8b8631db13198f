// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package permittest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/internal/permittest"
)

// post sends body to the double and returns the status and decoded answer.
func post(t *testing.T, s *permittest.Server, path, auth, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer %q is not a JSON object: %v", b, err)
	}
	return resp.StatusCode, out
}

const aliceCheck = `{"user":{"key":"alice","attributes":{"n":12}},"action":"list",` +
	`"resource":{"type":"mcp_server_tools","tenant":"default","attributes":{},"context":{"tenant":"default"}}}`

func TestAuthentication(t *testing.T) {
	s := permittest.New(t, permittest.WithAPIKey("k1"))
	s.AllowAll()
	tests := []struct {
		name       string
		auth       string
		wantStatus int
		wantDetail any
	}{
		{"missing", "", 401, "Missing Authorization header"},
		{"basic scheme", "Basic k1", 401, "Missing Authorization header"},
		{"no token", "Bearer", 401, "Missing Authorization header"},
		{"wrong key", "Bearer k2", 401, "Invalid PDP token"},
		{"prefix of key", "Bearer k", 401, "Invalid PDP token"},
		{"canonical", "Bearer k1", 200, nil},
		{"lower-case scheme", "bearer k1", 200, nil},
		{"upper-case scheme", "BEARER k1", 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(t, s, permittest.PathAllowed, tt.auth, "application/json", aliceCheck)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (%v)", status, tt.wantStatus, out)
			}
			if got := out["detail"]; got != tt.wantDetail {
				t.Errorf("detail: got %v, want %v", got, tt.wantDetail)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	s := permittest.New(t)
	auth := "Bearer " + s.APIKey
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantDetail  []any // loc of each error
	}{
		{"valid single", permittest.PathAllowed, "application/json", aliceCheck, 200, nil},
		{"no content type is read as JSON", permittest.PathAllowed, "", aliceCheck, 200, nil},
		{"json with charset", permittest.PathAllowed, "application/json; charset=utf-8", aliceCheck, 200, nil},
		{"text/plain", permittest.PathAllowed, "text/plain", aliceCheck, 422, []any{[]any{"body"}}},
		{"not JSON", permittest.PathAllowed, "application/json", `{"user":`, 422, []any{[]any{"body", 0.0}}},
		{"trailing data", permittest.PathAllowed, "application/json", aliceCheck + `{}`, 422, []any{[]any{"body", 0.0}}},
		{"array to /allowed", permittest.PathAllowed, "application/json", `[` + aliceCheck + `]`, 422, []any{[]any{"body"}}},
		{"object to /allowed/bulk", permittest.PathAllowedBulk, "application/json", aliceCheck, 422, []any{[]any{"body"}}},
		{"missing members", permittest.PathAllowed, "application/json", `{}`, 422,
			[]any{[]any{"body", "user"}, []any{"body", "action"}, []any{"body", "resource"}}},
		{"missing user key and resource type", permittest.PathAllowed, "application/json",
			`{"user":{},"action":"a","resource":{}}`, 422,
			[]any{[]any{"body", "user", "key"}, []any{"body", "resource", "type"}}},
		{"null action", permittest.PathAllowed, "application/json",
			`{"user":{"key":"u"},"action":null,"resource":{"type":"t"}}`, 422, []any{[]any{"body", "action"}}},
		{"wrong member types", permittest.PathAllowed, "application/json",
			`{"user":{"key":"u","attributes":[]},"action":true,"resource":{"type":"t","tenant":{},"context":"x"},"context":1}`, 422,
			[]any{[]any{"body", "user", "attributes"}, []any{"body", "action"}, []any{"body", "resource", "tenant"},
				[]any{"body", "resource", "context"}, []any{"body", "context"}}},
		{"numbers coerce to strings", permittest.PathAllowed, "application/json",
			`{"user":{"key":7},"action":"a","resource":{"type":"t"}}`, 200, nil},
		{"bad bulk element", permittest.PathAllowedBulk, "application/json", `[` + aliceCheck + `,{"action":"a"}]`, 422,
			[]any{[]any{"body", 1.0, "user"}, []any{"body", 1.0, "resource"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(t, s, tt.path, auth, tt.contentType, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (%v)", status, tt.wantStatus, out)
			}
			if tt.wantDetail == nil {
				return
			}
			var locs []any
			for _, d := range out["detail"].([]any) {
				locs = append(locs, d.(map[string]any)["loc"])
			}
			if diff := cmp.Diff(tt.wantDetail, locs); diff != "" {
				t.Errorf("error locations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	s := permittest.New(t)
	auth := "Bearer " + s.APIKey
	status, out := post(t, s, "/allowed/all-tenants", auth, "application/json", aliceCheck)
	if status != 404 || out["detail"] != "Not Found" {
		t.Errorf("unknown path: got %d %v, want 404 Not Found", status, out)
	}
	resp, err := s.Client().Get(s.URL + permittest.PathAllowed)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET /allowed: got %d, want 405", resp.StatusCode)
	}
}

func TestDecisionsAndRecording(t *testing.T) {
	s := permittest.New(t)
	auth := "Bearer " + s.APIKey
	s.Allow(
		permittest.Rule{User: "alice", Action: "list"},
		permittest.Rule{Type: "doc", Key: "d1", Tenant: "acme"},
	)
	bulk := `[` + aliceCheck + `,` +
		`{"user":{"key":"bob"},"action":"list","resource":{"type":"mcp_server_tools"}},` +
		`{"user":{"key":"bob"},"action":"read","resource":{"type":"doc","key":"d1","tenant":"acme"}},` +
		`{"user":{"key":"bob"},"action":"read","resource":{"type":"doc","key":"d1"}}]`
	status, out := post(t, s, permittest.PathAllowedBulk, auth, "application/json", bulk)
	if status != 200 {
		t.Fatalf("status: got %d, want 200 (%v)", status, out)
	}
	want := map[string]any{"allow": []any{
		map[string]any{"allow": true, "result": true},
		map[string]any{"allow": false, "result": false},
		map[string]any{"allow": true, "result": true},
		map[string]any{"allow": false, "result": false},
	}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("bulk answer (-want +got):\n%s", diff)
	}

	status, out = post(t, s, permittest.PathAllowed, auth, "application/json", aliceCheck)
	if status != 200 || out["allow"] != true {
		t.Errorf("single: got %d %v, want 200 allow", status, out)
	}

	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	if got, want := string(reqs[1].Body), aliceCheck; got != want {
		t.Errorf("raw body: got %s, want %s", got, want)
	}
	wantCheck := permittest.Check{
		User:   permittest.User{Key: "alice", Attributes: map[string]any{"n": json.Number("12")}},
		Action: "list",
		Resource: permittest.Resource{
			Type: "mcp_server_tools", Tenant: "default",
			Attributes: map[string]any{}, Context: map[string]any{"tenant": "default"},
		},
	}
	if diff := cmp.Diff([]permittest.Check{wantCheck}, reqs[1].Checks); diff != "" {
		t.Errorf("decoded check (-want +got):\n%s", diff)
	}
	if reqs[1].Status != 200 || reqs[1].Authorization != auth || reqs[1].ContentType != "application/json" {
		t.Errorf("recorded request: got %+v", reqs[1])
	}
	if got := len(s.Checks()); got != 5 {
		t.Errorf("Checks: got %d, want 5", got)
	}
	if got := s.Calls(permittest.PathAllowedBulk); got != 1 {
		t.Errorf("Calls(bulk): got %d, want 1", got)
	}
	if got := s.Calls(""); got != 2 {
		t.Errorf("Calls(all): got %d, want 2", got)
	}
	s.Reset()
	if got := len(s.Requests()); got != 0 || s.Calls("") != 0 {
		t.Errorf("after Reset: got %d requests, %d calls, want 0", got, s.Calls(""))
	}
}

func TestFailuresAndRawAnswers(t *testing.T) {
	s := permittest.New(t)
	s.AllowAll()
	auth := "Bearer " + s.APIKey

	s.FailWith(503)
	if status, _ := post(t, s, permittest.PathAllowed, "", "", aliceCheck); status != 503 {
		t.Errorf("FailWith: got %d, want 503 even without a key", status)
	}
	s.FailWith(0)
	s.RespondRaw(200, `{"allow":[]}`)
	if status, out := post(t, s, permittest.PathAllowed, auth, "application/json", aliceCheck); status != 200 || len(out["allow"].([]any)) != 0 {
		t.Errorf("RespondRaw: got %d %v", status, out)
	}
	if status, _ := post(t, s, permittest.PathAllowed, "Bearer nope", "application/json", aliceCheck); status != 401 {
		t.Errorf("RespondRaw must not bypass authentication: got %d, want 401", status)
	}
	s.RespondRaw(0, "")
	if status, out := post(t, s, permittest.PathAllowed, auth, "application/json", aliceCheck); status != 200 || out["allow"] != true {
		t.Errorf("restored: got %d %v", status, out)
	}
}

func TestHoldRelease(t *testing.T) {
	s := permittest.New(t)
	s.AllowAll()
	auth := "Bearer " + s.APIKey
	s.Hold()
	var wg sync.WaitGroup
	statuses := make([]int, 3)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = post(t, s, permittest.PathAllowed, auth, "application/json", aliceCheck)
		}()
	}
	s.WaitHeld(3)
	if got := s.Held(); got != 3 {
		t.Errorf("Held: got %d, want 3", got)
	}
	for _, r := range s.Requests() {
		if r.Status != 0 {
			t.Errorf("held request already answered with %d", r.Status)
		}
	}
	s.Release()
	wg.Wait()
	if diff := cmp.Diff([]int{200, 200, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := s.Held(); got != 0 {
		t.Errorf("Held after Release: got %d, want 0", got)
	}
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	s := permittest.Start()
	s.Hold()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.URL+permittest.PathAllowed, strings.NewReader(aliceCheck))
		req.Header.Set("Authorization", "Bearer "+s.APIKey)
		resp, err := s.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	s.WaitHeld(1)
	s.Close()
	<-done
	s.Close() // idempotent
}

func TestOptionsAndHelpers(t *testing.T) {
	s := permittest.New(t, permittest.WithPolicy(func(c permittest.Check) bool { return c.User.Key == "alice" }), permittest.WithoutRecording())
	auth := "Bearer " + s.APIKey
	if _, out := post(t, s, permittest.PathAllowed, auth, "application/json", aliceCheck); out["allow"] != true {
		t.Errorf("WithPolicy: got %v, want allow", out)
	}
	s.DenyAll()
	s.Delay(time.Millisecond)
	if _, out := post(t, s, permittest.PathAllowed, auth, "application/json", aliceCheck); out["allow"] != false {
		t.Errorf("DenyAll: got %v, want deny", out)
	}
	if got := len(s.Requests()); got != 0 {
		t.Errorf("WithoutRecording: got %d recorded requests, want 0", got)
	}
	if got := s.Calls(permittest.PathAllowed); got != 2 {
		t.Errorf("Calls: got %d, want 2", got)
	}
	if got := s.Conns(); got != 1 {
		t.Errorf("Conns: got %d, want 1 (keep-alive)", got)
	}
}

func TestUserAliases(t *testing.T) {
	s := permittest.New(t)
	body := `{"user":{"key":"u","firstName":"Ada","last_name":"Lovelace","email":"ada@example.com"},"action":"a","resource":{"type":"t"},"context":null,"sdk":"go"}`
	if status, out := post(t, s, permittest.PathAllowed, "Bearer "+s.APIKey, "application/json", body); status != 200 {
		t.Fatalf("got %d %v", status, out)
	}
	want := []permittest.Check{{
		User:     permittest.User{Key: "u", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"},
		Action:   "a",
		Resource: permittest.Resource{Type: "t"},
		SDK:      "go",
	}}
	if diff := cmp.Diff(want, s.Checks()); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}
