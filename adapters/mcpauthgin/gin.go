// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthgin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mcpauth/mcpauth"
)

// Keys under which [Middleware] stores the decision and the principal in
// the gin.Context (c.Get), next to the request context where [Decision]
// and [Principal] read them.
const (
	DecisionKey  = "mcpauth.decision"
	PrincipalKey = "mcpauth.principal"
)

// Middleware returns a gin.HandlerFunc that authorizes each request with
// mw. A denied request is answered by mw and the chain is aborted; an
// allowed one continues with c.Request carrying the decision (see
// [Decision]) and, when an authentication layer set one, the principal
// (see [Principal]), both also stored under [DecisionKey] and
// [PrincipalKey].
func Middleware(mw *mcpauth.Middleware) gin.HandlerFunc {
	return wrap(mw.Handler, func(c *gin.Context) {
		if d, ok := mcpauth.DecisionFromContext(c.Request.Context()); ok {
			c.Set(DecisionKey, d)
		}
		if p, ok := mcpauth.PrincipalFromContext(c.Request.Context()); ok {
			c.Set(PrincipalKey, p)
		}
	})
}

// Wrap turns net/http middleware, such as the provider module's
// RequireBearer, into a gin.HandlerFunc. When the middleware calls its next
// handler, the rest of the gin chain runs with the request it passed (and
// the response writer it passed, if it wrapped it); when it does not, the
// middleware has answered and the chain is aborted.
func Wrap(m func(http.Handler) http.Handler) gin.HandlerFunc {
	return wrap(m, nil)
}

func wrap(m func(http.Handler) http.Handler, before func(*gin.Context)) gin.HandlerFunc {
	return func(c *gin.Context) {
		orig := c.Writer
		called := false
		m(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			called = true
			c.Request = r
			if w != http.ResponseWriter(orig) {
				// The middleware wrapped the writer (the list filter does):
				// later handlers must write through it.
				c.Writer = &writer{ResponseWriter: orig, w: w, status: http.StatusOK, size: -1}
				defer func() { c.Writer = orig }()
			}
			if before != nil {
				before(c)
			}
			c.Next()
		})).ServeHTTP(orig, c.Request)
		if !called {
			c.Abort()
		}
	}
}

// Decision returns the decision [Middleware] made for the request.
func Decision(c *gin.Context) (*mcpauth.Decision, bool) {
	if c.Request == nil {
		return nil, false
	}
	return mcpauth.DecisionFromContext(c.Request.Context())
}

// Principal returns the principal an authentication layer (such as the
// provider module's RequireBearer) placed in the request context.
func Principal(c *gin.Context) (*mcpauth.Principal, bool) {
	if c.Request == nil {
		return nil, false
	}
	return mcpauth.PrincipalFromContext(c.Request.Context())
}

var errHijack = errors.New("mcpauthgin: the connection cannot be hijacked while mcpauth filters the response")

// writer is a gin.ResponseWriter writing through the writer a middleware
// passed on, with gin's deferred-status semantics. The embedded original
// supplies CloseNotify.
type writer struct {
	gin.ResponseWriter // the original
	w                  http.ResponseWriter
	status             int
	size               int // -1 until the header is written
}

func (w *writer) Unwrap() http.ResponseWriter { return w.w }
func (w *writer) Header() http.Header         { return w.w.Header() }
func (w *writer) Status() int                 { return w.status }
func (w *writer) Size() int                   { return w.size }
func (w *writer) Written() bool               { return w.size != -1 }
func (w *writer) Pusher() http.Pusher         { return nil }

func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errHijack }

func (w *writer) WriteHeader(code int) {
	if code > 0 && !w.Written() {
		w.status = code
	}
}

func (w *writer) WriteHeaderNow() {
	if !w.Written() {
		w.size = 0
		w.w.WriteHeader(w.status)
	}
}

func (w *writer) Write(p []byte) (int, error) {
	w.WriteHeaderNow()
	n, err := w.w.Write(p)
	w.size += n
	return n, err
}

func (w *writer) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	n, err := io.WriteString(w.w, s)
	w.size += n
	return n, err
}

func (w *writer) Flush() {
	w.WriteHeaderNow()
	_ = http.NewResponseController(w.w).Flush()
}

// AuthorizationServer is the part of the provider module's
// *provider.Provider that [MountProvider] uses; *provider.Provider
// implements it. Taking the interface keeps the provider module (and its
// OpenID Connect dependencies) out of programs that use only [Middleware].
type AuthorizationServer interface {
	// Handler serves every authorization-server route.
	Handler() http.Handler
	// Paths returns the absolute path of every route Handler serves: the
	// provider's metadata documents, OAuth endpoints and upstream callback.
	Paths() []string
}

// MountProvider registers every route of p (each of p.Paths()) on g, for
// all HTTP methods, served by p.Handler(). The provider's paths are
// absolute and its metadata lives below /.well-known at the root, so g is
// normally the engine's root group (&engine.RouterGroup) or a group made
// with engine.Group("/", ...) to add middleware. It returns an error,
// registering nothing, when a path is outside g's base path. Routes p does
// not serve (such as /register when registration is disabled) are not
// registered and answer as the engine answers unknown paths.
func MountProvider(g *gin.RouterGroup, p AuthorizationServer) error {
	base := strings.TrimRight(g.BasePath(), "/")
	paths := p.Paths()
	rel := make([]string, len(paths))
	for i, path := range paths {
		r, ok := strings.CutPrefix(path, base)
		if !ok || !strings.HasPrefix(r, "/") {
			return fmt.Errorf("mcpauthgin: provider path %q is outside the group's base path %q; mount on the root group", path, g.BasePath())
		}
		rel[i] = r
	}
	h := gin.WrapH(p.Handler())
	for _, r := range rel {
		g.Any(r, h)
	}
	return nil
}
