// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package doubletest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/internal/doubletest"
)

type record struct {
	Path   string
	Status int
}

// double is the smallest double: it records each request and answers 204
// once the gate lets it through.
type double struct {
	doubletest.Base[record]
	URL string
}

func start(record bool) *double {
	d := &double{}
	d.URL = d.Serve(http.HandlerFunc(d.serve), record)
	return d
}

func (d *double) serve(w http.ResponseWriter, r *http.Request) {
	rec := &record{Path: r.URL.Path}
	d.Record(r.URL.Path, rec)
	d.Park(r.Context())
	d.Locked(func() { rec.Status = http.StatusNoContent })
	w.WriteHeader(http.StatusNoContent)
}

func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestBase(t *testing.T) {
	d := start(true)
	defer d.Close()
	c := d.Client()
	get(t, c, d.URL+"/a")
	get(t, c, d.URL+"/a")
	get(t, c, d.URL+"/b")

	want := []record{{"/a", 204}, {"/a", 204}, {"/b", 204}}
	if diff := cmp.Diff(want, d.Snapshot()); diff != "" {
		t.Errorf("Snapshot (-want +got):\n%s", diff)
	}
	if got := len(d.Records()); got != 3 {
		t.Errorf("Records: %d, want 3", got)
	}
	got := map[string]int{"/a": d.Calls("/a"), "/b": d.Calls("/b"), "/c": d.Calls("/c"), "": d.Calls("")}
	if diff := cmp.Diff(map[string]int{"/a": 2, "/b": 1, "/c": 0, "": 3}, got); diff != "" {
		t.Errorf("Calls (-want +got):\n%s", diff)
	}
	if n := d.Conns(); n != 1 {
		t.Errorf("Conns = %d, want 1 (keep-alive)", n)
	}

	// A snapshot is a copy: changing it leaves the record alone.
	snap := d.Snapshot()
	snap[0].Path = "/changed"
	if p := d.Snapshot()[0].Path; p != "/a" {
		t.Errorf("the record changed through a snapshot: %q", p)
	}

	d.Reset()
	if n, c := len(d.Snapshot()), d.Calls(""); n != 0 || c != 0 {
		t.Errorf("after Reset: %d records, %d calls, want 0", n, c)
	}
}

func TestWithoutRecording(t *testing.T) {
	d := start(false)
	defer d.Close()
	get(t, d.Client(), d.URL+"/a")
	if n, c := len(d.Snapshot()), d.Calls("/a"); n != 0 || c != 1 {
		t.Errorf("got %d records, %d calls, want 0 and 1", n, c)
	}
}

func TestHoldAndClose(t *testing.T) {
	d := start(true)
	d.Hold()
	done := make(chan struct{})
	go func() {
		defer close(done)
		get(t, d.Client(), d.URL+"/held")
	}()
	d.WaitHeld(1)
	if n := d.Held(); n != 1 {
		t.Errorf("Held = %d, want 1", n)
	}
	if s := d.Snapshot()[0].Status; s != 0 {
		t.Errorf("a parked request has status %d, want 0", s)
	}
	d.Close() // releases the parked request, then stops the server
	<-done
	d.Close() // a second Close is harmless
	if _, err := http.Get(d.URL); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestParkGivesUpWithTheClient(t *testing.T) {
	d := start(true)
	defer d.Close()
	d.Hold()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.URL+"/x", nil)
		_, err := d.Client().Do(req)
		done <- err
	}()
	d.WaitHeld(1)
	cancel()
	if err := <-done; err == nil {
		t.Error("a cancelled request got an answer")
	}
	d.Release()
}

// A double embeds Base, starts it with Serve and records each request
// first thing in its handler.
func Example() {
	d := &double{}
	d.URL = d.Serve(http.HandlerFunc(d.serve), true)
	defer d.Close()
	resp, err := d.Client().Get(d.URL + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, d.Calls("/hello"), d.Snapshot())
	// Output: 204 1 [{/hello 204}]
}
