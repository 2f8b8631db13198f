// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// hangGuard bounds each test's exchanges, so that a stream the middleware
// broke fails the test instead of hanging it. It is not a timing check:
// everything here takes milliseconds.
const hangGuard = 30 * time.Second

// boundedContext returns the test's context, cancelled after hangGuard.
func boundedContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// resumableProtocol is the newest protocol version with Last-Event-ID
// resumption and SSE priming events (SEP-1699); 2026-07-28 removed both.
const resumableProtocol = "2025-11-25"

// target is one go-sdk server with an event store, served on loopback bare
// or behind the middleware, with a count of resumption requests.
type target struct {
	name    string
	url     string
	resumes *atomic.Int64 // GETs carrying Last-Event-ID
	authz   *allowAll     // nil when bare
}

// newTargets returns the same server twice: bare and behind the middleware
// with default options (fixed identity) and an authorizer that allows all.
func newTargets(t *testing.T) []*target {
	t.Helper()
	authz := &allowAll{}
	mw, err := mcpauth.New(authz, nil)
	if err != nil {
		t.Fatal(err)
	}
	bare := newTarget(t, "bare", func(h http.Handler) http.Handler { return h })
	wrapped := newTarget(t, "wrapped", mw.Handler)
	wrapped.authz = authz
	return []*target{bare, wrapped}
}

func newTarget(t *testing.T, name string, wrap func(http.Handler) http.Handler) *target {
	server := newStreamServer()
	h := wrap(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{EventStore: mcp.NewMemoryEventStore(nil)}))
	resumes := &atomic.Int64{}
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Last-Event-ID") != "" {
			resumes.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	return &target{name: name, url: url + "/mcp", resumes: resumes}
}

// newStreamServer returns a go-sdk server whose tool "interrupted" sends a
// progress notification, closes its SSE stream (asking the client to come
// back after 1 ms), sends another notification and returns: the client gets
// the rest only by resuming the stream with Last-Event-ID.
func newStreamServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "streams", Version: "1.0.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "interrupted", Description: "closes its stream halfway"},
		func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			extra := req.GetExtra()
			if extra == nil || extra.CloseSSEStream == nil {
				return nil, nil, errors.New("no SSE stream to close")
			}
			notify := func(progress float64, msg string) error {
				tok := req.Params.GetProgressToken()
				if tok == nil {
					return nil
				}
				return req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
					ProgressToken: tok, Progress: progress, Total: 2, Message: msg,
				})
			}
			if err := notify(1, "before the stream closed"); err != nil {
				return nil, nil, err
			}
			extra.CloseSSEStream(mcp.CloseSSEStreamArgs{RetryAfter: time.Millisecond})
			// Undeliverable until the client resumes: kept in the event store.
			notify(2, "after the stream closed")
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "resumed"}}}, nil, nil
		})
	return s
}

// TestSSEResumptionGoSDKClient calls a tool whose SSE stream the server
// closes halfway, with the go-sdk client speaking 2025-11-25: the client
// reconnects with GET and Last-Event-ID and gets the rest of the stream.
// Behind the middleware it must get exactly what it gets bare.
func TestSSEResumptionGoSDKClient(t *testing.T) {
	type got struct {
		Protocol string
		Result   string
		Progress []string
		Resumed  bool
	}
	var results []got
	targets := newTargets(t)
	for _, tg := range targets {
		ctx := boundedContext(t)
		progress := make(chan string, 2)
		client := mcp.NewClient(&mcp.Implementation{Name: "resume-client", Version: "1.0.0"}, &mcp.ClientOptions{
			ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
				progress <- req.Params.Message
			},
		})
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: tg.url},
			&mcp.ClientSessionOptions{ProtocolVersion: resumableProtocol})
		if err != nil {
			t.Fatalf("%s: connect: %v", tg.name, err)
		}
		t.Cleanup(func() { cs.Close() })
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "interrupted", Meta: mcp.Meta{"progressToken": "p"}})
		if err != nil {
			t.Fatalf("%s: tools/call: %v", tg.name, err)
		}
		g := got{Protocol: cs.InitializeResult().ProtocolVersion, Resumed: tg.resumes.Load() > 0}
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				g.Result += tc.Text
			}
		}
		// Notification handlers may run after the call returns.
		for range 2 {
			select {
			case m := <-progress:
				g.Progress = append(g.Progress, m)
			case <-ctx.Done():
				t.Fatalf("%s: progress so far %v: %v", tg.name, g.Progress, ctx.Err())
			}
		}
		slices.Sort(g.Progress)
		results = append(results, g)
	}

	want := got{
		Protocol: resumableProtocol,
		Result:   "resumed",
		Progress: []string{"after the stream closed", "before the stream closed"},
		Resumed:  true,
	}
	if diff := cmp.Diff(want, results[0]); diff != "" {
		t.Errorf("bare (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(results[0], results[1]); diff != "" {
		t.Errorf("behind the middleware differs from bare (-bare +wrapped):\n%s", diff)
	}
	if n := targets[1].authz.checks.Load(); n == 0 {
		t.Errorf("the middleware's authorizer saw no check")
	}
}

// TestSSEResumptionRawHTTP replays the same exchange as raw HTTP, to see
// what the client library hides: the priming event (an id and no data)
// that opens each POST stream, the close event with its retry field, and
// the resumed GET with Last-Event-ID, event ids included.
func TestSSEResumptionRawHTTP(t *testing.T) {
	var transcripts [][]exchange
	for _, tg := range newTargets(t) {
		c := &rawClient{t: t, ctx: boundedContext(t), url: tg.url, protocol: resumableProtocol}
		var tr []exchange
		tr = append(tr, c.post("initialize", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+resumableProtocol+`","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`))
		tr = append(tr, c.post("notifications/initialized", `{"jsonrpc":"2.0","method":"notifications/initialized"}`))
		call := c.post("tools/call", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"interrupted","arguments":{},"_meta":{"progressToken":"p"}}}`)
		tr = append(tr, call)
		// The stream ended (the server closed it): resume after the last
		// event received.
		last := ""
		for _, e := range call.Events {
			if e.ID != "" {
				last = c.rawIDs[e.ID]
			}
		}
		if last == "" {
			t.Fatalf("%s: the tools/call stream had no event id to resume from: %+v", tg.name, call)
		}
		tr = append(tr, c.get("resume", last))
		transcripts = append(transcripts, tr)
	}

	// What the go-sdk server sends bare, as SEP-1699 describes it.
	bare := transcripts[0]
	call, resume := bare[2], bare[3]
	if len(call.Events) == 0 || call.Events[0].ID == "" || call.Events[0].Data != nil {
		t.Errorf("bare tools/call stream does not open with a priming event (an id, no data): %+v", call.Events)
	}
	if n := len(call.Events); n == 0 || call.Events[n-1].Retry != "1" {
		t.Errorf("bare tools/call stream does not end with a retry of 1 ms: %+v", call.Events)
	}
	if resume.Status != http.StatusOK || !hasResult(resume.Events, 2) {
		t.Errorf("bare resumed GET did not deliver the tools/call result: %+v", resume)
	}
	if diff := cmp.Diff(transcripts[0], transcripts[1]); diff != "" {
		t.Errorf("behind the middleware differs from bare (-bare +wrapped):\n%s", diff)
	}
}

// TestProtocolVersionNegotiation sends initialize with each protocol version
// the go-sdk supports, and with versions it does not, raw and through the
// go-sdk client: the middleware must not change what is negotiated.
func TestProtocolVersionNegotiation(t *testing.T) {
	versions := append(mcp.SupportedProtocolVersions(), "2024-01-01", "2099-12-31", "")
	targets := newTargets(t)

	t.Run("raw", func(t *testing.T) {
		for _, v := range versions {
			var got [][]exchange
			for _, tg := range targets {
				c := &rawClient{t: t, ctx: boundedContext(t), url: tg.url, protocol: v}
				ex := c.post("initialize", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+v+`","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
				got = append(got, []exchange{ex})
			}
			if got[0][0].Status != http.StatusOK {
				t.Errorf("initialize %q bare: status %d", v, got[0][0].Status)
			}
			if diff := cmp.Diff(got[0], got[1]); diff != "" {
				t.Errorf("initialize %q behind the middleware differs from bare (-bare +wrapped):\n%s", v, diff)
			}
		}
	})

	t.Run("go-sdk client", func(t *testing.T) {
		type session struct {
			Protocol, Server string
			Err              bool
			Tools            []string
		}
		for _, v := range mcp.SupportedProtocolVersions() {
			var got []session
			for _, tg := range targets {
				ctx := boundedContext(t)
				client := mcp.NewClient(&mcp.Implementation{Name: "version-client", Version: "1.0.0"}, nil)
				cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: tg.url},
					&mcp.ClientSessionOptions{ProtocolVersion: v})
				if err != nil {
					got = append(got, session{Err: true})
					t.Logf("%s: connect with %s: %v", tg.name, v, err)
					continue
				}
				init := cs.InitializeResult()
				s := session{Protocol: init.ProtocolVersion, Server: init.ServerInfo.Name}
				lt, err := cs.ListTools(ctx, nil)
				if err != nil {
					t.Errorf("%s: tools/list with %s: %v", tg.name, v, err)
				} else {
					for _, tool := range lt.Tools {
						s.Tools = append(s.Tools, tool.Name)
					}
				}
				cs.Close()
				got = append(got, s)
			}
			if got[0].Err || got[0].Protocol == "" {
				t.Errorf("bare connect with %s failed: %+v", v, got[0])
			}
			if diff := cmp.Diff(got[0], got[1]); diff != "" {
				t.Errorf("connect with %s behind the middleware differs from bare (-bare +wrapped):\n%s", v, diff)
			}
		}
	})
}

// exchange is one HTTP request and its response, with what varies from run
// to run (session and stream ids) replaced by stable names.
type exchange struct {
	Request     string
	Status      int
	ContentType string
	SessionID   bool
	Body        any     // a JSON body, decoded
	Events      []event // an SSE body
}

// event is one server-sent event; Data is decoded JSON (nil when empty).
type event struct {
	Name, ID, Retry string
	Data            any
}

func hasResult(events []event, id float64) bool {
	for _, e := range events {
		if m, ok := e.Data.(map[string]any); ok && m["id"] == id && m["result"] != nil {
			return true
		}
	}
	return false
}

// rawClient speaks Streamable HTTP by hand.
type rawClient struct {
	t         *testing.T
	ctx       context.Context
	url       string
	protocol  string
	sessionID string
	// streams names each stream id in order of appearance; rawIDs maps a
	// normalized event id back to the one the server sent.
	streams map[string]string
	rawIDs  map[string]string
}

func (c *rawClient) post(name, body string) exchange {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do("POST "+name, req)
}

func (c *rawClient) get(name, lastEventID string) exchange {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, c.url, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Last-Event-ID", lastEventID)
	return c.do("GET "+name, req)
}

// do sends req and reads the whole response: an SSE body until the server
// ends it.
func (c *rawClient) do(name string, req *http.Request) exchange {
	c.t.Helper()
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.sessionID != "" {
		req.Header.Set("Mcp-Session-Id", c.sessionID)
		req.Header.Set("Mcp-Protocol-Version", c.protocol)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	defer resp.Body.Close()
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
		c.sessionID = sid
	}
	ex := exchange{
		Request:     name,
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		SessionID:   resp.Header.Get("Mcp-Session-Id") != "",
	}
	if strings.HasPrefix(ex.ContentType, "text/event-stream") {
		ex.Events = c.readEvents(name, resp.Body)
		return ex
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s: reading body: %v", name, err)
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if json.Unmarshal(b, &ex.Body) != nil {
			ex.Body = string(b)
		}
	}
	return ex
}

// readEvents parses an SSE body (the subset the go-sdk writes: event, id,
// retry and data fields, comments) until it ends.
func (c *rawClient) readEvents(name string, r io.Reader) []event {
	var events []event
	var cur event
	var data []string
	started := false
	flush := func() {
		if !started {
			return
		}
		if len(data) > 0 {
			raw := strings.Join(data, "\n")
			if json.Unmarshal([]byte(raw), &cur.Data) != nil {
				cur.Data = raw
			}
		}
		events = append(events, cur)
		cur, data, started = event{}, nil, false
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment, such as the go-sdk's ": ok" on GET streams
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		started = true
		switch field {
		case "event":
			cur.Name = value
		case "id":
			cur.ID = c.normalizeID(value)
		case "retry":
			cur.Retry = value
		case "data":
			if value != "" {
				data = append(data, value)
			}
		default:
			c.t.Errorf("%s: unexpected SSE field %q", name, line)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		c.t.Fatalf("%s: reading the stream: %v", name, err)
	}
	return events
}

// normalizeID replaces the random stream part of a go-sdk event id
// ("<stream>_<index>") by the stream's order of appearance.
func (c *rawClient) normalizeID(id string) string {
	if c.streams == nil {
		c.streams, c.rawIDs = make(map[string]string), make(map[string]string)
	}
	stream, index, ok := strings.Cut(id, "_")
	if !ok {
		return id
	}
	name, seen := c.streams[stream]
	if !seen {
		name = fmt.Sprintf("stream%d", len(c.streams)+1)
		c.streams[stream] = name
	}
	norm := name + "_" + index
	c.rawIDs[norm] = id
	return norm
}
