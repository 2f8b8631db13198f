// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package authzen_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/authzen"
)

func TestWellKnownURL(t *testing.T) {
	for pdp, want := range map[string]string{
		"https://pdp.example.com":          "https://pdp.example.com/.well-known/authzen-configuration",
		"https://pdp.example.com/":         "https://pdp.example.com/.well-known/authzen-configuration",
		"https://pdp.example.com/tenant1":  "https://pdp.example.com/.well-known/authzen-configuration/tenant1",
		"http://127.0.0.1:8181/a/b":        "http://127.0.0.1:8181/.well-known/authzen-configuration/a/b",
		"https://pdp.example.com/a%20b/c/": "https://pdp.example.com/.well-known/authzen-configuration/a%20b/c",
	} {
		got, err := authzen.WellKnownURL(pdp)
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", pdp, got, err, want)
		}
	}
	if _, err := authzen.WellKnownURL("/relative"); err == nil {
		t.Error("a relative identifier was accepted")
	}
}

// Section 7.1.1: defaults, and an entry's member replacing the default
// whole; section 7.1: no entries is a single evaluation.
func TestEffective(t *testing.T) {
	body := `{"subject":{"type":"user","id":"alice@example.com"},"context":{"time":"2024-05-31T15:22-07:00"},
	  "action":{"name":"can_read"},
	  "evaluations":[{"resource":{"type":"document","id":"boxcarring.md"}},
	                 {"resource":{"type":"document","id":"subject-search.md"}},
	                 {"action":{"name":"can_edit"},"resource":{"type":"document","id":"resource-search.md"}}]}`
	req, err := authzen.ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := req.Effective()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range evs {
		if e.Subject.ID != "alice@example.com" || e.Context["time"] != "2024-05-31T15:22-07:00" {
			t.Errorf("defaults not applied: %+v", e)
		}
		names = append(names, e.Action.Name+" "+e.Resource.ID)
	}
	if diff := cmp.Diff([]string{"can_read boxcarring.md", "can_read subject-search.md", "can_edit resource-search.md"}, names); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s, err := req.Semantic(); s != authzen.ExecuteAll || err != nil {
		t.Errorf("default semantic: got %q, %v", s, err)
	}
	single, _ := authzen.ParseRequest([]byte(`{"subject":{"type":"user","id":"a"},"action":{"name":"r"},"resource":{"type":"d","id":"1"},"evaluations":[]}`))
	if evs, err := single.Effective(); err != nil || len(evs) != 1 {
		t.Errorf("empty evaluations: got %v, %v", evs, err)
	}
	partial, _ := authzen.ParseRequest([]byte(`{"evaluations":[{"action":{"name":"r"},"resource":{"type":"d","id":"1"}}]}`))
	if _, err := partial.Effective(); !errors.Is(err, authzen.ErrMissing) {
		t.Errorf("entry without a subject: got %v", err)
	}
}

func TestParseRequestRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":              `{`,
		"array":                 `[]`,
		"repeated member":       `{"subject":{"type":"user","id":"a"},"subject":{"type":"user","id":"b"}}`,
		"nested repeat":         `{"subject":{"type":"user","id":"a","id":"b"}}`,
		"case variant":          `{"subject":{"type":"user","id":"a"},"Subject":{"type":"user","id":"b"}}`,
		"subject without id":    `{"subject":{"type":"user"}}`,
		"numeric type":          `{"subject":{"type":1,"id":"a"}}`,
		"action without name":   `{"action":{}}`,
		"resource not object":   `{"resource":"doc"}`,
		"context not object":    `{"context":[]}`,
		"properties not object": `{"action":{"name":"r","properties":1}}`,
		"evaluations not array": `{"evaluations":{}}`,
		"entry not object":      `{"evaluations":[1]}`,
		"options not object":    `{"options":"x"}`,
	} {
		if _, err := authzen.ParseRequest([]byte(body)); err == nil {
			t.Errorf("%s: accepted %s", name, body)
		}
	}
	r, _ := authzen.ParseRequest([]byte(`{"options":{"evaluations_semantic":"maybe"}}`))
	if _, err := r.Semantic(); err == nil {
		t.Error("an unknown semantic was accepted")
	}
}

func TestParseDecisions(t *testing.T) {
	if d, err := authzen.ParseDecision([]byte(`{"decision":true,"context":{"reason_admin":{"403":"x"}},"extra":1}`)); err != nil || !d.Decision {
		t.Errorf("got %+v, %v", d, err)
	}
	for _, body := range []string{`{}`, `{"decision":"true"}`, `{"decision":null}`, `{"decision":true,"decision":false}`,
		`{"decision":false,"DECISION":true}`, `{"decision":true,"context":[]}`, `true`} {
		if _, err := authzen.ParseDecision([]byte(body)); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
	ds, err := authzen.ParseEvaluations([]byte(`{"decision":true,"evaluations":[{"decision":true},{"decision":false,"context":{"error":{"status":404}}}]}`))
	if err != nil || len(ds) != 2 || !ds[0].Decision || ds[1].Decision {
		t.Errorf("got %+v, %v", ds, err)
	}
	for _, body := range []string{`{"decision":true}`, `{"evaluations":{}}`, `{"evaluations":[{"decision":1}]}`, `{"evaluations":[true]}`} {
		if _, err := authzen.ParseEvaluations([]byte(body)); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func TestMetadata(t *testing.T) {
	md, err := authzen.ParseMetadata([]byte(`{"policy_decision_point":"https://pdp.example.com",
	  "access_evaluation_endpoint":"https://pdp.example.com/access/v1/evaluation",
	  "search_subject_endpoint":"https://pdp.example.com/access/v1/search/subject","capabilities":["urn:x"],"unknown":1}`))
	if err != nil || md.AccessEvaluationsEndpoint != "" || md.SearchSubjectEndpoint == "" || len(md.Capabilities) != 1 {
		t.Fatalf("got %+v, %v", md, err)
	}
	if err := authzen.ValidateMetadata(md, "https://pdp.example.com"); err != nil {
		t.Error(err)
	}
	for _, other := range []string{"https://pdp.example.com/", "https://evil.example.com", "http://pdp.example.com"} {
		if err := authzen.ValidateMetadata(md, other); err == nil {
			t.Errorf("%s: accepted metadata naming https://pdp.example.com", other)
		}
	}
	for _, body := range []string{`{"access_evaluation_endpoint":"x"}`, `{"policy_decision_point":"x"}`,
		`{"policy_decision_point":"x","access_evaluation_endpoint":"y","capabilities":[1]}`,
		`{"policy_decision_point":"x","access_evaluation_endpoint":"y","access_evaluations_endpoint":2}`} {
		if _, err := authzen.ParseMetadata([]byte(body)); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}
