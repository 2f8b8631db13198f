// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxResponse caps the size of an answer the client reads.
const maxResponse = 64 << 20

// envelope is every Pangea answer.
type envelope struct {
	RequestID    string          `json:"request_id"`
	RequestTime  string          `json:"request_time"`
	ResponseTime string          `json:"response_time"`
	Status       string          `json:"status"`
	Summary      string          `json:"summary"`
	Result       json.RawMessage `json:"result"`
}

// answer is one HTTP exchange.
type answer struct {
	httpStatus int
	retryAfter time.Duration
	env        envelope
	isEnvelope bool
}

// call POSTs body to path and decodes the result into out, retrying 429
// and 5xx answers and polling 202 answers. Use it for idempotent calls.
func (s *Store) call(ctx context.Context, path string, body, out any) error {
	return s.invoke(ctx, path, body, out, true)
}

// invoke is call; retry5xx false retries only 429 answers (the request was
// refused before it ran), for calls that must not run twice.
func (s *Store) invoke(ctx context.Context, path string, body, out any, retry5xx bool) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("pangeavault: encode %s request: %w", path, err)
	}
	c := s.cfg
	for attempt := 0; ; attempt++ {
		a, err := s.do(ctx, http.MethodPost, path, payload)
		if err != nil {
			return err
		}
		if a.httpStatus == http.StatusAccepted || a.env.Status == statusAccepted {
			a, err = s.poll(ctx, path, a)
			if err != nil {
				return err
			}
		}
		if a.isEnvelope && a.env.Status == statusSuccess && a.httpStatus/100 == 2 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(a.env.Result, out); err != nil {
				return &APIError{Status: a.env.Status, Summary: "undecodable result", RequestID: a.env.RequestID, HTTPStatus: a.httpStatus, Path: path}
			}
			return nil
		}
		apiErr := apiError(path, a)
		retry := apiErr.kind() == ErrTooManyRequests || retry5xx && apiErr.kind() == ErrServer
		if !retry || attempt >= c.MaxRetries {
			return apiErr
		}
		if err := s.backoff(ctx, apiErr, attempt, a.retryAfter); err != nil {
			return err
		}
	}
}

// backoff logs a retry and waits before it: RetryBackoff doubled per
// attempt, or Retry-After if longer, capped at MaxRetryBackoff.
func (s *Store) backoff(ctx context.Context, apiErr *APIError, attempt int, retryAfter time.Duration) error {
	c := s.cfg
	wait := min(c.RetryBackoff<<attempt, c.MaxRetryBackoff)
	if retryAfter > wait {
		wait = min(retryAfter, c.MaxRetryBackoff)
	}
	c.Logger.LogAttrs(ctx, slog.LevelWarn, "pangeavault: retrying",
		slog.String("path", apiErr.Path), slog.String("status", apiErr.Status), slog.Int("http_status", apiErr.HTTPStatus),
		slog.Int("attempt", attempt+1), slog.Duration("wait", wait), slog.String("request_id", apiErr.RequestID))
	if err := c.Sleep(ctx, wait); err != nil {
		return fmt.Errorf("pangeavault: %s: waiting to retry: %w", apiErr.Path, err)
	}
	return nil
}

// poll polls a 202 answer until it completes or MaxPolls runs out.
func (s *Store) poll(ctx context.Context, path string, a answer) (answer, error) {
	c := s.cfg
	id := a.env.RequestID
	if id == "" {
		return a, &APIError{Status: a.env.Status, Summary: "202 answer without request_id", HTTPStatus: a.httpStatus, Path: path}
	}
	for i := 0; i < c.MaxPolls; i++ {
		if err := c.Sleep(ctx, c.PollInterval); err != nil {
			return a, fmt.Errorf("pangeavault: %s: polling: %w", path, err)
		}
		p, err := s.do(ctx, http.MethodGet, "/request/"+url.PathEscape(id), nil)
		if err != nil {
			return a, err
		}
		if p.httpStatus == http.StatusAccepted || p.env.Status == statusAccepted {
			continue
		}
		if pe := apiError(path, p); p.env.Status != statusSuccess && pe.transient() {
			continue // a transient failure of the poll itself
		}
		return p, nil
	}
	return a, &APIError{Status: statusAccepted, Summary: fmt.Sprintf("still pending after %d polls", c.MaxPolls), RequestID: id, HTTPStatus: a.httpStatus, Path: path}
}

// do performs one HTTP exchange.
func (s *Store) do(ctx context.Context, method, path string, payload []byte) (answer, error) {
	c := s.cfg
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return answer{}, fmt.Errorf("pangeavault: %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return answer{}, fmt.Errorf("pangeavault: %s: %w", path, ctxErr)
		}
		return answer{}, fmt.Errorf("pangeavault: %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return answer{}, fmt.Errorf("pangeavault: %s: reading answer: %w", path, ctxErr)
		}
		return answer{}, fmt.Errorf("pangeavault: %s: reading answer: %w", path, err)
	}
	a := answer{httpStatus: resp.StatusCode, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	if err := json.Unmarshal(raw, &a.env); err == nil && a.env.Status != "" {
		a.isEnvelope = true
	}
	c.Logger.LogAttrs(ctx, slog.LevelDebug, "pangeavault: call",
		slog.String("method", method), slog.String("path", path), slog.Int("http_status", a.httpStatus),
		slog.String("status", a.env.Status), slog.String("request_id", a.env.RequestID))
	return a, nil
}

func apiError(path string, a answer) *APIError {
	e := &APIError{HTTPStatus: a.httpStatus, Path: path}
	if !a.isEnvelope {
		return e
	}
	e.Status, e.Summary, e.RequestID = a.env.Status, a.env.Summary, a.env.RequestID
	var details struct {
		Errors []FieldError `json:"errors"`
	}
	if len(a.env.Result) > 0 && json.Unmarshal(a.env.Result, &details) == nil {
		e.Errors = details.Errors
	}
	return e
}

// retryAfter parses a Retry-After header given in seconds.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	n, err := strconv.Atoi(h)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
