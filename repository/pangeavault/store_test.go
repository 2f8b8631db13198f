// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/internal/pangeavaulttest"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/pangeavault"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// strictNames is the most conservative name rule we can imagine Pangea
// having; the double enforces it to prove the encoding.
var strictNames = regexp.MustCompile(`^[a-z0-9_]+$`)

const folder = "mcpauth/test"

// wireFolder is folder as the store sends it and the double keeps it.
const wireFolder = "/mcpauth/test"

// sleeps records the waits a Store asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex // guards d
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type fixture struct {
	srv    *pangeavaulttest.Server
	store  *pangeavault.Store
	clock  *repositorytest.Clock
	sleeps *sleeps
	logs   *bytes.Buffer
}

func newFixture(t testing.TB, clock *repositorytest.Clock, edit func(*pangeavault.Options)) *fixture {
	t.Helper()
	if clock == nil {
		clock = repositorytest.NewClock(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	}
	f := &fixture{clock: clock, sleeps: &sleeps{}, logs: &bytes.Buffer{}}
	f.srv = pangeavaulttest.New(t, &pangeavaulttest.Options{NamePattern: strictNames, Clock: clock.Now})
	opts := &pangeavault.Options{
		Token:      f.srv.Token(),
		BaseURL:    f.srv.URL,
		HTTPClient: f.srv.Client(),
		Folder:     folder,
		Clock:      clock.Now,
		Sleep:      f.sleeps.sleep,
		Logger:     slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(opts)
	}
	s, err := pangeavault.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.store = s
	return f
}

type lockedWriter struct {
	mu sync.Mutex // guards w
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestConformance(t *testing.T) {
	clock := repositorytest.NewClock(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			return newFixture(t, clock, func(o *pangeavault.Options) { o.Logger = nil }).store
		},
		Advance:      clock.Advance,
		MaxValueSize: pangeavault.MaxValueSize,
	})
}

func TestConformanceWithTake(t *testing.T) {
	clock := repositorytest.NewClock(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			return newFixture(t, clock, func(o *pangeavault.Options) { o.Logger = nil }).store.WithTake()
		},
		Advance:      clock.Advance,
		Concurrency:  16,
		MaxValueSize: pangeavault.MaxValueSize,
	})
}

func TestTake(t *testing.T) {
	ctx := t.Context()
	t.Run("wire", func(t *testing.T) {
		f := newFixture(t, nil, nil)
		if err := f.store.Set(ctx, "code", []byte(`"c"`), time.Minute); err != nil {
			t.Fatal(err)
		}
		id := f.srv.Items()[0].ID
		f.srv.ResetRequests()
		got, err := f.store.WithTake().Take(ctx, "code")
		if err != nil || string(got) != `"c"` {
			t.Fatalf("Take: %q, %v", got, err)
		}
		reqs := f.srv.Requests()
		if len(reqs) != 2 {
			t.Fatalf("Take made %d requests, want 2", len(reqs))
		}
		if diff := cmp.Diff(map[string]any{"id": id, "recursive": false}, body(t, reqs, 1, "/v2/delete")); diff != "" {
			t.Errorf("delete body (-want +got):\n%s", diff)
		}
	})
	t.Run("a 5xx on the delete is not retried and not a success", func(t *testing.T) {
		f := newFixture(t, nil, nil)
		if err := f.store.Set(ctx, "code", []byte(`"c"`), time.Minute); err != nil {
			t.Fatal(err)
		}
		f.srv.LoseNextAnswer("/v2/delete", 1, pangeavaulttest.StatusInternalError)
		got, err := f.store.WithTake().Take(ctx, "code")
		if !errors.Is(err, pangeavault.ErrServer) || got != nil {
			t.Errorf("Take: %q, %v; want ErrServer and no value", got, err)
		}
		if _, err := f.store.Get(ctx, "code"); !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("the record must be gone (the delete happened): %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t, nil, nil)
		if err := f.store.Set(ctx, "code", []byte(`"c"`), time.Minute); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if got, err := f.store.WithTake().Take(ctx, "code"); !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("Take of an expired record: %q, %v", got, err)
		}
		if n := len(f.srv.Items()); n != 0 {
			t.Errorf("the expired item must be deleted: %d left", n)
		}
	})
}

func TestLostStoreAnswerMakesNoDuplicate(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.srv.LoseNextAnswer("/v2/secret/store", 1, pangeavaulttest.StatusInternalError)
	if err := f.store.Set(t.Context(), "k", []byte(`"v"`), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	var paths []string
	for _, r := range f.srv.Requests() {
		paths = append(paths, r.Path)
	}
	want := []string{"/v2/get_bulk", "/v2/secret/store", "/v2/get_bulk", "/v2/secret/rotate"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if items := f.srv.Items(); len(items) != 1 {
		t.Errorf("%d items, want 1 (no duplicate)", len(items))
	}
	if diff := cmp.Diff([]time.Duration{pangeavault.DefaultRetryBackoff}, f.sleeps.get()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestConformanceWithoutFolder(t *testing.T) {
	clock := repositorytest.NewClock(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			return newFixture(t, clock, func(o *pangeavault.Options) { o.Folder, o.Logger = "", nil }).store
		},
		Advance:      clock.Advance,
		MaxValueSize: pangeavault.MaxValueSize,
	})
}

// body returns request i's decoded body, failing if the path differs.
func body(t *testing.T, reqs []pangeavaulttest.Request, i int, path string) map[string]any {
	t.Helper()
	if i >= len(reqs) {
		t.Fatalf("only %d requests, want request %d to %s", len(reqs), i, path)
	}
	if reqs[i].Path != path || reqs[i].Method != http.MethodPost {
		t.Fatalf("request %d: %s %s, want POST %s", i, reqs[i].Method, reqs[i].Path, path)
	}
	return reqs[i].Body
}

func TestWireFormat(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := t.Context()
	key := "sha256-ab+/cd=="
	name := "mcpauth_onugcmrvgywwcyrlf5rwipj5"
	if got := pangeavault.EncodeName(key); got != name {
		t.Fatalf("EncodeName(%q) = %q, want %q", key, got, name)
	}
	getBulk := map[string]any{"filter": map[string]any{"type": "secret", "name": name, "folder": wireFolder}, "size": 1.0}

	// Set of a new key: lookup, then store.
	if err := f.store.Set(ctx, key, []byte(`{"token":"t"}`), time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	exp := f.clock.Now().Add(time.Minute).UnixMilli()
	reqs := f.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("Set of a new key made %d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		if r.Authorization != "Bearer "+f.srv.Token() || r.ContentType != "application/json" || r.UserAgent != pangeavault.DefaultUserAgent {
			t.Errorf("%s headers: Authorization %q, Content-Type %q, User-Agent %q", r.Path, r.Authorization, r.ContentType, r.UserAgent)
		}
	}
	if diff := cmp.Diff(getBulk, body(t, reqs, 0, "/v2/get_bulk")); diff != "" {
		t.Errorf("get_bulk body (-want +got):\n%s", diff)
	}
	wantSecret := `{"mcpauth":1,"exp":` + jsonInt(exp) + `,"v":{"token":"t"}}`
	if diff := cmp.Diff(map[string]any{"type": "secret", "secret": wantSecret, "name": name, "folder": wireFolder}, body(t, reqs, 1, "/v2/secret/store")); diff != "" {
		t.Errorf("store body (-want +got):\n%s", diff)
	}
	items := f.srv.Items()
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	id := items[0].ID

	// Get: one get_bulk.
	f.srv.ResetRequests()
	if got, err := f.store.Get(ctx, key); err != nil || string(got) != `{"token":"t"}` {
		t.Fatalf("Get: %q, %v", got, err)
	}
	reqs = f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("Get made %d requests, want 1", len(reqs))
	}
	if diff := cmp.Diff(getBulk, body(t, reqs, 0, "/v2/get_bulk")); diff != "" {
		t.Errorf("get_bulk body (-want +got):\n%s", diff)
	}

	// Set of an existing key without ttl: lookup, then rotate.
	f.srv.ResetRequests()
	if err := f.store.Set(ctx, key, []byte("\x00binary"), 0); err != nil {
		t.Fatalf("second Set: %v", err)
	}
	reqs = f.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("Set of an existing key made %d requests, want 2", len(reqs))
	}
	want := map[string]any{"id": id, "secret": `{"mcpauth":1,"b":"AGJpbmFyeQ=="}`, "rotation_state": "deactivated"}
	if diff := cmp.Diff(want, body(t, reqs, 1, "/v2/secret/rotate")); diff != "" {
		t.Errorf("rotate body (-want +got):\n%s", diff)
	}
	items = f.srv.Items()
	if len(items) != 1 || len(items[0].ItemVersions) != 2 || items[0].ItemVersions[0].State != "deactivated" {
		t.Errorf("after rotate: %+v, want one item with the first version deactivated", items)
	}

	// Delete: lookup, then delete by id.
	f.srv.ResetRequests()
	if err := f.store.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	reqs = f.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("Delete made %d requests, want 2", len(reqs))
	}
	if diff := cmp.Diff(map[string]any{"id": id, "recursive": false}, body(t, reqs, 1, "/v2/delete")); diff != "" {
		t.Errorf("delete body (-want +got):\n%s", diff)
	}
	if n := len(f.srv.Items()); n != 0 {
		t.Errorf("%d items left after Delete", n)
	}

	// Delete of a missing key: the lookup only.
	f.srv.ResetRequests()
	if err := f.store.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("Delete of a missing key made %d requests, want 1", n)
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestRotationStateDestroyed(t *testing.T) {
	f := newFixture(t, nil, func(o *pangeavault.Options) { o.RotationState = "destroyed" })
	ctx := t.Context()
	for _, v := range []string{`"old"`, `"new"`} {
		if err := f.store.Set(ctx, "k", []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	vs := f.srv.Items()[0].ItemVersions
	if vs[0].State != "destroyed" || vs[0].Secret != "" {
		t.Errorf("previous version: %+v, want destroyed without its secret", vs[0])
	}
}

func TestDuplicates(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := t.Context()
	name := pangeavault.EncodeName("k")
	// Three items with one name, as concurrent first Sets leave them; the
	// double stamps them at increasing times.
	f.srv.AddDuplicate(name, folder, `{"mcpauth":1,"v":"first"}`)
	f.clock.Advance(time.Millisecond)
	newest := f.srv.AddDuplicate(name, folder, `{"mcpauth":1,"v":"newest"}`)
	f.clock.Advance(-2 * time.Millisecond)
	f.srv.AddDuplicate(name, folder, `{"mcpauth":1,"v":"oldest"}`)
	f.clock.Advance(time.Hour)
	f.srv.AddDuplicate(name, "another/folder", `{"mcpauth":1,"v":"elsewhere"}`)

	for range 3 {
		got, err := f.store.Get(ctx, "k")
		if err != nil || string(got) != `"newest"` {
			t.Fatalf("Get with duplicates: got %q, %v; want the newest", got, err)
		}
	}
	if err := f.store.Set(ctx, "k", []byte(`"set"`), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	var ours []pangeavaulttest.Item
	for _, it := range f.srv.Items() {
		if it.Folder == wireFolder {
			ours = append(ours, it)
		}
	}
	if len(ours) != 1 || ours[0].ID != newest || ours[0].ItemVersions[len(ours[0].ItemVersions)-1].Secret != `{"mcpauth":1,"v":"set"}` {
		t.Errorf("after Set: %+v, want only the newest item, rotated", ours)
	}

	f.srv.AddDuplicate(name, folder, `{"mcpauth":1,"v":"dup"}`)
	if err := f.store.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got, err := f.store.Get(ctx, "k"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get after Delete: %q, %v; want ErrNotFound", got, err)
	}
	left := f.srv.Items()
	if len(left) != 1 || left[0].Folder != "/another/folder" {
		t.Errorf("Delete must remove every duplicate in its folder and nothing else: left %+v", left)
	}
}

func TestManyDuplicatesArePaged(t *testing.T) {
	f := newFixture(t, nil, nil)
	name := pangeavault.EncodeName("k")
	for range 150 {
		f.srv.AddDuplicate(name, folder, `{"mcpauth":1,"v":"x"}`)
		f.clock.Advance(time.Millisecond)
	}
	if err := f.store.Delete(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.srv.Items()); n != 0 {
		t.Errorf("%d duplicates left", n)
	}
}

func TestCorruptRecord(t *testing.T) {
	f := newFixture(t, nil, nil)
	tests := []struct{ name, secret string }{
		{"raw JSON of the Python original", `{"token":"t"}`},
		{"not JSON", "plain"},
		{"unknown version", `{"mcpauth":2,"v":1}`},
		{"both forms", `{"mcpauth":1,"v":1,"b":""}`},
		{"bad base64", `{"mcpauth":1,"b":"!!"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "corrupt/" + tt.name
			f.srv.AddDuplicate(pangeavault.EncodeName(key), folder, tt.secret)
			got, err := f.store.Get(t.Context(), key)
			if !errors.Is(err, pangeavault.ErrCorruptRecord) {
				t.Errorf("got %q, %v; want ErrCorruptRecord", got, err)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		fail      []string
		wantErr   error // nil: success
		wantWaits []time.Duration
	}{
		{"one 429", []string{"TooManyRequests"}, nil, []time.Duration{250 * time.Millisecond}},
		{"500 then 429", []string{"InternalError", "TooManyRequests"}, nil, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{"three 500s", []string{"InternalError", "InternalError", "InternalError"}, nil, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}},
		{"four 500s", []string{"InternalError", "InternalError", "InternalError", "InternalError"}, pangeavault.ErrServer, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}},
		{"four 429s", []string{"TooManyRequests", "TooManyRequests", "TooManyRequests", "TooManyRequests"}, pangeavault.ErrTooManyRequests, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}},
		{"validation is not retried", []string{"ValidationError"}, pangeavault.ErrValidation, nil},
		{"forbidden is not retried", []string{"ForbiddenVaultOperation"}, pangeavault.ErrForbidden, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, nil)
			for _, st := range tt.fail {
				f.srv.FailNext(1, st)
			}
			got, err := f.store.Get(t.Context(), "k")
			switch {
			case tt.wantErr == nil && !errors.Is(err, repository.ErrNotFound):
				t.Errorf("Get: got %q, %v; want ErrNotFound after the retries", got, err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Get: got %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantWaits, f.sleeps.get()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if n, want := len(f.srv.Requests()), len(tt.wantWaits)+1; n != want {
				t.Errorf("%d requests, want %d", n, want)
			}
		})
	}
}

func TestRetryAfterAndCancel(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html>upstream unavailable</html>"))
	}))
	t.Cleanup(srv.Close)
	var waits []time.Duration
	ctx, cancel := context.WithCancel(t.Context())
	s, err := pangeavault.New(&pangeavault.Options{
		Token: "pts_secret", BaseURL: srv.URL, HTTPClient: srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			if len(waits) == 2 {
				cancel()
			}
			return ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "k")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Get: got %v, want an error wrapping context.Canceled", err)
	}
	if diff := cmp.Diff([]time.Duration{3 * time.Second, 3 * time.Second}, waits); diff != "" {
		t.Errorf("waits honour Retry-After (-want +got):\n%s", diff)
	}
	if calls != 2 {
		t.Errorf("%d calls, want 2 (none after the cancel)", calls)
	}

	// A non-envelope 503 is a server error.
	s2, _ := pangeavault.New(&pangeavault.Options{Token: "pts_secret", BaseURL: srv.URL, HTTPClient: srv.Client(), MaxRetries: -1})
	_, err = s2.Get(t.Context(), "k")
	var apiErr *pangeavault.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 503 || apiErr.Status != "" || !errors.Is(err, pangeavault.ErrServer) {
		t.Errorf("got %#v, want an APIError for HTTP 503 matching ErrServer", err)
	}
}

func TestAcceptedPolling(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := t.Context()
	f.srv.AcceptNext(2, 3) // the lookup and the store are both queued
	if err := f.store.Set(ctx, "k", []byte(`"v"`), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	var paths []string
	for _, r := range f.srv.Requests() {
		p := r.Path
		if strings.HasPrefix(p, "/request/prq_") {
			p = "/request/{id}"
		}
		paths = append(paths, r.Method+" "+p)
	}
	poll := "GET /request/{id}"
	want := []string{"POST /v2/get_bulk", poll, poll, poll, poll, "POST /v2/secret/store", poll, poll, poll, poll}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if got := len(f.sleeps.get()); got != 8 {
		t.Errorf("%d poll waits, want 8", got)
	}
	for _, d := range f.sleeps.get() {
		if d != pangeavault.DefaultPollInterval {
			t.Errorf("poll wait %v, want %v", d, pangeavault.DefaultPollInterval)
		}
	}
	if got, err := f.store.Get(ctx, "k"); err != nil || string(got) != `"v"` {
		t.Errorf("Get: %q, %v", got, err)
	}

	// Polls run out.
	f2 := newFixture(t, nil, func(o *pangeavault.Options) { o.MaxPolls = 2 })
	f2.srv.AcceptNext(1, 5)
	_, err := f2.store.Get(ctx, "k")
	var apiErr *pangeavault.APIError
	if !errors.Is(err, pangeavault.ErrPending) || !errors.As(err, &apiErr) || apiErr.RequestID == "" {
		t.Errorf("got %v, want ErrPending with the request id", err)
	}
}

func TestStatusesToErrors(t *testing.T) {
	tests := []struct {
		status string
		want   error
	}{
		{"Unauthorized", pangeavault.ErrUnauthorized},
		{"ForbiddenVaultOperation", pangeavault.ErrForbidden},
		{"ValidationError", pangeavault.ErrValidation},
		{"VaultItemNotFound", pangeavault.ErrItemNotFound},
		{"TooManyRequests", pangeavault.ErrTooManyRequests},
		{"InternalError", pangeavault.ErrServer},
		{"SomethingNew", pangeavault.ErrUnexpectedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			f := newFixture(t, nil, func(o *pangeavault.Options) { o.MaxRetries = -1 })
			if tt.want == pangeavault.ErrUnexpectedResponse {
				f.srv.FailNextWith(1, tt.status, http.StatusConflict)
			} else {
				f.srv.FailNext(1, tt.status)
			}
			_, err := f.store.Get(t.Context(), "k")
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var apiErr *pangeavault.APIError
			if !errors.As(err, &apiErr) || apiErr.Status != tt.status || apiErr.RequestID == "" || apiErr.Path != "/v2/get_bulk" {
				t.Errorf("APIError = %+v", apiErr)
			}
			for _, other := range tests {
				if other.want != tt.want && errors.Is(err, other.want) {
					t.Errorf("%v also matches %v", err, other.want)
				}
			}
			if errors.Is(err, repository.ErrNotFound) {
				t.Errorf("a failure must not look like an absent key")
			}
		})
	}
}

func TestTokenNeverLeaks(t *testing.T) {
	const token = "pts_supersecrettoken123"
	f := newFixture(t, nil, func(o *pangeavault.Options) { o.Token = token })
	ctx := t.Context()
	// The double expects another token: every call is Unauthorized.
	_, err := f.store.Get(ctx, "secret-key")
	if !errors.Is(err, pangeavault.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	errs := []error{err, f.store.Set(ctx, "secret-key", []byte("secret-value"), 0), f.store.Delete(ctx, "secret-key")}
	// A transport failure too.
	f.srv.Close()
	_, err = f.store.Get(ctx, "secret-key")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("want an error")
		}
		for _, secret := range []string{token, "secret-key", "secret-value", pangeavault.EncodeName("secret-key")} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains %q", err, secret)
			}
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "pangeavault: call") {
		t.Errorf("expected debug logs, got %q", logs)
	}
	for _, secret := range []string{token, "secret-key", "secret-value", pangeavault.EncodeName("secret-key")} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		opts *pangeavault.Options
		ok   bool
	}{
		{"nil options", nil, false},
		{"no token", &pangeavault.Options{}, false},
		{"token with newline", &pangeavault.Options{Token: "pts_x\r\nX-Evil: 1"}, false},
		{"defaults", &pangeavault.Options{Token: "pts_x"}, true},
		{"domain", &pangeavault.Options{Token: "pts_x", Domain: "gcp.us.pangea.cloud"}, true},
		{"domain with scheme", &pangeavault.Options{Token: "pts_x", Domain: "https://x"}, false},
		{"https base URL", &pangeavault.Options{Token: "pts_x", BaseURL: "https://vault.example.com/"}, true},
		{"http loopback", &pangeavault.Options{Token: "pts_x", BaseURL: "http://127.0.0.1:8080"}, true},
		{"http remote", &pangeavault.Options{Token: "pts_x", BaseURL: "http://vault.example.com"}, false},
		{"ftp", &pangeavault.Options{Token: "pts_x", BaseURL: "ftp://vault.example.com"}, false},
		{"credentials in URL", &pangeavault.Options{Token: "pts_x", BaseURL: "https://u:p@vault.example.com"}, false},
		{"folder ok", &pangeavault.Options{Token: "pts_x", Folder: "mcp/tokens v1_a.b-c"}, true},
		{"folder bad", &pangeavault.Options{Token: "pts_x", Folder: "mcp+tokens"}, false},
		{"rotation destroyed", &pangeavault.Options{Token: "pts_x", RotationState: "destroyed"}, true},
		{"rotation bad", &pangeavault.Options{Token: "pts_x", RotationState: "suspended"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := pangeavault.New(tt.opts)
			if (err == nil) != tt.ok {
				t.Fatalf("New: got %v, want ok=%v", err, tt.ok)
			}
			if err != nil && tt.opts != nil && tt.opts.Token != "" && strings.Contains(err.Error(), tt.opts.Token) {
				t.Errorf("error %q contains the token", err)
			}
			if tt.ok && s == nil {
				t.Errorf("nil store")
			}
		})
	}
}

func TestDefaultBaseURL(t *testing.T) {
	// The default domain is used when nothing else is set; observe it
	// through a transport that records the URL and answers itself.
	var got []string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.String())
		rec := httptest.NewRecorder()
		rec.WriteString(`{"request_id":"prq_1","request_time":"t","response_time":"t","status":"Success","summary":"ok","result":{"items":[]}}`)
		return rec.Result(), nil
	})}
	for _, o := range []*pangeavault.Options{
		{Token: "pts_x", HTTPClient: client},
		{Token: "pts_x", HTTPClient: client, Domain: "aws.eu.pangea.cloud"},
	} {
		s, err := pangeavault.New(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(t.Context(), "k"); !errors.Is(err, repository.ErrNotFound) {
			t.Fatalf("Get: %v", err)
		}
	}
	want := []string{"https://vault.aws.us.pangea.cloud/v2/get_bulk", "https://vault.aws.eu.pangea.cloud/v2/get_bulk"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("URLs (-want +got):\n%s", diff)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSweep(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := t.Context()
	for _, r := range []struct {
		key string
		ttl time.Duration
	}{{"a", time.Minute}, {"b", time.Hour}, {"c", 0}, {"d", time.Second}} {
		if err := f.store.Set(ctx, r.key, []byte(`1`), r.ttl); err != nil {
			t.Fatal(err)
		}
	}
	f.srv.AddDuplicate("not-ours", folder, "x")
	f.clock.Advance(2 * time.Minute)
	n, err := f.store.Sweep(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Sweep: %d, %v; want 2", n, err)
	}
	var names []string
	for _, it := range f.srv.Items() {
		names = append(names, it.Name)
	}
	want := []string{pangeavault.EncodeName("b"), pangeavault.EncodeName("c"), "not-ours"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("items left (-want +got):\n%s", diff)
	}
}

func TestNotATakerOrCreator(t *testing.T) {
	var s repository.Store = newFixture(t, nil, nil).store
	if _, ok := s.(repository.Taker); ok {
		t.Error("Store claims to be a Taker without WithTake")
	}
	if _, ok := repository.Store(s.(*pangeavault.Store).WithTake()).(repository.Creator); ok {
		t.Error("TakingStore claims to be a Creator, but Pangea Vault has no compare-and-set")
	}
	if _, ok := s.(repository.Creator); ok {
		t.Error("Store claims to be a Creator, but Pangea Vault has no compare-and-set")
	}
}

func TestAPIErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *pangeavault.APIError
		want string
	}{
		{"envelope", &pangeavault.APIError{Status: "ValidationError", Summary: "name mcpauth_nbswy3dp is invalid", RequestID: "prq_1", HTTPStatus: 400, Path: "/v2/secret/store",
			Errors: []pangeavault.FieldError{{Code: "X", Detail: "mcpauth_nbswy3dp"}}}, "pangeavault: /v2/secret/store: ValidationError (HTTP 400) [prq_1]"},
		{"not an envelope", &pangeavault.APIError{HTTPStatus: 502, Path: "/v2/get_bulk"}, "pangeavault: /v2/get_bulk: non-envelope answer (HTTP 502)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSweeper(t *testing.T) {
	type sleepCall struct {
		d       time.Duration
		release chan error
	}
	calls := make(chan sleepCall)
	f := newFixture(t, nil, func(o *pangeavault.Options) {
		o.SweepInterval = 10 * time.Minute
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			c := sleepCall{d, make(chan error)}
			select {
			case calls <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case err := <-c.release:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	ctx := t.Context()
	if err := f.store.Set(ctx, "short", []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Set(ctx, "long", []byte("1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)

	c := <-calls // the sweeper waits one interval first
	if c.d != 10*time.Minute {
		t.Errorf("sweeper waits %v, want 10m", c.d)
	}
	c.release <- nil
	c = <-calls // the sweep ran; the sweeper waits again
	if c.d != 10*time.Minute {
		t.Errorf("sweeper waits %v, want 10m", c.d)
	}
	names := []string{}
	for _, it := range f.srv.Items() {
		names = append(names, it.Name)
	}
	if diff := cmp.Diff([]string{pangeavault.EncodeName("long")}, names); diff != "" {
		t.Errorf("items after a sweep (-want +got):\n%s", diff)
	}
	if err := f.store.Close(); err != nil { // returns once the sweeper has stopped
		t.Errorf("Close: %v", err)
	}
	if err := f.store.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if !strings.Contains(f.logs.String(), "pangeavault: swept") {
		t.Errorf("no sweep log line:\n%s", f.logs.String())
	}
}

// TestRecordTooLarge: a record that would exceed Pangea Vault's 10,240
// characters is refused before any call; one that fits exactly is stored
// (the double enforces the limit, so "stored" proves it fits).
func TestRecordTooLarge(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := t.Context()
	binary := func(n int) []byte { return bytes.Repeat([]byte{0xff}, n) }
	if err := f.store.Set(ctx, "bin", binary(pangeavault.MaxValueSize), time.Hour); err != nil {
		t.Fatalf("Set of MaxValueSize binary bytes with a TTL: %v", err)
	}
	// A JSON string value filling the secret to the last character: the
	// envelope without expiry is {"mcpauth":1,"v":…} (18 characters).
	exact := []byte(`"` + strings.Repeat("é", pangeavault.MaxSecretLength-18-2) + `"`)
	if err := f.store.Set(ctx, "exact", exact, 0); err != nil {
		t.Fatalf("Set of a record of exactly %d characters: %v", pangeavault.MaxSecretLength, err)
	}
	if got, err := f.store.Get(ctx, "exact"); err != nil || !bytes.Equal(got, exact) {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}

	f.srv.ResetRequests()
	tests := []struct {
		name  string
		value []byte
		ttl   time.Duration
		want  int
	}{
		{"one character over", append(exact[:len(exact)-1:len(exact)-1], 'x', '"'), 0, pangeavault.MaxSecretLength + 1},
		{"binary over MaxValueSize", binary(pangeavault.MaxValueSize + 1), time.Hour, 10244},
		{"a megabyte", binary(1 << 20), 0, 1398124},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.store.Set(ctx, "big", tt.value, tt.ttl)
			var tl *pangeavault.RecordTooLargeError
			if !errors.Is(err, pangeavault.ErrRecordTooLarge) || !errors.As(err, &tl) || tl.Length != tt.want || tl.Limit != pangeavault.MaxSecretLength {
				t.Fatalf("got %v (%+v), want a RecordTooLargeError of %d characters", err, tl, tt.want)
			}
			if want := "pangeavault: record of " + strconv.Itoa(tt.want) + " characters exceeds Pangea Vault's 10240-character secret limit (values up to 7650 bytes always fit)"; err.Error() != want {
				t.Errorf("got message %q, want %q", err, want)
			}
		})
	}
	if reqs := f.srv.Requests(); len(reqs) != 0 {
		t.Errorf("refused Sets made %d requests, want none", len(reqs))
	}
	if _, err := f.store.Get(ctx, "big"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get of a refused key: %v, want ErrNotFound", err)
	}
}
