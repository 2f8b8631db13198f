// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/internal/jsonrpc"
	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// listFilter rewrites the responses to list requests so that a caller sees
// only the items it could use. An application/json body is filtered when
// it is whole: straight from the handler's bytes when it writes the body at
// once (as servers do), from a buffer when it writes it in pieces. A
// text/event-stream body is parsed event by event: only an event carrying
// a list response of the request is rewritten; every other event passes
// unchanged, in order, and Flush keeps working. Non-2xx responses pass
// through untouched.
//
// A list response is rewritten in place: the scanner (internal/jsonrpc
// ScanList) finds each item's byte range and identifying member, the
// decisions come from the cache (or one bulk call for the items it cannot
// answer), and the output is the server's bytes without the ranges of the
// hidden items, with the result's cacheScope set to "private". Nothing is
// decoded into Go values or encoded again.
type listFilter struct {
	w  http.ResponseWriter
	r  *http.Request
	m  *Middleware
	ev *evaluation

	status int // 0 until the handler writes the header
	mode   filterMode
	buf    []byte // JSON body, or SSE bytes not yet forming a whole event
	hint   int    // the handler's Content-Length, to size buf
	scan   int    // SSE: where the search for the end of the event in buf resumes
	sc     *listScratch
}

type filterMode int

const (
	modeUnset filterMode = iota
	modePass
	modeJSON
	modeSSE
	modeDone // a JSON body has been written
)

var (
	_ http.ResponseWriter = (*listFilter)(nil)
	_ http.Flusher        = (*listFilter)(nil)
)

// maxBodyHint caps the buffer preallocated from a handler's Content-Length.
const maxBodyHint = 64 << 20

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
	if n, err := strconv.Atoi(h.Get("Content-Length")); err == nil && n > 0 && n <= maxBodyHint {
		f.hint = n
	}
	h.Del("Content-Length")
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch mt {
	case "text/event-stream":
		f.mode = modeSSE
		f.m.privateHeaders(h)
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
		if len(f.buf) == 0 {
			if f.writeWhole(p) {
				return len(p), nil
			}
			if f.hint > len(p) {
				f.buf = make([]byte, 0, f.hint)
			}
		}
		f.buf = appendDoubling(f.buf, p)
		return len(p), nil
	case modeDone:
		if len(bytes.TrimSpace(p)) == 0 {
			return len(p), nil
		}
		return 0, errAfterBody
	default:
		if err := f.writeSSE(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
}

// Flush flushes the wrapped writer; every complete SSE event has been
// written by then. A buffered JSON body is written only when the handler
// returns.
func (f *listFilter) Flush() {
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

// errAfterBody is returned for bytes a handler writes after a complete
// JSON body: they would make the body invalid, and the filtered body has
// been sent.
var errAfterBody = errors.New("mcpauth: response body continues after its JSON value")

// writeWhole filters and writes p when it is a whole JSON body, as
// servers write one (the go-sdk in a single Write): the body is filtered
// straight from the handler's bytes, without a copy, and sent at once.
// It reports false, with nothing written, when p is not a whole body yet.
func (f *listFilter) writeWhole(p []byte) bool {
	end := len(p)
	for end > 0 && isSpaceByte(p[end-1]) {
		end--
	}
	if end == 0 || (p[end-1] != '}' && p[end-1] != ']') {
		return false
	}
	sc := f.scratch()
	spans, _, ok := jsonrpc.Messages(p, sc.spans[:0])
	sc.spans = spans[:0]
	if !ok {
		return false
	}
	f.writeJSON(p, f.filterSpans(p, spans))
	f.mode = modeDone
	return true
}

// writeJSON writes a JSON body with edits applied, with its headers.
func (f *listFilter) writeJSON(body []byte, edits []edit) {
	h := f.w.Header()
	f.m.privateHeaders(h)
	if n := editedLen(body, edits); f.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(n))
	}
	f.w.WriteHeader(f.status)
	_ = writeEdited(f.w, body, edits)
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// finish writes what is still buffered once the handler has returned.
func (f *listFilter) finish() {
	defer f.release()
	switch f.mode {
	case modeJSON:
		f.writeJSON(f.buf, f.filterData(f.buf))
	case modeSSE:
		if len(f.buf) > 0 {
			// An event the stream ended in, without its blank line: clients
			// should drop it, but it is filtered like any other in case one
			// does not.
			fields := f.buf
			if end, _, _ := eventEnd(fields, 0); end >= 0 {
				fields = fields[:end]
			}
			_ = f.writeEvent(f.buf, fields, f.eventEdits(fields))
			f.buf = nil
		}
	}
}

// listScratch holds the per-response working memory of a filter, reused
// across responses.
type listScratch struct {
	spans   []jsonrpc.Span
	items   []jsonrpc.ListItem
	keep    []bool
	missIdx []int
	keys    []cacheKey
	edits   []edit
	ik      itemKeys
	names   toolSet
}

var listScratches = sync.Pool{New: func() any { return new(listScratch) }}

// maxPooledItems bounds the lists whose scratch memory is kept for reuse.
const maxPooledItems = 1 << 14

func (f *listFilter) scratch() *listScratch {
	if f.sc == nil {
		f.sc = listScratches.Get().(*listScratch)
	}
	return f.sc
}

func (f *listFilter) release() {
	sc := f.sc
	if sc == nil {
		return
	}
	f.sc = nil
	if cap(sc.items) > maxPooledItems || cap(sc.edits) > maxPooledItems || cap(sc.ik.kw.buf) > 64<<10 {
		return
	}
	clear(sc.items[:cap(sc.items)]) // drop the references into the body
	sc.items, sc.edits = sc.items[:0], sc.edits[:0]
	listScratches.Put(sc)
}

// edit replaces data[start:end] with repl (nothing, to delete).
type edit struct {
	start, end int
	repl       []byte
}

// editedLen is the length of b after edits.
func editedLen(b []byte, edits []edit) int {
	n := len(b)
	for _, e := range edits {
		n += len(e.repl) - (e.end - e.start)
	}
	return n
}

// writeEdited writes b with edits (sorted, not overlapping) applied.
func writeEdited(w io.Writer, b []byte, edits []edit) error {
	pos := 0
	for _, e := range edits {
		if e.start > pos {
			if _, err := w.Write(b[pos:e.start]); err != nil {
				return err
			}
		}
		if len(e.repl) > 0 {
			if _, err := w.Write(e.repl); err != nil {
				return err
			}
		}
		pos = e.end
	}
	if pos < len(b) {
		if _, err := w.Write(b[pos:]); err != nil {
			return err
		}
	}
	return nil
}

// appendEdited appends b with edits applied to dst.
func appendEdited(dst, b []byte, edits []edit) []byte {
	pos := 0
	for _, e := range edits {
		dst = append(dst, b[pos:e.start]...)
		dst = append(dst, e.repl...)
		pos = e.end
	}
	return append(dst, b[pos:]...)
}

// appendDoubling appends p to buf, at least doubling the capacity when it
// grows: a body written in many pieces costs at most about twice its size
// in allocations (append's own growth, 1.25x for large slices, would
// reallocate many more times).
func appendDoubling(buf, p []byte) []byte {
	if need := len(buf) + len(p); need > cap(buf) && len(buf) > 0 {
		nb := make([]byte, len(buf), max(need, 2*cap(buf)))
		copy(nb, buf)
		buf = nb
	}
	return append(buf, p...)
}

// writeSSE takes p's bytes of an event stream: every complete event is
// written (rewritten when it carries a list response), an incomplete one
// is kept until the rest arrives.
func (f *listFilter) writeSSE(p []byte) error {
	if len(f.buf) == 0 {
		// Whole events are written straight from p; only a trailing
		// incomplete event is copied.
		n, err := f.drain(p, 0)
		if err != nil {
			return err
		}
		if n < len(p) {
			f.buf = appendDoubling(f.buf, p[n:])
		}
		return nil
	}
	f.buf = appendDoubling(f.buf, p)
	n, err := f.drain(f.buf, f.scan)
	if err != nil {
		return err
	}
	if n > 0 {
		f.buf = f.buf[:copy(f.buf, f.buf[n:])]
	}
	return nil
}

// drain writes the complete events at the start of b and returns how many
// bytes they took; the search for the first event's end starts at from (a
// line start). f.scan is left where the search resumes in the rest.
func (f *listFilter) drain(b []byte, from int) (int, error) {
	pos := 0     // start of the current event
	pending := 0 // start of the events not yet written
	for {
		end, next, resume := eventEnd(b, from)
		if end < 0 {
			f.scan = resume - pos
			if pending < pos {
				if _, err := f.w.Write(b[pending:pos]); err != nil {
					return 0, err
				}
			}
			return pos, nil
		}
		if ev := f.eventEdits(b[pos:end]); ev.edits != nil {
			if pending < pos {
				if _, err := f.w.Write(b[pending:pos]); err != nil {
					return 0, err
				}
			}
			if err := f.writeEvent(b[pos:next], b[pos:end], ev); err != nil {
				return 0, err
			}
			pending = next
		}
		pos, from = next, next
	}
}

// eventEnd finds the first blank line ending an SSE event in b, searching
// from the line starting at from. It returns the end of the event's last
// field line and the index after the blank line, or -1 and the start of
// the incomplete line where the search can resume once more bytes arrive.
func eventEnd(b []byte, from int) (end, next, resume int) {
	lineStart := from
	i := from
	for i < len(b) {
		rest := b[i:]
		j := bytes.IndexByte(rest, '\n')
		limit := rest
		if j >= 0 {
			limit = rest[:j]
		}
		if k := bytes.IndexByte(limit, '\r'); k >= 0 {
			j = k
		}
		if j < 0 {
			return -1, -1, lineStart
		}
		eol := i + j
		after := eol + 1
		if b[eol] == '\r' {
			if after == len(b) {
				// A trailing CR may be the first half of CRLF: wait.
				return -1, -1, lineStart
			}
			if b[after] == '\n' {
				after++
			}
		}
		if eol == lineStart {
			return lineStart, after, after
		}
		lineStart, i = after, after
	}
	return -1, -1, lineStart
}

// nextLine returns the line starting at b[i] (without its terminator) and
// the index of the next line.
func nextLine(b []byte, i int) (line []byte, next int) {
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '\n':
			return b[i:j], j + 1
		case '\r':
			if j+1 < len(b) && b[j+1] == '\n' {
				return b[i:j], j + 2
			}
			return b[i:j], j + 1
		}
	}
	return b[i:], len(b)
}

// eventEdit is the rewrite of one event's data.
type eventEdit struct {
	data       []byte // the event's data
	start, end int    // data's span in the event when it is one data line; -1 otherwise
	edits      []edit // nil when the event stays as it is
}

// eventEdits returns the rewrite of the event whose field lines are
// fields. data aliases fields when the event has a single data line; the
// values of several data lines are joined by newlines in a new slice.
func (f *listFilter) eventEdits(fields []byte) eventEdit {
	ev := eventEdit{start: -1, end: -1}
	n := 0
	for i := 0; i < len(fields); {
		line, next := nextLine(fields, i)
		if v, ok := fieldValue(line, "data"); ok {
			n++
			switch n {
			case 1:
				ev.data = v
				ev.start = i + (len(line) - len(v))
				ev.end = ev.start + len(v)
			case 2:
				ev.data = append(append(append([]byte(nil), ev.data...), '\n'), v...)
				ev.start, ev.end = -1, -1
			default:
				ev.data = append(append(ev.data, '\n'), v...)
			}
		}
		i = next
	}
	if len(ev.data) > 0 {
		ev.edits = f.filterData(ev.data)
	}
	return ev
}

// writeEvent writes one event (its field lines are fields) with the
// rewrite ev of its data.
func (f *listFilter) writeEvent(event, fields []byte, ev eventEdit) error {
	if ev.edits == nil {
		_, err := f.w.Write(event)
		return err
	}
	if ev.start >= 0 {
		// One data line: the event's own bytes with the value edited.
		if _, err := f.w.Write(event[:ev.start]); err != nil {
			return err
		}
		if err := writeEdited(f.w, ev.data, ev.edits); err != nil {
			return err
		}
		_, err := f.w.Write(event[ev.end:])
		return err
	}
	// Several data lines: the other fields in order, the edited data as
	// data lines where the first one was.
	out := appendEdited(nil, ev.data, ev.edits)
	var b bytes.Buffer
	wrote := false
	for i := 0; i < len(fields); {
		line, next := nextLine(fields, i)
		i = next
		if _, ok := fieldValue(line, "data"); ok {
			if !wrote {
				for _, l := range bytes.Split(out, []byte("\n")) {
					b.WriteString("data: ")
					b.Write(l)
					b.WriteByte('\n')
				}
				wrote = true
			}
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := f.w.Write(b.Bytes())
	return err
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

var bom = []byte("\xef\xbb\xbf")

// filterData returns the edits that filter the list responses of the
// request in data (a JSON body or an event's data): a JSON-RPC message,
// or an array of them. The edits are nil when data holds none. Data that
// is not JSON cannot be vouched for: a lenient reader might still find a
// list in it (a streaming decoder reads the first value and ignores what
// follows), so it is replaced by an error answering the list requests.
func (f *listFilter) filterData(data []byte) []edit {
	off := 0
	if bytes.HasPrefix(data, bom) {
		off = len(bom)
	}
	sub := data[off:]
	if len(bytes.TrimSpace(sub)) == 0 {
		return nil
	}
	sc := f.scratch()
	spans, _, ok := jsonrpc.Messages(sub, sc.spans[:0])
	sc.spans = spans[:0]
	if !ok {
		if !f.m.filtering {
			return nil
		}
		return []edit{{0, len(data), f.unreadableBody()}}
	}
	edits := f.filterSpans(sub, spans)
	for i := range edits {
		edits[i].start += off
		edits[i].end += off
	}
	return edits
}

// filterSpans returns the edits that filter the messages at spans of
// data, which Messages has validated; nil when there are none.
func (f *listFilter) filterSpans(data []byte, spans []jsonrpc.Span) []edit {
	sc := f.scratch()
	edits := sc.edits[:0]
	for _, s := range spans {
		edits = f.filterMessage(data, s, edits)
	}
	sc.edits = edits[:0]
	if len(edits) == 0 {
		return nil
	}
	return edits
}

// filterMessage appends the edits that filter the message at b[s.Start:
// s.End] when it is the successful response to one of the request's list
// calls.
func (f *listFilter) filterMessage(b []byte, s jsonrpc.Span, edits []edit) []edit {
	var (
		method string
		id     json.RawMessage
	)
	listFunc := func(rid []byte) (member, key string, ok bool) {
		if method, id, ok = f.listOf(rid); !ok {
			return "", "", false
		}
		member, _ = listMember(method)
		return member, itemKeyMember(method), true
	}
	sc := f.scratch()
	r := jsonrpc.ScanResponse(b, s, listFunc, sc.items)
	if r.Listed {
		sc.items = r.List.Items[:0]
	}
	if !f.m.filtering {
		// Only watched for Options.OnToolsList: what it cannot read as a
		// list passes unchanged and unreported.
		if l := &r.List; r.Listed && !r.Ambiguous && !l.Ambiguous && l.Found && method == MethodToolsList {
			f.m.reportToolsList(f.r, b, l.Items)
		}
		return edits
	}
	if r.Ambiguous {
		// Readers could disagree on which member is the result or the id:
		// refuse it if it could be a list response of the request.
		if method == "" {
			var ok bool
			if method, id, ok = f.listOf(r.ID); !ok {
				return edits
			}
		}
		return append(edits, edit{s.Start, s.End, f.filterFailure(id, "list response is ambiguous")})
	}
	if !r.Listed {
		return edits
	}
	l := &r.List
	if l.Ambiguous {
		return append(edits, edit{s.Start, s.End, f.filterFailure(id, "list result could not be read")})
	}
	if !l.Found {
		return edits
	}
	// Options.OnToolsList sees the result as the server sent it.
	if method == MethodToolsList && f.m.opts.OnToolsList != nil {
		f.m.reportToolsList(f.r, b, l.Items)
	}
	_, itemMethod := listMember(method)
	start := time.Now()
	keep, err := f.decide(method, itemMethod, l.Items)
	if err != nil {
		f.m.logger.LogAttrs(f.r.Context(), slog.LevelError, "mcpauth: list filtering failed",
			slog.String("method", method), slog.String("error", err.Error()))
		return append(edits, edit{s.Start, s.End, f.filterFailure(id, "authorization system error")})
	}
	first := len(edits)
	// The result differs per caller: say so (MCP 2026-07-28 cacheScope,
	// "public" when absent). Found means the result has a member, so the
	// inserted one is followed by a comma.
	if len(l.Scopes) == 0 {
		edits = append(edits, edit{l.Open, l.Open, privateScopeMember})
	}
	for _, sp := range l.Scopes {
		edits = append(edits, edit{sp.Start, sp.End, privateScope})
	}
	edits = appendDeletions(edits, l.Items, keep)
	f.m.tel.listed(f.r.Context(), method, keep)
	slices.SortFunc(edits[first:], func(a, b edit) int { return a.start - b.start })

	if !f.m.opts.DisableAudit && f.m.logger.Enabled(f.r.Context(), slog.LevelInfo) {
		kept := 0
		for _, k := range keep {
			if k {
				kept++
			}
		}
		user := ""
		if f.ev.identity != nil {
			user = f.ev.identity.User.Key
		}
		f.m.logger.LogAttrs(f.r.Context(), slog.LevelInfo, "mcpauth list filtered",
			slog.String("user", user), slog.String("tenant", f.ev.tenant), slog.String("method", method),
			slog.Int("items", len(l.Items)), slog.Int("kept", kept), slog.Duration("latency", time.Since(start)))
	}
	return edits
}

var (
	privateScope       = []byte(`"private"`)
	privateScopeMember = []byte(`"cacheScope":"private",`)
)

// appendDeletions appends the edits that remove the items not kept from
// their array, with the separators that go with them.
func appendDeletions(edits []edit, items []jsonrpc.ListItem, keep []bool) []edit {
	first := slices.Index(keep, true)
	switch {
	case len(items) == 0:
		return edits
	case first < 0:
		return append(edits, edit{items[0].Start, items[len(items)-1].End, nil})
	case first > 0:
		// The items before the first kept one, with the separators after
		// them.
		edits = append(edits, edit{items[0].Start, items[first].Start, nil})
	}
	for i := first + 1; i < len(items); i++ {
		if keep[i] {
			continue
		}
		// The separator before the item, and the item.
		start, end := items[i-1].End, items[i].End
		if n := len(edits); n > 0 && edits[n-1].end == start && edits[n-1].repl == nil {
			edits[n-1].end = end
			continue
		}
		edits = append(edits, edit{start, end, nil})
	}
	return edits
}

// listOf returns the list method a response with the raw id answers, and
// the id to answer with.
func (f *listFilter) listOf(id []byte) (method string, reqID json.RawMessage, ok bool) {
	if id != nil && string(id) != "null" {
		if method, ok := f.ev.lists[canonicalID(id)]; ok {
			return method, id, true
		}
	}
	if !f.ev.batch && len(f.ev.lists) == 1 {
		// A single request's stream carries responses to that request
		// only, so the one response is the list response whatever its id
		// looks like.
		for k, v := range f.ev.lists {
			if id == nil || string(id) == "null" {
				id = rawID(k)
			}
			return v, id, true
		}
	}
	return "", nil, false
}

// decide returns which items the caller may see.
func (f *listFilter) decide(method, itemMethod string, items []jsonrpc.ListItem) ([]bool, error) {
	sc := f.scratch()
	keep := slices.Grow(sc.keep[:0], len(items))[:len(items)]
	clear(keep)
	sc.keep = keep
	if f.m.builtin {
		if method == MethodToolsList {
			f.m.observeTools(f.r.Context(), &sc.names, items)
		}
		return keep, f.decideBuiltin(method, itemMethod, items, keep)
	}
	// A custom mapping: map every item, then decide the checks.
	checks := make([]Check, 0, len(items))
	idx := make([]int, 0, len(items))
	for i := range items {
		it := &items[i]
		if !it.OK || len(it.Key) == 0 {
			continue
		}
		if method == MethodToolsList && f.m.public[string(it.Key)] {
			keep[i] = true
			continue
		}
		req := f.itemRequest(method, itemMethod, it.Key)
		c, ok, err := f.m.mapping(f.r.Context(), &req)
		if err != nil || !ok || c == nil {
			continue
		}
		checks = append(checks, *c)
		idx = append(idx, i)
	}
	if len(checks) == 0 {
		return keep, nil
	}
	allowed, err := f.m.cache.decideBulk(f.r.Context(), f.m.authz, checks, f.ev.identity)
	if err != nil {
		return nil, err
	}
	for j, ok := range allowed {
		keep[idx[j]] = ok
	}
	return keep, nil
}

// decideBuiltin decides the items under the built-in mapping: each item's
// cache key is computed without building its check, and only the items
// the cache cannot answer are mapped, in one bulk call.
func (f *listFilter) decideBuiltin(method, itemMethod string, items []jsonrpc.ListItem, keep []bool) error {
	sc := f.scratch()
	c := f.m.cache
	ik := &sc.ik
	ik.reset(f.m.mapper, method, f.ev.identity, f.ev.tenant)
	missIdx, keys := sc.missIdx[:0], sc.keys[:0]
	now := c.now().UnixNano()
	var hits uint64
	for i := range items {
		it := &items[i]
		if !it.OK || len(it.Key) == 0 {
			continue
		}
		if method == MethodToolsList && f.m.public[string(it.Key)] {
			keep[i] = true
			continue
		}
		var k cacheKey
		ik.key(&k, it.Key)
		if allow, ok := c.lookupAt(&k, now); ok {
			hits++
			keep[i] = allow
			continue
		}
		missIdx = append(missIdx, i)
		keys = append(keys, k)
	}
	sc.missIdx, sc.keys = missIdx[:0], keys[:0]
	c.hits.Add(hits)
	if len(missIdx) == 0 {
		return nil
	}
	c.misses.Add(uint64(len(missIdx)))
	checks := make([]Check, len(missIdx))
	for j, i := range missIdx {
		req := f.itemRequest(method, itemMethod, items[i].Key)
		// The built-in mapping of a list item cannot fail: a tool, prompt
		// or resource with a name or URI always maps.
		if _, _, err := f.m.mapper.mapInto(f.r.Context(), &checks[j], &req); err != nil {
			return err
		}
	}
	allowed, err := c.bulkMiss(f.r.Context(), f.m.authz, checks, keys, f.ev.identity)
	if err != nil {
		return err
	}
	for j, i := range missIdx {
		keep[i] = allowed[j]
	}
	return nil
}

// itemRequest is the synthetic request of a list-time item check.
func (f *listFilter) itemRequest(method, itemMethod string, key []byte) Request {
	req := Request{
		HTTP:       f.r,
		Method:     itemMethod,
		Identity:   f.ev.identity,
		Tenant:     f.ev.tenant,
		ListMethod: method,
	}
	switch method {
	case MethodToolsList, MethodPromptsList:
		req.Name = string(key)
	default:
		req.URI = string(key)
	}
	return req
}

// filterFailure returns the JSON-RPC error that replaces a list response
// that could not be filtered: failing closed means showing nothing.
func (f *listFilter) filterFailure(id json.RawMessage, reason string) []byte {
	e := &rpcError{Code: mcpspec.CodeInternalError, Message: "Internal error"}
	if f.m.opts.Deny.ExposeReason {
		e.Data = reason
	}
	if id == nil {
		id = nullID
	}
	out, err := json.Marshal(rpcResponse{JSONRPC: "2.0", ID: id, Error: e})
	if err != nil {
		return []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error"}}`)
	}
	return out
}

// unreadableBody returns the body that replaces a JSON body that is not
// JSON: an error for each list request.
func (f *listFilter) unreadableBody() []byte {
	const reason = "list response could not be read"
	if !f.ev.batch {
		for k := range f.ev.lists {
			return f.filterFailure(rawID(k), reason)
		}
	}
	ids := make([]string, 0, len(f.ev.lists))
	for k := range f.ev.lists {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	b := []byte{'['}
	for i, k := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.filterFailure(rawID(k), reason)...)
	}
	return append(b, ']')
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

// itemKeyMember returns the member that identifies an item of a list.
func itemKeyMember(method string) string {
	switch method {
	case MethodToolsList, MethodPromptsList:
		return "name"
	case MethodResourcesList:
		return "uri"
	default:
		return "uriTemplate"
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

// rawID turns a canonicalID back into a JSON id.
func rawID(canonical string) json.RawMessage {
	switch {
	case len(canonical) >= 2 && canonical[:2] == "s:":
		b, _ := json.Marshal(canonical[2:])
		return b
	case len(canonical) >= 2 && canonical[:2] == "n:":
		return json.RawMessage(canonical[2:])
	case len(canonical) >= 4 && canonical[:4] == "raw:":
		if raw := json.RawMessage(canonical[4:]); json.Valid(raw) {
			return raw
		}
	}
	return nullID
}
