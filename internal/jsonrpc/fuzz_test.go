// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	sdkjsonrpc "github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// execution is what a go-sdk server handler received: the method and the
// params after the server decoded them.
type execution struct {
	Method, Name, URI        string
	Args                     any // tools/call: arguments as encoding/json decodes them; prompts/get: map[string]string
	HasRef                   bool
	RefType, RefName, RefURI string
}

// sdkServer is a real go-sdk MCP server on an in-memory transport. Its
// receiving middleware records the decoded params of the methods the
// authorization middleware reads params for, and answers them with an
// error instead of running anything.
type sdkServer struct {
	conn   mcp.Connection
	nextID int64

	mu  sync.Mutex
	rec *execution
}

func startSDKServer(tb testing.TB) *sdkServer {
	tb.Helper()
	s := &sdkServer{}
	server := mcp.NewServer(&mcp.Implementation{Name: "fuzz", Version: "v0.0.1"}, nil)
	server.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			e := &execution{Method: method}
			switch p := req.GetParams().(type) {
			case *mcp.CallToolParamsRaw:
				e.Name = p.Name
				e.Args = stdlibDecode(p.Arguments)
			case *mcp.GetPromptParams:
				e.Name = p.Name
				e.Args = p.Arguments
			case *mcp.ReadResourceParams:
				e.URI = p.URI
			case *mcp.SubscribeParams:
				e.URI = p.URI
			case *mcp.UnsubscribeParams:
				e.URI = p.URI
			case *mcp.CompleteParams:
				if p.Ref != nil {
					e.HasRef, e.RefType, e.RefName, e.RefURI = true, p.Ref.Type, p.Ref.Name, p.Ref.URI
				}
			default:
				return next(ctx, method, req)
			}
			s.mu.Lock()
			s.rec = e
			s.mu.Unlock()
			return nil, &sdkjsonrpc.Error{Code: 1, Message: "recorded"}
		}
	})
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, &mcp.ServerSessionOptions{State: &mcp.ServerSessionState{
		InitializeParams:  &mcp.InitializeParams{ProtocolVersion: "2025-06-18"},
		InitializedParams: &mcp.InitializedParams{},
	}})
	if err != nil {
		tb.Fatalf("server.Connect: %v", err)
	}
	conn, err := ct.Connect(ctx)
	if err != nil {
		tb.Fatalf("client transport Connect: %v", err)
	}
	tb.Cleanup(func() {
		conn.Close()
		ss.Close()
	})
	s.conn = conn
	return s
}

// execute sends method and params to the server as a call and returns what
// its handler received, or nil if the server refused the call before any
// handler ran (for example because params did not decode).
func (s *sdkServer) execute(tb testing.TB, method string, params json.RawMessage) *execution {
	tb.Helper()
	ctx := context.Background()
	s.nextID++
	id := mustID(tb, s.nextID)
	s.mu.Lock()
	s.rec = nil
	s.mu.Unlock()
	if err := s.conn.Write(ctx, &sdkjsonrpc.Request{ID: id, Method: method, Params: params}); err != nil {
		tb.Fatalf("write to the go-sdk server: %v", err)
	}
	for {
		msg, err := s.conn.Read(ctx)
		if err != nil {
			tb.Fatalf("read from the go-sdk server: %v", err)
		}
		if r, ok := msg.(*sdkjsonrpc.Response); ok && r.ID == id {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec
}

func mustID(tb testing.TB, n int64) sdkjsonrpc.ID {
	id, err := sdkjsonrpc.MakeID(float64(n))
	if err != nil {
		tb.Fatalf("MakeID(%d): %v", n, err)
	}
	return id
}

// stdlibDecode decodes raw arguments with encoding/json (numbers as
// json.Number); nil for absent or null arguments and for undecodable ones.
func stdlibDecode(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "<undecodable>"
	}
	return v
}

// The methods whose params the middleware authorizes, spelled out here
// rather than read from internal/mcpspec, which these tests check.
const (
	methodToolsCall            = "tools/call"
	methodPromptsGet           = "prompts/get"
	methodResourcesRead        = "resources/read"
	methodResourcesSubscribe   = "resources/subscribe"
	methodResourcesUnsubscribe = "resources/unsubscribe"
	methodCompletionComplete   = "completion/complete"
)

// paramMethods are the methods whose params the middleware authorizes.
var paramMethods = map[string]bool{
	methodToolsCall: true, methodPromptsGet: true, methodResourcesRead: true,
	methodResourcesSubscribe: true, methodResourcesUnsubscribe: true, methodCompletionComplete: true,
}

// checkAgainstSDK decodes body with Decode and, when Decode accepts it,
// checks that the go-sdk reads the same messages. It returns how many
// messages the go-sdk server handled with decoded params.
func checkAgainstSDK(t *testing.T, srv *sdkServer, body []byte) (executed int) {
	t.Helper()
	msgs, batch, err := Decode(body)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Decode error %T %v is not *Error", err, err)
		}
		switch e.Code {
		case CodeParseError, CodeInvalidRequest, CodeInvalidParams:
		default:
			t.Fatalf("Decode error code %d is not a JSON-RPC decode code", e.Code)
		}
		if msgs != nil {
			t.Fatalf("Decode returned %d messages with an error", len(msgs))
		}
		return 0
	}
	if len(msgs) == 0 {
		t.Fatalf("Decode accepted %q with no messages", body)
	}
	if batch {
		// The go-sdk reads a batch as []json.RawMessage, then decodes each.
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil || len(elems) != len(msgs) {
			t.Fatalf("Decode accepted batch %q with %d messages; encoding/json reads %d elements, error %v", body, len(msgs), len(elems), err)
		}
	} else if !bytes.Equal(msgs[0].Raw, body) {
		t.Fatalf("Raw of a single message is not the body")
	}
	for i := range msgs {
		m := &msgs[i]
		sdkMsg, err := sdkjsonrpc.DecodeMessage(m.Raw)
		if err != nil {
			t.Fatalf("Decode accepted %q but go-sdk DecodeMessage fails: %v", m.Raw, err)
		}
		switch s := sdkMsg.(type) {
		case *sdkjsonrpc.Request:
			if !m.HasMethod || m.IsResponse {
				t.Fatalf("Decode read %q as a response; the go-sdk reads a request for %q", m.Raw, s.Method)
			}
			if m.Method != s.Method {
				t.Fatalf("Decode read method %q from %q; the go-sdk reads %q", m.Method, m.Raw, s.Method)
			}
			checkID(t, m, s.ID)
			if !bytes.Equal(m.Params, s.Params) {
				t.Fatalf("Decode read params %q from %q; the go-sdk reads %q", m.Params, m.Raw, s.Params)
			}
			if paramMethods[s.Method] {
				if e := srv.execute(t, s.Method, s.Params); e != nil {
					checkExecution(t, m, e)
					executed++
				}
			}
		case *sdkjsonrpc.Response:
			if m.HasMethod || !m.IsResponse {
				t.Fatalf("Decode read %q as a request for %q; the go-sdk reads a response", m.Raw, m.Method)
			}
			checkID(t, m, s.ID)
		default:
			t.Fatalf("go-sdk DecodeMessage returned %T", sdkMsg)
		}
	}
	return executed
}

// checkID checks that Decode's raw id has the kind and value of the go-sdk's.
func checkID(t *testing.T, m *Message, id sdkjsonrpc.ID) {
	t.Helper()
	switch v := id.Raw().(type) {
	case nil:
		if m.ID != nil {
			t.Fatalf("Decode read id %q from %q; the go-sdk reads none", m.ID, m.Raw)
		}
	case string:
		var s string
		if err := json.Unmarshal(m.ID, &s); err != nil || s != v {
			t.Fatalf("Decode read id %q from %q; the go-sdk reads string %q", m.ID, m.Raw, v)
		}
	case int64:
		f, err := strconv.ParseFloat(string(m.ID), 64)
		if err != nil || int64(f) != v {
			t.Fatalf("Decode read id %q from %q; the go-sdk reads number %d", m.ID, m.Raw, v)
		}
	default:
		t.Fatalf("go-sdk id has type %T", v)
	}
}

// checkExecution compares what Decode read from params with what the go-sdk
// server's handler received.
func checkExecution(t *testing.T, m *Message, e *execution) {
	t.Helper()
	if e.Method != m.Method {
		t.Fatalf("the go-sdk server ran %q for %q; Decode read %q", e.Method, m.Raw, m.Method)
	}
	switch m.Method {
	case methodToolsCall, methodPromptsGet:
		if e.Name != m.Name {
			t.Fatalf("the go-sdk server ran %s %q for %q; Decode read name %q", m.Method, e.Name, m.Raw, m.Name)
		}
		args, err := DecodeObject(m.Arguments)
		if err != nil {
			t.Fatalf("Decode accepted %q but DecodeObject(arguments) fails: %v", m.Raw, err)
		}
		var want any
		if m.Method == methodToolsCall {
			if args != nil {
				want = args
			}
		} else {
			strs := map[string]string{}
			for k, v := range args {
				s, ok := v.(string)
				if !ok {
					t.Fatalf("the go-sdk server decoded prompt arguments %q into strings; DecodeObject has %T for %q", m.Arguments, v, k)
				}
				strs[k] = s
			}
			if len(strs) > 0 {
				want = strs
			}
			if got, ok := e.Args.(map[string]string); ok && len(got) == 0 {
				e.Args = nil
			}
		}
		if diff := cmp.Diff(want, e.Args); diff != "" {
			t.Fatalf("arguments of %q differ (-Decode +go-sdk):\n%s", m.Raw, diff)
		}
	case methodResourcesRead, methodResourcesSubscribe, methodResourcesUnsubscribe:
		if e.URI != m.URI {
			t.Fatalf("the go-sdk server ran %s %q for %q; Decode read uri %q", m.Method, e.URI, m.Raw, m.URI)
		}
	case methodCompletionComplete:
		if (m.Ref != nil) != e.HasRef {
			t.Fatalf("the go-sdk server saw ref=%v for %q; Decode saw ref %q", e.HasRef, m.Raw, m.Ref)
		}
		if m.Ref != nil {
			typ, name, uri, err := DecodeRef(m.Ref)
			if err != nil {
				t.Fatalf("Decode accepted %q but DecodeRef fails: %v", m.Raw, err)
			}
			if typ != e.RefType || name != e.RefName || uri != e.RefURI {
				t.Fatalf("the go-sdk server completes %q %q %q for %q; DecodeRef read %q %q %q", e.RefType, e.RefName, e.RefURI, m.Raw, typ, name, uri)
			}
		}
	}
}

// FuzzDecode checks the package invariant: Decode never panics, and when it
// accepts a body, the go-sdk decodes the same messages (kind, method, id,
// params) and its server handlers receive the same params.name, params.uri,
// arguments and completion reference.
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.body))
	}
	for _, s := range extraSeeds {
		f.Add([]byte(s))
	}
	srv := startSDKServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgainstSDK(t, srv, body)
	})
}

// extraSeeds probe number and member-name corners of the go-sdk's decoder.
var extraSeeds = []string{
	`{"jsonrpc":"2.0","id":-0,"method":"ping"}`,
	`{"jsonrpc":"2.0","id":1e-400,"method":"ping"}`,
	`{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping"}`,
	`{"jsonrpc":"2.0","id":-1.5E+3,"method":"ping"}`,
	`{"jsonrpc":"2.0","id":1,"error":{"code":-0,"message":null}}`,
	`{"jsonrpc":"2.0","id":1,"error":{"code":-9223372036854775808}}`,
	`{"jsonrpc":"2.0","id":1,"error":{"code":9223372036854775808}}`,
	`{"jsonrpc":"2.0","id":1,"error":null}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","method\u0000":"tools/list","params":{"name":"echo"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name\u0000":"rm","arguments":{"a":1,"a\u0000":2}}}`,
	`{"jsonrpc":"2.0","id":"\ud800","method":"tools/call","params":{"name":"echo"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"greet","arguments":{"who":"x","n":1}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"file:///a","_meta":{"progressToken":1}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"file:///{x}"},"argument":{"name":"x","value":""}}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"caf\u00e9\",\"arguments\":{\"\u017f\":1,\"s\":2}}}",
}

// encodeKey returns s as a JSON string. Bits of mode choose the spelling:
// 1 escapes every rune as \uXXXX (surrogate pairs above the BMP), 2 writes
// the bytes raw, even invalid UTF-8.
func encodeKey(s string, mode byte) string {
	switch {
	case mode&1 != 0:
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range s {
			if r > 0xFFFF {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
				continue
			}
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		b.WriteByte('"')
		return b.String()
	case mode&2 != 0:
		return `"` + strings.NewReplacer(`"`, `\"`, `\`, `\\`).Replace(s) + `"`
	default:
		q, _ := json.Marshal(s)
		return string(q)
	}
}

// FuzzDecodeMembers builds messages from fuzzed member names and values, so
// the fuzzer explores how names compare (case, escapes, Unicode folding,
// NUL, invalid UTF-8) rather than JSON syntax. The check is FuzzDecode's.
func FuzzDecodeMembers(f *testing.F) {
	f.Add("method", "tools/list", "METHOD", "tools/call", "name", "echo", "Name", "rm", byte(0))
	f.Add("method", "tools/call", "method", "tools/list", "name", "echo", "name", "rm", byte(1))
	f.Add("Method", "tools/call", "m\u0065thod", "tools/call", "NAME", "rm", "n", "x", byte(2))
	f.Add("m\u017fethod", "tools/call", "method\u0000", "tools/list", "nam\u212a", "rm", "arguments", "{}", byte(5))
	srv := startSDKServer(f)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, p1, pv1, p2, pv2 string, mode byte) {
		body := `{"jsonrpc":"2.0","id":1,` +
			encodeKey(k1, mode) + `:` + encodeKey(v1, mode>>2) + `,` +
			encodeKey(k2, mode>>4) + `:` + encodeKey(v2, mode>>6) + `,` +
			`"params":{` + encodeKey(p1, mode>>1) + `:` + encodeKey(pv1, mode>>3) + `,` +
			encodeKey(p2, mode>>5) + `:` + encodeKey(pv2, mode>>7) + `,` +
			`"arguments":{` + encodeKey(p1, mode>>2) + `:1,` + encodeKey(p2, mode>>3) + `:2}}}`
		checkAgainstSDK(t, srv, []byte(body))
	})
}

// TestSDKAgreement runs the accepted regression cases through the FuzzDecode
// check and makes sure the go-sdk server really handled the param-dependent
// ones, so the fuzz check is not vacuous.
func TestSDKAgreement(t *testing.T) {
	srv := startSDKServer(t)
	for _, tc := range decodeCases {
		if tc.want == nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			want := 0
			for _, v := range tc.want {
				if v.HasMethod && paramMethods[v.Method] {
					want++
				}
			}
			if got := checkAgainstSDK(t, srv, []byte(tc.body)); got != want {
				t.Errorf("the go-sdk server handled %d param-dependent messages of %q, want %d", got, tc.body, want)
			}
		})
	}
}

// FuzzDecodeObject checks that DecodeObject, when it accepts, gives exactly
// what encoding/json gives, and that it never panics.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `null`, `{"a":1,"b":[true,null,"x"]}`, `{"a":1,"A":2}`, `{"a":{"a":1,"a":2}}`, `{"\u00e9":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := DecodeObject(raw)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidParams {
				t.Fatalf("DecodeObject error %v is not *Error with code %d", err, CodeInvalidParams)
			}
			return
		}
		want := stdlibDecode(raw)
		if got == nil {
			if want != nil {
				t.Fatalf("DecodeObject(%q) = nil; encoding/json gives %v", raw, want)
			}
			return
		}
		if diff := cmp.Diff(want, any(got)); diff != "" {
			t.Fatalf("DecodeObject(%q) differs from encoding/json (-want +got):\n%s", raw, diff)
		}
	})
}
