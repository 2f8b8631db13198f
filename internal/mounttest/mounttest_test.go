// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mounttest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/internal/mounttest"
)

// failures records what SameAnswers reports instead of failing the test.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper() {}

func (f *failures) Errorf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func TestServer(t *testing.T) {
	s := mounttest.NewServer(t, "http://127.0.0.1:8080/auth/")
	want := []string{"/.well-known/oauth-authorization-server/auth", "/auth/authorize", "/auth/token", "/auth/register"}
	if diff := cmp.Diff(want, s.Paths()); diff != "" {
		t.Errorf("Paths (-want +got):\n%s", diff)
	}
	got := mounttest.Serve(s.Handler(), http.MethodPost, "/auth/token")
	if diff := cmp.Diff(mounttest.Answer{Status: http.StatusOK, ContentType: "application/json", Body: `{"method":"POST","path":"/auth/token"}`}, got); diff != "" {
		t.Errorf("POST /auth/token (-want +got):\n%s", diff)
	}
	if got := mounttest.Serve(s.Handler(), http.MethodGet, "/token"); got.Status != http.StatusNotFound {
		t.Errorf("GET /token: got %+v, want 404", got)
	}
}

// TestSameAnswers checks that the check passes only when the mounted
// handler answers as the direct one, on paths the direct one serves.
func TestSameAnswers(t *testing.T) {
	s := mounttest.NewServer(t, "http://127.0.0.1:8080")
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	tests := []struct {
		name    string
		mounted http.Handler
		paths   []string
		want    []string // prefixes of the reported failures
	}{
		{"same", mux, s.Paths(), nil},
		{"no paths", mux, nil, []string{"no paths to compare"}},
		{"not found directly", mux, []string{"/nowhere"}, []string{
			"GET /nowhere: the provider itself answers 404",
			"POST /nowhere: the provider itself answers 404",
			"OPTIONS /nowhere: the provider itself answers 404",
		}},
		{"differs", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.Header().Set("X-Ignored", "1")
				s.Handler().ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"method":%q,"path":%q}`, r.Method, r.URL.Path+"/")
		}), []string{"/token"}, []string{
			"GET /token through the router",
			"OPTIONS /token through the router",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failures{TB: t}
			mounttest.SameAnswers(f, s.Handler(), tt.mounted, tt.paths)
			if len(f.msgs) != len(tt.want) {
				t.Fatalf("reported %q, want %d failures starting %q", f.msgs, len(tt.want), tt.want)
			}
			for i, m := range f.msgs {
				if !strings.HasPrefix(m, tt.want[i]) {
					t.Errorf("failure %d: got %q, want it to start %q", i, m, tt.want[i])
				}
			}
		})
	}
}
