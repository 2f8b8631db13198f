// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package authzentest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, s *Server, path, contentType, body string, h map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.PDP+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// The three examples of section 7.1.2.1 ("Evaluations semantics"): read on
// documents 1, 2 and 3 where 2 is denied.
func TestSemanticsFromTheSpecification(t *testing.T) {
	s := New(t)
	s.Decide(func(e Evaluation) bool { return e.Resource.ID != "2" })
	tt := []struct {
		semantic string
		want     string
	}{
		{"execute_all", `{"evaluations":[{"decision":true},{"decision":false},{"decision":true}]}`},
		{"deny_on_first_deny", `{"evaluations":[{"decision":true},{"decision":false}]}`},
		{"permit_on_first_permit", `{"evaluations":[{"decision":true}]}`},
	}
	for _, tc := range tt {
		t.Run(tc.semantic, func(t *testing.T) {
			body := `{"subject":{"type":"user","id":"alice@example.com"},"action":{"name":"read"},
			  "options":{"evaluations_semantic":"` + tc.semantic + `"},
			  "evaluations":[{"resource":{"type":"document","id":"1"}},{"resource":{"type":"document","id":"2"}},
			                 {"resource":{"type":"document","id":"3"}}]}`
			status, _, got := post(t, s, PathEvaluations, "application/json", body, nil)
			if status != 200 || strings.TrimSpace(got) != tc.want {
				t.Errorf("got %d %s, want 200 %s", status, got, tc.want)
			}
		})
	}
}

// Section 7.1.1: an entry's member replaces the default whole.
func TestDefaultsAreReplacedWhole(t *testing.T) {
	s := New(t)
	s.AllowAll()
	body := `{"subject":{"type":"user","id":"alice@example.com"},"context":{"time":"t"},"action":{"name":"can_read"},
	  "evaluations":[{"resource":{"type":"document","id":"a"}},
	                 {"action":{"name":"can_edit"},"resource":{"type":"document","id":"b"},"context":{"other":1}}]}`
	if status, _, got := post(t, s, PathEvaluations, "application/json", body, nil); status != 200 {
		t.Fatalf("got %d %s", status, got)
	}
	evs := s.Requests()[0].Evaluations
	if len(evs) != 2 || evs[0].Action.Name != "can_read" || evs[1].Action.Name != "can_edit" ||
		evs[0].Context["time"] != "t" || evs[1].Context["time"] != nil || evs[1].Subject.ID != "alice@example.com" {
		t.Errorf("got %+v", evs)
	}
}

func TestValidation(t *testing.T) {
	s := New(t, WithBearer("secret"))
	auth := map[string]string{"Authorization": "Bearer secret"}
	good := `{"subject":{"type":"user","id":"a"},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`
	tt := []struct {
		name, path, ct, body string
		h                    map[string]string
		want                 int
	}{
		{"ok", PathEvaluation, "application/json", good, auth, 200},
		{"unknown members ignored", PathEvaluation, "application/json", `{"x":1,` + good[1:], auth, 200},
		{"no credential", PathEvaluation, "application/json", good, nil, 401},
		{"wrong credential", PathEvaluation, "application/json", good, map[string]string{"Authorization": "Bearer nope"}, 401},
		{"text/plain", PathEvaluation, "text/plain", good, auth, 400},
		{"not an object", PathEvaluation, "application/json", `[]`, auth, 400},
		{"repeated member", PathEvaluation, "application/json", `{"subject":{"type":"user","id":"a","id":"b"},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`, auth, 400},
		{"missing resource", PathEvaluation, "application/json", `{"subject":{"type":"user","id":"a"},"action":{"name":"read"}}`, auth, 400},
		{"numeric id", PathEvaluation, "application/json", `{"subject":{"type":"user","id":1},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`, auth, 400},
		{"properties not an object", PathEvaluation, "application/json", `{"subject":{"type":"user","id":"a","properties":[]},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`, auth, 400},
		{"entry without a default", PathEvaluations, "application/json", `{"evaluations":[{"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}]}`, auth, 400},
		{"unknown semantic", PathEvaluations, "application/json", `{"options":{"evaluations_semantic":"maybe"},"evaluations":[` + good + `]}`, auth, 400},
		{"empty evaluations is a single evaluation", PathEvaluations, "application/json", `{"evaluations":[],` + good[1:], auth, 200},
	}
	for _, tc := range tt {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := post(t, s, tc.path, tc.ct, tc.body, tc.h)
			if status != tc.want {
				t.Errorf("got %d %s, want %d", status, body, tc.want)
			}
			if status == 401 && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestRequestIDEcho(t *testing.T) {
	s := New(t)
	_, h, _ := post(t, s, PathEvaluation, "application/json",
		`{"subject":{"type":"user","id":"a"},"action":{"name":"read"},"resource":{"type":"doc","id":"1"}}`,
		map[string]string{"X-Request-ID": "abc"})
	if got := h.Get("X-Request-ID"); got != "abc" {
		t.Errorf("got X-Request-ID %q, want abc", got)
	}
}

func TestMetadata(t *testing.T) {
	s := New(t, WithBasePath("/tenant1"), WithoutEvaluations())
	resp, err := http.Get(s.URL + PathWellKnown + "/tenant1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	if md["policy_decision_point"] != s.PDP || md["access_evaluation_endpoint"] != s.PDP+PathEvaluation {
		t.Errorf("got %v", md)
	}
	if _, ok := md["access_evaluations_endpoint"]; ok {
		t.Error("metadata names an evaluations endpoint the double does not serve")
	}
}
