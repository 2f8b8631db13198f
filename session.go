// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// HeaderSessionID is the MCP Streamable HTTP session header.
const HeaderSessionID = "Mcp-Session-Id"

// maxSessionIDLen bounds the session ids the middleware binds. The MCP
// specification asks for visible ASCII; servers use 16 to 64 characters.
const maxSessionIDLen = 256

// owner is the identity a session is bound to: the user key and tenant of
// the request that created it, or nobody for an anonymous session.
type owner struct {
	anonymous bool
	user      string
	tenant    string
}

// ownerOf returns the owner that a request with identity id acts as. A
// missing identity, and the "unknown" user of Options.AllowUnknownUser,
// are anonymous.
func (m *Middleware) ownerOf(id *Identity) owner {
	if id == nil || m.ident.isUnknown(id) {
		return owner{anonymous: true}
	}
	return owner{user: id.User.Key, tenant: id.Tenant}
}

// binding is one bound session.
type binding struct {
	owner    owner
	lastUsed atomic.Int64 // unix nanoseconds of the last request's start or end
	active   atomic.Int32 // requests in flight naming the session
}

// sessions binds the stateful MCP sessions a server creates to the identity
// of the request that created them. It is safe for concurrent use.
type sessions struct {
	idle   time.Duration
	lru    *lru.Cache[string, *binding]
	now    func() time.Time
	logger *slog.Logger
}

func newSessions(o SessionOptions, logger *slog.Logger) *sessions {
	c, _ := lru.New[string, *binding](o.MaxSessions) // MaxSessions > 0 after normalize
	return &sessions{idle: o.IdleTimeout, lru: c, now: time.Now, logger: logger}
}

// lookup returns the binding of sid, or nil when the session is unknown or
// has been idle for longer than the idle bound (it is then forgotten).
func (s *sessions) lookup(sid string) *binding {
	b, ok := s.lru.Get(sid)
	if !ok {
		return nil
	}
	if s.idle > 0 && b.active.Load() == 0 && s.now().UnixNano()-b.lastUsed.Load() > int64(s.idle) {
		s.lru.Remove(sid)
		return nil
	}
	return b
}

// bind records that sid belongs to o. A session id already bound to someone
// else is never rebound: the first owner keeps it, and the new creator's
// later requests are refused.
func (s *sessions) bind(sid string, o owner) {
	if sid == "" || len(sid) > maxSessionIDLen {
		s.logger.Error("mcpauth: server created a session id the middleware cannot bind; requests naming it will be refused",
			slog.Int("length", len(sid)))
		return
	}
	b := &binding{owner: o}
	b.lastUsed.Store(s.now().UnixNano())
	prev, found, _ := s.lru.PeekOrAdd(sid, b)
	if found && prev.owner != o {
		s.logger.Error("mcpauth: server reused a session id bound to another identity; keeping the first owner")
	}
}

// forget drops the binding of sid.
func (s *sessions) forget(sid string) { s.lru.Remove(sid) }

// begin marks a request naming b as started.
func (s *sessions) begin(b *binding) {
	b.lastUsed.Store(s.now().UnixNano())
	b.active.Add(1)
}

// end marks a request naming b as finished.
func (s *sessions) end(b *binding) {
	b.lastUsed.Store(s.now().UnixNano())
	b.active.Add(-1)
}

// sessionState is what the middleware knows of the session a request names
// or may create.
type sessionState struct {
	id      string   // the request's Mcp-Session-Id; "" when absent
	b       *binding // the binding of id
	creates bool     // the request may create a session (initialize without a session id)
	owner   owner    // the requester
}

// checkSession resolves the session that r names (if any) and checks that
// the requester, identified as id (nil: anonymous), owns it. It returns a
// denial for a request that names an unknown session or someone else's.
func (m *Middleware) checkSession(r *http.Request, id *Identity) (sessionState, *Denial) {
	st := sessionState{owner: m.ownerOf(id)}
	vals, ok := r.Header[HeaderSessionID]
	if !ok {
		return st, nil
	}
	if len(vals) != 1 || vals[0] == "" {
		return st, m.protocolDenial(http.StatusBadRequest, mcpspec.CodeInvalidRequest, "Invalid Request",
			"exactly one non-empty "+HeaderSessionID+" header is allowed", nil)
	}
	st.id = vals[0]
	b := m.sessions.lookup(st.id)
	if b == nil || b.owner != st.owner {
		reason := "unknown session"
		if b != nil {
			reason = "session belongs to another identity"
		}
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "mcpauth: request refused before the check",
			slog.String("method", r.Method), slog.String("reason", reason))
		// Both cases answer alike, so a caller cannot tell whether a
		// session id exists.
		return st, &Denial{
			Status:  http.StatusNotFound,
			Code:    mcpspec.CodeSessionNotFound,
			Message: "Session not found",
			Reason:  "unknown session",
			Err:     ErrUnknownSession,
		}
	}
	st.b = b
	return st, nil
}

// sessionWriter watches the response to a request that names a session or
// may create one: it binds a session the server creates to its creator and
// forgets one the server ends (a successful DELETE) or no longer knows
// (404). It keeps Flush and Unwrap, so SSE streams as before.
type sessionWriter struct {
	http.ResponseWriter
	m           *Middleware
	st          *sessionState
	method      string
	wroteHeader bool
}

func (m *Middleware) watchSession(w http.ResponseWriter, r *http.Request, st *sessionState) (http.ResponseWriter, func()) {
	if st.b == nil && !st.creates {
		return w, func() {}
	}
	if st.b != nil {
		m.sessions.begin(st.b)
	}
	sw := &sessionWriter{ResponseWriter: w, m: m, st: st, method: r.Method}
	return sw, func() {
		if st.b != nil {
			m.sessions.end(st.b)
		}
	}
}

func (w *sessionWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.wroteHeader = true
		w.observe(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter) observe(code int) {
	s := w.m.sessions
	switch {
	case w.st.id != "" && code == http.StatusNotFound:
		s.forget(w.st.id)
	case w.st.id != "" && w.method == http.MethodDelete && code >= 200 && code < 300:
		s.forget(w.st.id)
	case w.st.creates && code >= 200 && code < 300:
		if sid := w.Header().Get(HeaderSessionID); sid != "" {
			s.bind(sid, w.st.owner)
		}
	}
}

func (w *sessionWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Flush flushes the underlying writer when it can.
func (w *sessionWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var _ http.Flusher = (*sessionWriter)(nil)
