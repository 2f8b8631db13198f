// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// listFilter rewrites the responses to list requests so that a caller sees
// only the items it could use. It buffers application/json bodies and
// parses text/event-stream bodies event by event: only the event carrying
// the list response with a matching id is rewritten; every other event
// passes unchanged, in order, and Flush keeps working. Non-2xx responses
// pass through untouched.
type listFilter struct {
	w  http.ResponseWriter
	r  *http.Request
	m  *Middleware
	ev *evaluation

	status int // 0 until the handler writes the header
	mode   filterMode
	buf    []byte // JSON body, or SSE bytes not yet forming a whole event
	done   map[string]bool
}

type filterMode int

const (
	modeUnset filterMode = iota
	modePass
	modeJSON
	modeSSE
)

var (
	_ http.ResponseWriter = (*listFilter)(nil)
	_ http.Flusher        = (*listFilter)(nil)
)

func (m *Middleware) newListFilter(w http.ResponseWriter, r *http.Request, ev *evaluation) *listFilter {
	return &listFilter{w: w, r: r, m: m, ev: ev}
}

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (f *listFilter) Unwrap() http.ResponseWriter { return f.w }

func (f *listFilter) Header() http.Header { return f.w.Header() }

func (f *listFilter) WriteHeader(status int) {
	if f.status != 0 {
		return
	}
	if status >= 100 && status < 200 {
		f.w.WriteHeader(status)
		return
	}
	f.status = status
	h := f.w.Header()
	if status < 200 || status > 299 {
		f.mode = modePass
		f.w.WriteHeader(status)
		return
	}
	h.Del("Content-Length")
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch mt {
	case "text/event-stream":
		f.mode = modeSSE
		f.w.WriteHeader(status)
	default:
		// application/json, and anything else that might carry a result:
		// buffer and filter when the handler is done.
		f.mode = modeJSON
	}
}

func (f *listFilter) Write(p []byte) (int, error) {
	if f.status == 0 {
		f.WriteHeader(http.StatusOK)
	}
	switch f.mode {
	case modePass:
		return f.w.Write(p)
	case modeJSON:
		f.buf = append(f.buf, p...)
		return len(p), nil
	default:
		f.buf = append(f.buf, p...)
		if err := f.drainEvents(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
}

// Flush writes every complete SSE event and flushes the wrapped writer. A
// buffered JSON body is written only when the handler returns.
func (f *listFilter) Flush() {
	if f.mode == modeSSE {
		_ = f.drainEvents()
	}
	if f.mode == modeJSON {
		return
	}
	if f.status == 0 {
		// Nothing written yet: flushing would commit a 200 before the
		// handler chose its status.
		return
	}
	http.NewResponseController(f.w).Flush()
}

// finish writes what is still buffered once the handler has returned.
func (f *listFilter) finish() {
	switch f.mode {
	case modeJSON:
		body := f.buf
		if out, ok := f.filterMessage(body); ok {
			body = out
		}
		f.w.WriteHeader(f.status)
		_, _ = f.w.Write(body)
	case modeSSE:
		_ = f.drainEvents()
		if len(f.buf) > 0 {
			_, _ = f.w.Write(f.buf)
			f.buf = nil
		}
	}
}

// drainEvents writes every complete event in f.buf, rewriting the list
// response events.
func (f *listFilter) drainEvents() error {
	for {
		end, next := eventEnd(f.buf)
		if end < 0 {
			return nil
		}
		event := f.buf[:next]
		out := f.rewriteEvent(event, f.buf[:end])
		if _, err := f.w.Write(out); err != nil {
			return err
		}
		f.buf = f.buf[next:]
	}
}

// eventEnd finds the first blank line ending an SSE event in b. It returns
// the end of the event's last field line and the index after the blank
// line, or -1.
func eventEnd(b []byte) (end, next int) {
	lineStart := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\n' && c != '\r' {
			continue
		}
		eol := i
		if c == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		} else if c == '\r' && i+1 == len(b) {
			// A trailing CR may be the first half of CRLF: wait.
			return -1, -1
		}
		if eol == lineStart {
			return lineStart, i + 1
		}
		lineStart = i + 1
	}
	return -1, -1
}

// rewriteEvent returns the bytes to send for one event: the event itself,
// or, when its data is the response to a filtered list request, the event
// with that data replaced.
func (f *listFilter) rewriteEvent(event, fields []byte) []byte {
	var data []byte
	nData := 0
	for _, line := range splitLines(fields) {
		if bytes.HasPrefix(line, []byte("data")) {
			v, ok := fieldValue(line, "data")
			if !ok {
				continue
			}
			if nData > 0 {
				data = append(data, '\n')
			}
			data = append(data, v...)
			nData++
		}
	}
	if nData == 0 {
		return event
	}
	out, ok := f.filterMessage(data)
	if !ok {
		return event
	}
	var b bytes.Buffer
	wrote := false
	for _, line := range splitLines(fields) {
		if _, ok := fieldValue(line, "data"); ok {
			if !wrote {
				b.WriteString("data: ")
				b.Write(out)
				b.WriteByte('\n')
				wrote = true
			}
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func splitLines(b []byte) [][]byte {
	var lines [][]byte
	start := 0
	for i := 0; i < len(b); i++ {
		if b[i] == '\n' || b[i] == '\r' {
			lines = append(lines, b[start:i])
			if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(b) {
		lines = append(lines, b[start:])
	}
	return lines
}

// fieldValue returns the value of an SSE field line named name.
func fieldValue(line []byte, name string) ([]byte, bool) {
	if !bytes.HasPrefix(line, []byte(name)) {
		return nil, false
	}
	rest := line[len(name):]
	if len(rest) == 0 {
		return rest, true
	}
	if rest[0] != ':' {
		return nil, false
	}
	rest = rest[1:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	return rest, true
}

// listResponse is the part of a JSON-RPC response the filter reads.
type listResponse struct {
	JSONRPC string                     `json:"jsonrpc"`
	ID      json.RawMessage            `json:"id"`
	Result  map[string]json.RawMessage `json:"result"`
}

// listItem holds the identifying members of a listed item.
type listItem struct {
	Name        string `json:"name"`
	URI         string `json:"uri"`
	URITemplate string `json:"uriTemplate"`
}

// filterMessage filters msg when it is the successful response to one of
// the request's list calls. It returns the rewritten message and true, or
// false to send msg unchanged.
func (f *listFilter) filterMessage(msg []byte) ([]byte, bool) {
	msg = bytes.TrimPrefix(msg, []byte("\xef\xbb\xbf"))
	var resp listResponse
	if err := json.Unmarshal(msg, &resp); err != nil || resp.ID == nil || resp.Result == nil {
		return nil, false
	}
	id := canonicalID(resp.ID)
	method, ok := f.ev.lists[id]
	if !ok && !f.ev.batch && len(f.ev.lists) == 1 {
		// A single request's stream carries responses to that request
		// only, so the one response is the list response whatever its id
		// looks like.
		for k, v := range f.ev.lists {
			id, method, ok = k, v, true
		}
	}
	if !ok || f.done[id] {
		return nil, false
	}
	if f.done == nil {
		f.done = make(map[string]bool, 1)
	}
	f.done[id] = true

	member, itemMethod := listMember(method)
	raw, ok := resp.Result[member]
	if !ok {
		return nil, false
	}
	// Options.OnToolsList sees the result as the server sent it.
	f.m.observeTools(f.r, method, raw)
	if !f.m.filtering {
		return nil, false
	}
	var items []listedItem
	if err := json.Unmarshal(raw, &items); err != nil {
		// A list we cannot read is not shown.
		return f.filterFailure(resp.ID, "list result could not be read")
	}
	checks := make([]Check, 0, len(items))
	idx := make([]int, 0, len(items))
	req := new(Request)
	for i := range items {
		li := &items[i].item
		*req = Request{
			HTTP:       f.r,
			Method:     itemMethod,
			Identity:   f.ev.identity,
			Tenant:     f.ev.tenant,
			ListMethod: method,
		}
		switch method {
		case MethodToolsList, MethodPromptsList:
			req.Name = li.Name
		case MethodResourcesList:
			req.URI = li.URI
		case MethodResourcesTemplatesList:
			req.URI = li.URITemplate
		}
		if req.Name == "" && req.URI == "" {
			continue
		}
		if method == MethodToolsList && f.m.public[li.Name] {
			checks = append(checks, Check{})
			idx = append(idx, -1-i)
			continue
		}
		var (
			c   *Check
			ok  bool
			err error
		)
		if f.m.builtin {
			checks = append(checks, Check{})
			c, ok, err = f.m.mapper.mapInto(f.r.Context(), &checks[len(checks)-1], req)
			if err != nil || !ok || c == nil {
				checks = checks[:len(checks)-1]
				continue
			}
		} else {
			c, ok, err = f.m.mapping(f.r.Context(), req)
			if err != nil || !ok || c == nil {
				continue
			}
			checks = append(checks, *c)
		}
		idx = append(idx, i)
	}
	// Public tools need no check; decide the others in one bulk call.
	var real []Check
	var realPos []int
	for j := range checks {
		if idx[j] >= 0 {
			real = append(real, checks[j])
			realPos = append(realPos, j)
		}
	}
	keep := make([]bool, len(items))
	for j := range idx {
		if idx[j] < 0 {
			keep[-1-idx[j]] = true
		}
	}
	start := time.Now()
	if len(real) > 0 {
		allowed, err := f.m.cache.decideBulk(f.r.Context(), f.m.authz, real, f.ev.identity)
		if err != nil {
			f.m.logger.LogAttrs(f.r.Context(), slog.LevelError, "mcpauth: list filtering failed",
				slog.String("method", method), slog.String("error", err.Error()))
			return f.filterFailure(resp.ID, "authorization system error")
		}
		for k, ok := range allowed {
			if ok {
				keep[idx[realPos[k]]] = true
			}
		}
	}
	nkept := 0
	for _, k := range keep {
		if k {
			nkept++
		}
	}
	kept := nkept
	if !f.m.opts.DisableAudit && f.m.logger.Enabled(f.r.Context(), slog.LevelInfo) {
		user := ""
		if f.ev.identity != nil {
			user = f.ev.identity.User.Key
		}
		f.m.logger.LogAttrs(f.r.Context(), slog.LevelInfo, "mcpauth list filtered",
			slog.String("user", user), slog.String("tenant", f.ev.tenant), slog.String("method", method),
			slog.Int("items", len(items)), slog.Int("kept", kept), slog.Duration("latency", time.Since(start)))
	}
	return encodeListResponse(&resp, member, items, keep), true
}

// listedItem is one element of a list result: its bytes and the members
// that identify it. An element that is not an object keeps a zero item and
// is never listed.
type listedItem struct {
	raw  []byte
	item listItem
}

func (it *listedItem) UnmarshalJSON(b []byte) error {
	it.raw = append([]byte(nil), b...)
	_ = json.Unmarshal(b, &it.item)
	return nil
}

// encodeListResponse writes resp with result[member] replaced by the kept
// items. Every value written comes from a decoded (so valid) message, which
// spares re-validating them as json.Marshal of RawMessage values would.
func encodeListResponse(resp *listResponse, member string, items []listedItem, keep []bool) []byte {
	size := len(resp.ID) + 64
	for _, v := range resp.Result {
		size += len(v) + 16
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	b.WriteString(`{"jsonrpc":"2.0","id":`)
	b.Write(resp.ID)
	b.WriteString(`,"result":{`)
	keys := make([]string, 0, len(resp.Result))
	for k := range resp.Result {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		b.Write(name)
		b.WriteByte(':')
		if k != member {
			b.Write(resp.Result[k])
			continue
		}
		b.WriteByte('[')
		first := true
		for j := range items {
			if !keep[j] {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.Write(items[j].raw)
		}
		b.WriteByte(']')
	}
	b.WriteString("}}")
	return b.Bytes()
}

// filterFailure replaces a list response that could not be filtered with a
// JSON-RPC error: failing closed means showing nothing.
func (f *listFilter) filterFailure(id json.RawMessage, reason string) ([]byte, bool) {
	e := &rpcError{Code: CodeInternalError, Message: "Internal error"}
	if f.m.opts.Deny.ExposeReason {
		e.Data = reason
	}
	out, err := json.Marshal(rpcResponse{JSONRPC: "2.0", ID: id, Error: e})
	if err != nil {
		return nil, false
	}
	return out, true
}

// listMember returns the result member holding a list method's items and
// the method each item is checked as.
func listMember(method string) (member, itemMethod string) {
	switch method {
	case MethodToolsList:
		return "tools", MethodToolsCall
	case MethodPromptsList:
		return "prompts", MethodPromptsGet
	case MethodResourcesList:
		return "resources", MethodResourcesRead
	default:
		return "resourceTemplates", MethodResourcesRead
	}
}

// canonicalID returns a form of a JSON-RPC id under which a request's id
// and the server's echo of it compare equal: strings by value, numbers by
// numeric value (a server may echo 1.0 as 1).
func canonicalID(id json.RawMessage) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(id))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "raw:" + string(id)
	}
	switch v := v.(type) {
	case string:
		return "s:" + v
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return "n:" + strconv.FormatFloat(f, 'g', -1, 64)
		}
		return "n:" + string(v)
	case nil:
		return "null"
	}
	return "raw:" + string(id)
}
