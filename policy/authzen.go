// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
)

// Defaults of [HandlerOptions].
const (
	DefaultHandlerMaxBodyBytes   = 1 << 20
	DefaultHandlerMaxEvaluations = 1000
)

// HandlerOptions configures [NewHandler]. The zero value (or nil) serves
// without authentication, with the defaults below.
type HandlerOptions struct {
	// PDPURL is the PDP identifier the metadata advertises as
	// policy_decision_point, such as "https://pdp.example.com". Its path,
	// if any, is the base path of the endpoints ("https://h/pdp" serves
	// /pdp/access/v1/evaluation and the metadata at
	// /.well-known/authzen-configuration/pdp). Default: no base path, and
	// an identifier built per request from its Host and whether it came
	// over TLS; set it when the handler is behind a proxy.
	PDPURL string
	// Token, when set, must be presented by every Access Evaluation(s)
	// request as "Authorization: Bearer <Token>" (compared in constant
	// time); others get 401 with a WWW-Authenticate challenge. The
	// metadata is public.
	Token string
	// MaxBodyBytes caps a request body (413 beyond). Default 1 MiB.
	MaxBodyBytes int64
	// MaxEvaluations caps the entries of one Access Evaluations request
	// (400 beyond). Default 1000.
	MaxEvaluations int
	// Logger receives a Warn record per failed decision and an Info record
	// per refused request. Nil discards them.
	Logger *slog.Logger
}

// Handler serves an [mcpauth.Authorizer] — a [Policy], a [Watcher], or any
// other — as a policy decision point speaking the OpenID AuthZEN
// Authorization API 1.0, so that a team can start with a policy file and
// move to any AuthZEN PDP later, and enforcement points in other languages
// can share the same policy. It is safe for concurrent use.
//
// It serves, under the base path of [HandlerOptions.PDPURL]:
//
//   - POST /access/v1/evaluation: one Access Evaluation (section 6);
//   - POST /access/v1/evaluations: Access Evaluations (section 7) with the
//     top-level defaults and the execute_all, deny_on_first_deny and
//     permit_on_first_permit semantics; without entries it answers as a
//     single Access Evaluation;
//   - GET /.well-known/authzen-configuration: the metadata (section 9),
//     naming both endpoints.
//
// Each evaluation becomes a check by [mcpauth.CheckFromAuthZEN], the
// inverse of the translation [mcpauth.AuthZEN] applies, so the middleware
// gets the same decisions through AuthZEN as from the policy in process.
//
// Requests must be application/json bodies holding one JSON object without
// repeated member names; a missing or mistyped required member, an unknown
// semantic or too many entries is answered with 400 and a plain-text
// message (section 10.1.2). A failing authorizer is answered with 500 and no
// detail. The X-Request-ID of a request is echoed (section 10.1.3).
type Handler struct {
	authz    mcpauth.Authorizer
	pdp      string // configured identifier; empty: per request
	base     string // base path, no trailing slash
	token    []byte
	maxBody  int64
	maxEvals int
	logger   *slog.Logger
}

// NewHandler returns a [Handler] deciding with authz.
func NewHandler(authz mcpauth.Authorizer, opts *HandlerOptions) (*Handler, error) {
	if authz == nil {
		return nil, errors.New("policy: NewHandler: nil Authorizer")
	}
	var o HandlerOptions
	if opts != nil {
		o = *opts
	}
	h := &Handler{authz: authz, maxBody: o.MaxBodyBytes, maxEvals: o.MaxEvaluations, logger: o.Logger}
	if o.PDPURL != "" {
		u, err := url.Parse(o.PDPURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
			return nil, errors.New("policy: HandlerOptions.PDPURL is not an absolute http or https URL without user info, query or fragment")
		}
		h.pdp = strings.TrimSuffix(o.PDPURL, "/")
		h.base = strings.TrimSuffix(u.EscapedPath(), "/")
	}
	if o.Token != "" {
		h.token = []byte(o.Token)
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultHandlerMaxBodyBytes
	}
	if h.maxEvals == 0 {
		h.maxEvals = DefaultHandlerMaxEvaluations
	}
	if h.maxBody < 0 || h.maxEvals < 0 {
		return nil, errors.New("policy: HandlerOptions: negative limit")
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get(authzen.HeaderRequestID); id != "" {
		w.Header().Set(authzen.HeaderRequestID, id)
	}
	switch r.URL.Path {
	case authzen.WellKnownPath + h.base:
		h.serveMetadata(w, r)
	case h.base + authzen.PathEvaluation:
		h.serveEvaluation(w, r, false)
	case h.base + authzen.PathEvaluations:
		h.serveEvaluation(w, r, true)
	default:
		h.fail(w, r, http.StatusNotFound, "no such endpoint")
	}
}

// identifier returns the PDP identifier for r.
func (h *Handler) identifier(r *http.Request) string {
	if h.pdp != "" {
		return h.pdp
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + h.base
}

func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	pdp := h.identifier(r)
	writeJSON(w, &authzen.Metadata{
		PolicyDecisionPoint:       pdp,
		AccessEvaluationEndpoint:  pdp + authzen.PathEvaluation,
		AccessEvaluationsEndpoint: pdp + authzen.PathEvaluations,
	})
}

func (h *Handler) serveEvaluation(w http.ResponseWriter, r *http.Request, batch bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if h.token != nil && !h.authenticated(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mcpauth-policy"`)
		h.fail(w, r, http.StatusUnauthorized, "missing or invalid bearer token")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.fail(w, r, http.StatusBadRequest, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.maxBody))
			return
		}
		h.fail(w, r, http.StatusBadRequest, "body could not be read")
		return
	}
	req, err := authzen.ParseRequest(body)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "authzen: "))
		return
	}
	if !batch {
		// The Access Evaluation API has no entries: evaluations is an
		// unknown member there, and ignored.
		req.Evaluations, req.Options = nil, nil
	}
	semantic, err := req.Semantic()
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if len(req.Evaluations) > h.maxEvals {
		h.fail(w, r, http.StatusBadRequest, fmt.Sprintf("more than %d evaluations", h.maxEvals))
		return
	}
	evals, err := req.Effective()
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "authzen: "))
		return
	}
	checks := make([]mcpauth.Check, len(evals))
	for i, e := range evals {
		if checks[i], err = mcpauth.CheckFromAuthZEN(e); err != nil {
			h.fail(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "authzen: "))
			return
		}
	}
	decisions, err := h.decide(r.Context(), checks, semantic)
	if err != nil {
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "policy: authzen decision failed",
			slog.String("path", r.URL.Path), slog.Int("evaluations", len(checks)), slog.String("error", err.Error()))
		h.fail(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	if len(req.Evaluations) == 0 {
		writeJSON(w, authzen.Decision{Decision: decisions[0]})
		return
	}
	resp := authzen.EvaluationsResponse{Evaluations: make([]authzen.Decision, len(decisions))}
	for i, d := range decisions {
		resp.Evaluations[i].Decision = d
	}
	writeJSON(w, &resp)
}

// decide decides checks under semantic: every one for execute_all (in one
// AllowedBulk call), else in order up to the first deny or permit.
func (h *Handler) decide(ctx context.Context, checks []mcpauth.Check, semantic string) ([]bool, error) {
	if semantic == authzen.ExecuteAll || len(checks) == 1 {
		out, err := h.authz.AllowedBulk(ctx, checks)
		if err == nil && len(out) != len(checks) {
			err = fmt.Errorf("authorizer returned %d decisions for %d checks", len(out), len(checks))
		}
		return out, err
	}
	var out []bool
	for _, c := range checks {
		ok, err := h.authz.Allowed(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, ok)
		if (semantic == authzen.DenyOnFirstDeny && !ok) || (semantic == authzen.PermitOnFirstPermit && ok) {
			break
		}
	}
	return out, nil
}

func (h *Handler) authenticated(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "bearer") && subtle.ConstantTimeCompare([]byte(tok), h.token) == 1
}

// fail answers with status and a plain-text message (section 10.1.2).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status != http.StatusInternalServerError {
		h.logger.LogAttrs(r.Context(), slog.LevelInfo, "policy: authzen request refused",
			slog.String("path", r.URL.Path), slog.Int("status", status), slog.String("reason", msg))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
