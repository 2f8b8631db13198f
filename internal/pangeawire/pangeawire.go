// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package pangeawire is the response envelope of Pangea's service APIs
// (pangea-response and pangea-validation-errors in the OpenAPI
// specifications the Pangea SDKs test against, such as
// pangeacyber/pangea-python,
// packages/pangea-sdk/tests/testdata/specs/vault.openapi.json), shared by
// the AuthN and Vault test doubles and by the tests that compare them with
// the real services.
package pangeawire

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Envelope is every answer: request_id, request_time, response_time and
// status are required; summary and result are not.
type Envelope struct {
	RequestID    string `json:"request_id"`
	RequestTime  string `json:"request_time"`
	ResponseTime string `json:"response_time"`
	Status       string `json:"status"`
	Summary      string `json:"summary"`
	Result       any    `json:"result"`
}

// FieldError is one entry of a validation failure's result.errors: code (a
// member of the spec's enum), detail and source (a JSON pointer) are
// required.
type FieldError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Source string `json:"source"`
}

// Errors is the result of a failure with field errors.
func Errors(errs []FieldError) any {
	return map[string][]FieldError{"errors": errs}
}

// Stamp formats t as the services' timestamps, UTC with microseconds
// ("2022-09-21T17:24:33.105000Z").
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// Write writes env with the HTTP status code.
func Write(w http.ResponseWriter, code int, env Envelope) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(env)
}

// Answer is an answer as a client decodes it.
type Answer struct {
	HTTP         int
	RequestID    string          `json:"request_id"`
	RequestTime  string          `json:"request_time"`
	ResponseTime string          `json:"response_time"`
	Status       string          `json:"status"`
	Summary      string          `json:"summary"`
	Result       json.RawMessage `json:"result"`
}

// Complete reports whether the envelope has every member the doubles send.
func (a Answer) Complete() bool {
	return a.RequestID != "" && a.RequestTime != "" && a.ResponseTime != "" && a.Status != "" && a.Summary != ""
}

// FieldErrors returns result.errors, if the result has them.
func (a Answer) FieldErrors() []FieldError {
	var r struct {
		Errors []FieldError `json:"errors"`
	}
	_ = json.Unmarshal(a.Result, &r)
	return r.Errors
}

// Codes returns the field errors as "code@source", the part of them
// comparisons rely on (details are prose).
func (a Answer) Codes() []string {
	var out []string
	for _, e := range a.FieldErrors() {
		out = append(out, e.Code+"@"+e.Source)
	}
	return out
}

// Do sends req and decodes the answer; an answer that is not an envelope
// is an error.
func Do(c *http.Client, req *http.Request) (Answer, error) {
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{HTTP: resp.StatusCode}
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("%s %s: HTTP %d: not an envelope: %q", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	return a, nil
}

// Post sends body (JSON) to url with a bearer token and decodes the answer.
func Post(ctx context.Context, c *http.Client, url, token string, body []byte) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return Do(c, req)
}
