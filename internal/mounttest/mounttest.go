// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mounttest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Methods are the request methods [SameAnswers] sends to every path.
var Methods = []string{http.MethodGet, http.MethodPost, http.MethodOptions}

// Answer is what a handler answered to one request.
type Answer struct {
	Status      int
	ContentType string
	Body        string
}

// Serve sends h a body-less request and returns its answer.
func Serve(h http.Handler, method, target string) Answer {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return Answer{w.Code, w.Header().Get("Content-Type"), w.Body.String()}
}

// SameAnswers sends each of [Methods] to each path, once to direct (the
// authorization server's own handler) and once to mounted (the router it
// is mounted on), and reports every difference between the two answers. A
// path that direct itself answers 404 is reported too, so that a wrong
// path list cannot make the comparison vacuous.
func SameAnswers(t testing.TB, direct, mounted http.Handler, paths []string) {
	t.Helper()
	if len(paths) == 0 {
		t.Errorf("no paths to compare")
	}
	for _, path := range paths {
		for _, method := range Methods {
			want := Serve(direct, method, path)
			if want.Status == http.StatusNotFound {
				t.Errorf("%s %s: the provider itself answers 404", method, path)
			}
			if diff := cmp.Diff(want, Serve(mounted, method, path)); diff != "" {
				t.Errorf("%s %s through the router (-direct +mounted):\n%s", method, path, diff)
			}
		}
	}
}

// Server stands in for *provider.Provider: it serves the provider's four
// kinds of route below its base URL's path, answering each with a JSON
// echo of the method and path, and 404 elsewhere.
type Server struct{ base string }

// NewServer returns a [Server] for baseURL (as provider.Options.BaseURL).
func NewServer(t testing.TB, baseURL string) Server {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	return Server{base: strings.TrimRight(u.Path, "/")}
}

// Paths returns the paths s serves, authorization server metadata first.
func (s Server) Paths() []string {
	return []string{
		"/.well-known/oauth-authorization-server" + s.base,
		s.base + "/authorize",
		s.base + "/token",
		s.base + "/register",
	}
}

// Handler returns the handler of every path in [Server.Paths].
func (s Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(s.Paths(), r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"method":%q,"path":%q}`, r.Method, r.URL.Path)
	})
}
