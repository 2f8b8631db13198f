// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavaulttest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/internal/pangeavaulttest"
	"github.com/mcpauth/mcpauth/internal/pangeawire"
)

type envelope = pangeawire.Answer

func call(t *testing.T, s *pangeavaulttest.Server, token, path string, body any) (int, envelope) {
	t.Helper()
	b, ok := body.([]byte) // sent as is
	if !ok {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	a, err := pangeawire.Post(t.Context(), s.Client(), s.URL+path, token, b)
	return check(t, a, err)
}

func check(t *testing.T, a pangeawire.Answer, err error) (int, envelope) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !a.Complete() {
		t.Errorf("incomplete envelope %+v", a)
	}
	return a.HTTP, a
}

func result[T any](t *testing.T, env envelope) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(env.Result, &v); err != nil {
		t.Fatalf("result %s: %v", env.Result, err)
	}
	return v
}

type page struct {
	Items []pangeavaulttest.Item `json:"items"`
	Last  string                 `json:"last"`
}

type fieldError = pangeawire.FieldError

// unknownID is a well-formed id no item has.
const unknownID = "pvi_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return func() time.Time { return t0 }
}

func TestStoreRotateGetDelete(t *testing.T) {
	s := pangeavaulttest.New(t, &pangeavaulttest.Options{Clock: fixedClock()})
	tok := s.Token()

	code, env := call(t, s, tok, "/v2/secret/store", map[string]any{"type": "secret", "secret": `{"a":1}`, "name": "k1", "folder": "mcp/clients"})
	if code != 200 || env.Status != "Success" {
		t.Fatalf("store: got %d %s, want 200 Success", code, env.Status)
	}
	stored := result[pangeavaulttest.Item](t, env)
	if !regexp.MustCompile(`^pvi_[a-z2-7]{32}$`).MatchString(stored.ID) {
		t.Errorf("id %q does not look like pvi_…", stored.ID)
	}
	want := pangeavaulttest.Item{
		ID: stored.ID, Type: "secret", Enabled: true, Name: "k1", Folder: "/mcp/clients",
		CreatedAt: "2026-03-04T05:06:07.000000Z", NumVersions: 1,
		ItemVersions: []pangeavaulttest.ItemVersion{{Version: 1, State: "active", CreatedAt: "2026-03-04T05:06:07.000000Z", Secret: `{"a":1}`}},
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("store result (-want +got):\n%s", diff)
	}

	code, env = call(t, s, tok, "/v2/secret/rotate", map[string]any{"id": stored.ID, "secret": `{"a":2}`, "rotation_state": "suspended"})
	if code != 200 {
		t.Fatalf("rotate: got %d %s", code, env.Status)
	}
	rotated := result[pangeavaulttest.Item](t, env)
	if diff := cmp.Diff([]pangeavaulttest.ItemVersion{{Version: 2, State: "active", CreatedAt: "2026-03-04T05:06:07.000000Z", Secret: `{"a":2}`}}, rotated.ItemVersions); diff != "" {
		t.Errorf("rotate returns only the new version (-want +got):\n%s", diff)
	}
	items := s.Items()
	if len(items) != 1 || len(items[0].ItemVersions) != 2 || items[0].ItemVersions[0].State != "suspended" || items[0].ItemVersions[0].Secret != `{"a":1}` {
		t.Errorf("after rotate the old version must be kept, suspended: %+v", items)
	}

	_, env = call(t, s, tok, "/v2/get_bulk", map[string]any{"filter": map[string]string{"type": "secret", "name": "k1", "folder": "mcp/clients"}, "size": 1})
	p := result[page](t, env)
	if len(p.Items) != 1 || p.Items[0].ItemVersions[0].Secret != `{"a":2}` || len(p.Items[0].ItemVersions) != 1 || p.Last != "" {
		t.Errorf("get_bulk: got %+v, want the item with its latest version only", p)
	}
	_, env = call(t, s, tok, "/v2/get_bulk", map[string]any{"filter": map[string]string{"type": "secret", "name": "k1", "folder": "other"}, "size": 1})
	if p := result[page](t, env); len(p.Items) != 0 {
		t.Errorf("get_bulk in another folder: got %+v, want none", p.Items)
	}

	_, env = call(t, s, tok, "/v2/get", map[string]any{"id": stored.ID, "version": 1})
	if got := result[pangeavaulttest.Item](t, env); got.ItemVersions[0].Secret != `{"a":1}` {
		t.Errorf("get version 1: got %+v", got.ItemVersions)
	}

	code, env = call(t, s, tok, "/v2/delete", map[string]any{"id": stored.ID, "recursive": false})
	if code != 200 || string(env.Result) != `{"id":"`+stored.ID+`"}` {
		t.Errorf("delete: got %d %s", code, env.Result)
	}
	code, env = call(t, s, tok, "/v2/delete", map[string]any{"id": stored.ID})
	if code != 404 || env.Status != "VaultItemNotFound" {
		t.Errorf("second delete: got %d %s, want 404 VaultItemNotFound", code, env.Status)
	}
	code, env = call(t, s, tok, "/v2/secret/rotate", map[string]any{"id": stored.ID, "secret": "x"})
	if code != 404 || env.Status != "VaultItemNotFound" {
		t.Errorf("rotate of a deleted item: got %d %s", code, env.Status)
	}
}

func TestErrors(t *testing.T) {
	s := pangeavaulttest.New(t, &pangeavaulttest.Options{NamePattern: regexp.MustCompile(`^[a-z0-9_]+$`)})
	tok := s.Token()
	type fe = fieldError
	tests := []struct {
		name       string
		token      string
		path       string
		body       any
		wantCode   int
		wantStatus string
		wantErrors []fe // code and source only
	}{
		{"bad token", "pts_wrong", "/v2/get_bulk", map[string]any{}, 401, "Unauthorized", nil},
		{"no token", "", "/v2/get_bulk", map[string]any{}, 401, "Unauthorized", nil},
		{"not JSON", tok, "/v2/get_bulk", []byte(`{`), 400, "InvalidPayloadReceived", nil},
		{"not an object", tok, "/v2/get_bulk", []int{1}, 400, "ValidationError", []fe{{Code: "InvalidObject", Source: "/"}}},
		{"bad folder", tok, "/v2/secret/store", map[string]any{"secret": "x", "folder": "a+b"}, 400, "ValidationError", []fe{{Code: "DoesNotMatchPattern", Source: "/folder"}}},
		{"bad name (NamePattern)", tok, "/v2/secret/store", map[string]any{"secret": "x", "name": "a/b"}, 400, "ValidationError", []fe{{Code: "DoesNotMatchPattern", Source: "/name"}}},
		{"no secret", tok, "/v2/secret/store", map[string]any{"type": "secret", "name": "a"}, 400, "ValidationError", []fe{{Code: "FieldRequired", Source: "/secret"}}},
		{"empty secret", tok, "/v2/secret/store", map[string]any{"secret": ""}, 400, "ValidationError", []fe{{Code: "BelowMinLength", Source: "/secret"}}},
		{"secret too long", tok, "/v2/secret/store", map[string]any{"secret": strings.Repeat("é", pangeavaulttest.MaxSecretLength+1)}, 400, "ValidationError", []fe{{Code: "AboveMaxLength", Source: "/secret"}}},
		{"secret not a string", tok, "/v2/secret/store", map[string]any{"secret": 5}, 400, "ValidationError", []fe{{Code: "InvalidString", Source: "/secret"}}},
		{"secret null", tok, "/v2/secret/store", map[string]any{"secret": nil}, 400, "ValidationError", []fe{{Code: "InvalidNull", Source: "/secret"}}},
		{"other item type", tok, "/v2/secret/store", map[string]any{"type": "pangea_token", "secret": "x"}, 400, "ValidationError", []fe{{Code: "InvalidConst", Source: "/type"}}},
		{"rotated secret too long", tok, "/v2/secret/rotate", map[string]any{"id": unknownID, "secret": strings.Repeat("x", pangeavaulttest.MaxSecretLength+1)}, 400, "ValidationError", []fe{{Code: "AboveMaxLength", Source: "/secret"}}},
		{"unexpected property", tok, "/v2/secret/rotate", map[string]any{"id": unknownID, "secret": "x", "nmae": "a"}, 400, "ValidationError", []fe{{Code: "UnexpectedProperty", Source: "/nmae"}}},
		{"malformed id", tok, "/v2/delete", map[string]any{"id": "pvi_unknown"}, 400, "ValidationError", []fe{{Code: "DoesNotMatchPattern", Source: "/id"}}},
		{"no id", tok, "/v2/get", map[string]any{}, 400, "ValidationError", []fe{{Code: "FieldRequired", Source: "/id"}}},
		{"recursive not a bool", tok, "/v2/delete", map[string]any{"id": unknownID, "recursive": "yes"}, 400, "ValidationError", []fe{{Code: "InvalidBool", Source: "/recursive"}}},
		{"size too big", tok, "/v2/get_bulk", map[string]any{"size": 101}, 400, "ValidationError", []fe{{Code: "IsTooBig", Source: "/size"}}},
		{"size zero", tok, "/v2/get_bulk", map[string]any{"size": 0}, 400, "ValidationError", []fe{{Code: "IsTooSmall", Source: "/size"}}},
		{"size not an integer", tok, "/v2/list", map[string]any{"size": 1.5}, 400, "ValidationError", []fe{{Code: "InvalidInteger", Source: "/size"}}},
		{"bad order", tok, "/v2/list", map[string]any{"order": "up"}, 400, "ValidationError", []fe{{Code: "NotEnumMember", Source: "/order"}}},
		{"bad order_by", tok, "/v2/get_bulk", map[string]any{"order_by": "secret"}, 400, "ValidationError", []fe{{Code: "NotEnumMember", Source: "/order_by"}}},
		{"filter not modelled", tok, "/v2/get_bulk", map[string]any{"filter": map[string]string{"name__contains": "a"}}, 400, "ValidationError", []fe{{Code: "UnexpectedProperty", Source: "/filter/name__contains"}}},
		{"bad cursor", tok, "/v2/list", map[string]any{"last": "nope"}, 400, "ValidationError", []fe{{Code: "BadFormat", Source: "/last"}}},
		{"bad rotation state", tok, "/v2/secret/rotate", map[string]any{"id": unknownID, "secret": "x", "rotation_state": "compromised"}, 400, "ValidationError", []fe{{Code: "NotEnumMember", Source: "/rotation_state"}}},
		{"several errors", tok, "/v2/secret/rotate", map[string]any{"id": "x", "rotation_state": "up", "zz": 1}, 400, "ValidationError", []fe{
			{Code: "DoesNotMatchPattern", Source: "/id"}, {Code: "NotEnumMember", Source: "/rotation_state"}, {Code: "FieldRequired", Source: "/secret"}, {Code: "UnexpectedProperty", Source: "/zz"},
		}},
		{"folder create without folder", tok, "/v2/folder/create", map[string]any{"name": "a"}, 400, "ValidationError", []fe{{Code: "FieldRequired", Source: "/folder"}}},
		{"get unknown", tok, "/v2/get", map[string]any{"id": unknownID}, 404, "VaultItemNotFound", nil},
		{"unknown path", tok, "/v2/nope", map[string]any{}, 404, "NotFound", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, env := call(t, s, tt.token, tt.path, tt.body)
			if code != tt.wantCode || env.Status != tt.wantStatus {
				t.Errorf("got %d %s, want %d %s", code, env.Status, tt.wantCode, tt.wantStatus)
			}
			var got []fe
			for _, e := range env.FieldErrors() {
				if e.Detail == "" {
					t.Errorf("error %+v has no detail", e)
				}
				got = append(got, fe{Code: e.Code, Source: e.Source})
			}
			if diff := cmp.Diff(tt.wantErrors, got); diff != "" {
				t.Errorf("result.errors (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(s.Items()); n != 0 {
		t.Errorf("failed calls stored %d items", n)
	}
	reqs := s.Requests()
	if len(reqs) != len(tests) {
		t.Fatalf("recorded %d requests, want %d", len(reqs), len(tests))
	}
	if got := reqs[0]; got.Path != "/v2/get_bulk" || got.Authorization != "Bearer pts_wrong" || got.ContentType != "application/json" || got.Body == nil {
		t.Errorf("recorded request: %+v", got)
	}
}

// TestSecretLimit: a secret of exactly MaxSecretLength characters is
// stored; characters are code points, not bytes.
func TestSecretLimit(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	secret := strings.Repeat("é", pangeavaulttest.MaxSecretLength)
	if code, env := call(t, s, s.Token(), "/v2/secret/store", map[string]any{"secret": secret}); code != 200 {
		t.Fatalf("store of %d characters: got %d %s", pangeavaulttest.MaxSecretLength, code, env.Status)
	}
}

// TestFolderNormalization: folders are stored and compared with a leading
// "/" and no trailing one; no folder is the root "/".
func TestFolderNormalization(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	for _, f := range []any{"mcp/tokens", "/mcp/tokens/", nil} {
		body := map[string]any{"secret": "x"}
		if f != nil {
			body["folder"] = f
		}
		_, env := call(t, s, s.Token(), "/v2/secret/store", body)
		it := result[pangeavaulttest.Item](t, env)
		want := "/mcp/tokens"
		if f == nil {
			want = "/"
		}
		if it.Folder != want {
			t.Errorf("stored with folder %v: got folder %q, want %q", f, it.Folder, want)
		}
	}
	for _, f := range []string{"mcp/tokens", "/mcp/tokens", "/mcp/tokens/"} {
		_, env := call(t, s, s.Token(), "/v2/get_bulk", map[string]any{"filter": map[string]string{"folder": f}})
		if p := result[page](t, env); len(p.Items) != 2 {
			t.Errorf("filter folder %q: got %d items, want 2", f, len(p.Items))
		}
	}
	_, env := call(t, s, s.Token(), "/v2/list", map[string]any{"filter": map[string]string{"folder": "/"}})
	if p := result[page](t, env); len(p.Items) != 1 {
		t.Errorf("filter folder /: got %d items, want the root's 1", len(p.Items))
	}
}

// pageAll follows the "last" cursors of path from body and returns every
// item.
func pageAll(t *testing.T, s *pangeavaulttest.Server, path string, body map[string]any) []pangeavaulttest.Item {
	t.Helper()
	var items []pangeavaulttest.Item
	for range 100 {
		_, env := call(t, s, s.Token(), path, body)
		p := result[page](t, env)
		items = append(items, p.Items...)
		if p.Last == "" {
			return items
		}
		body["last"] = p.Last
	}
	t.Fatal("more than 100 pages")
	return nil
}

func TestPagination(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	for range 5 {
		s.AddDuplicate("dup", "f", "v")
	}
	s.AddDuplicate("other", "f", "v")
	var ids []string
	for _, it := range pageAll(t, s, "/v2/get_bulk", map[string]any{"filter": map[string]string{"type": "secret", "name": "dup", "folder": "f"}, "size": 2}) {
		ids = append(ids, it.ID)
	}
	var want []string
	for _, it := range s.Items()[:5] {
		want = append(want, it.ID)
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("paged ids (-want +got):\n%s", diff)
	}
	_, env := call(t, s, s.Token(), "/v2/list", map[string]any{"filter": map[string]string{"folder": "f"}})
	p := result[page](t, env)
	if len(p.Items) != 6 || p.Last != "" || p.Items[0].ItemVersions[0].Secret != "" {
		t.Errorf("list: got %d items, last %q, secret %q; want 6 items without secrets", len(p.Items), p.Last, p.Items[0].ItemVersions[0].Secret)
	}
	if strings.Contains(string(env.Result), `"count"`) {
		t.Errorf("list result has a count the spec does not list: %s", env.Result)
	}
}

// TestDefaultSizeAndOrder: pages hold 50 items unless size says otherwise
// (vault-list-size's default), and order/order_by sort them.
func TestDefaultSizeAndOrder(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	for i := range 51 {
		s.AddDuplicate(fmt.Sprintf("n%02d", 50-i), "f", "v")
	}
	_, env := call(t, s, s.Token(), "/v2/get_bulk", map[string]any{})
	p := result[page](t, env)
	if len(p.Items) != pangeavaulttest.DefaultSize || p.Last == "" {
		t.Fatalf("got %d items, last %q; want %d and a cursor", len(p.Items), p.Last, pangeavaulttest.DefaultSize)
	}
	var names []string
	for _, it := range pageAll(t, s, "/v2/list", map[string]any{"order_by": "name", "order": "desc", "size": 20}) {
		names = append(names, it.Name)
	}
	if len(names) != 51 || names[0] != "n50" || names[50] != "n00" || !slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("names by name, descending: %v", names)
	}
}

// TestCursorSurvivesDeletes: deleting returned items between pages does not
// make the next page skip any.
func TestCursorSurvivesDeletes(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	for range 6 {
		s.AddDuplicate("n", "f", "v")
	}
	_, env := call(t, s, s.Token(), "/v2/get_bulk", map[string]any{"size": 2})
	p := result[page](t, env)
	for _, it := range p.Items {
		call(t, s, s.Token(), "/v2/delete", map[string]any{"id": it.ID})
	}
	_, env = call(t, s, s.Token(), "/v2/get_bulk", map[string]any{"size": 2, "last": p.Last})
	got := result[page](t, env)
	if len(got.Items) != 2 || got.Items[0].ID != s.Items()[0].ID {
		t.Errorf("after deletes, the next page starts at %+v, want the third item", got.Items)
	}
}

func TestFaultsAndPolling(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	s.FailNext(1, pangeavaulttest.StatusTooManyRequests)
	s.FailNext(1, pangeavaulttest.StatusInternalError)
	store := map[string]any{"type": "secret", "secret": "x", "name": "n"}
	for _, want := range []struct {
		code   int
		status string
	}{{429, "TooManyRequests"}, {500, "InternalError"}} {
		if code, env := call(t, s, s.Token(), "/v2/secret/store", store); code != want.code || env.Status != want.status {
			t.Errorf("got %d %s, want %d %s", code, env.Status, want.code, want.status)
		}
	}
	if n := len(s.Items()); n != 0 {
		t.Fatalf("injected failures took effect: %d items", n)
	}

	s.AcceptNext(1, 2)
	code, env := call(t, s, s.Token(), "/v2/secret/store", store)
	if code != 202 || env.Status != "Accepted" {
		t.Fatalf("got %d %s, want 202 Accepted", code, env.Status)
	}
	poll := func() (int, envelope) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/request/"+env.RequestID, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.Token())
		a, err := pangeawire.Do(s.Client(), req)
		return check(t, a, err)
	}
	for i := range 2 {
		if code, penv := poll(); code != 202 || penv.Status != "Accepted" {
			t.Errorf("poll %d: got %d %s, want 202 Accepted", i, code, penv.Status)
		}
	}
	code, penv := poll()
	if code != 200 || penv.Status != "Success" || penv.RequestID != env.RequestID {
		t.Fatalf("final poll: got %d %s %s", code, penv.Status, penv.RequestID)
	}
	if it := result[pangeavaulttest.Item](t, penv); it.Name != "n" || it.ItemVersions[0].Secret != "x" {
		t.Errorf("polled result: %+v", it)
	}
	if code, penv := poll(); code != 404 {
		t.Errorf("poll after completion: got %d %s, want 404", code, penv.Status)
	}
	if code, _ := call(t, s, s.Token(), "/v2/secret/store", store); code != 200 {
		t.Errorf("after the injected 202: got %d, want 200", code)
	}
}

func TestFolderCreateAndDelete(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	_, env := call(t, s, s.Token(), "/v2/folder/create", map[string]any{"name": "clients", "folder": "mcp"})
	folder := result[pangeavaulttest.Item](t, env)
	if folder.Type != "folder" || folder.Name != "clients" || folder.Folder != "/mcp" {
		t.Fatalf("folder/create: %+v", folder)
	}
	s.AddDuplicate("x", "mcp/clients", "v")
	if code, env := call(t, s, s.Token(), "/v2/delete", map[string]any{"id": folder.ID}); code != 400 || env.FieldErrors()[0].Code != "BadState" {
		t.Errorf("non-recursive delete of a non-empty folder: got %d %s, want 400 BadState", code, env.Result)
	}
	if code, env := call(t, s, s.Token(), "/v2/delete", map[string]any{"id": folder.ID, "recursive": true}); code != 200 {
		t.Errorf("recursive delete: got %d %s", code, env.Status)
	}
	if n := len(s.Items()); n != 0 {
		t.Errorf("recursive delete left %d items", n)
	}
}

func TestLoseNextAnswer(t *testing.T) {
	s := pangeavaulttest.New(t, nil)
	s.LoseNextAnswer("/v2/secret/store", 1, pangeavaulttest.StatusInternalError)
	list := map[string]any{"filter": map[string]string{"type": "secret"}}
	if code, _ := call(t, s, s.Token(), "/v2/get_bulk", list); code != 200 {
		t.Errorf("a call to another path was affected: %d", code)
	}
	store := map[string]any{"type": "secret", "secret": "x", "name": "n"}
	if code, env := call(t, s, s.Token(), "/v2/secret/store", store); code != 500 || env.Status != "InternalError" {
		t.Errorf("got %d %s, want 500 InternalError", code, env.Status)
	}
	if n := len(s.Items()); n != 1 {
		t.Errorf("the call must take effect despite the error: %d items", n)
	}
	if code, _ := call(t, s, s.Token(), "/v2/secret/store", store); code != 200 {
		t.Errorf("only one answer is lost: got %d", code)
	}
}
