// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// rpcResponse is a JSON-RPC response carrying an error or a result.
type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   *rpcError       `json:"error,omitempty"`
	Result  any             `json:"result,omitempty"`
}

type textContent struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type toolResult struct {
	Content []textContent  `json:"content"`
	IsError bool           `json:"isError"`
	Meta    map[string]any `json:"_meta,omitempty"`
}

// MetaDenialReason is the _meta key carrying the denial reason of a refused
// tool call when DenyOptions.ExposeReason is set.
const MetaDenialReason = "io.github.mcpauth/denial-reason"

var nullID = json.RawMessage("null")

// deny writes the response for d, through the deny handler when one is set.
func (m *Middleware) deny(w http.ResponseWriter, r *http.Request, d *Denial) {
	m.tel.refuse(r.Context(), d)
	if h := m.opts.Deny.Handler; h != nil {
		h(w, r, d)
		return
	}
	WriteDenial(w, d, m.opts.Deny.ExposeReason, m.opts.Deny.ToolCall, m.opts.ResourceMetadataURL)
}

// WriteDenial writes the built-in response for d: a JSON-RPC error (or, for
// tools/call with [ToolDenyResult], a tool result with isError set) with
// d.Status. exposeReason puts d.Reason in the response. For 401 responses it
// sets WWW-Authenticate, with resource_metadata when resourceMetadata is not
// empty. Adapters and deny handlers can call it to keep the default shape.
func WriteDenial(w http.ResponseWriter, d *Denial, exposeReason bool, style ToolDenyStyle, resourceMetadata string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if d.Status == http.StatusUnauthorized {
		var params []string
		if d.invalidToken {
			params = append(params, `error="invalid_token"`)
		}
		if resourceMetadata != "" {
			params = append(params, `resource_metadata="`+strings.ReplaceAll(resourceMetadata, `"`, "%22")+`"`)
		}
		challenge := "Bearer"
		if len(params) > 0 {
			challenge += " " + strings.Join(params, ", ")
		}
		h.Set("WWW-Authenticate", challenge)
	}
	status := d.Status
	if status == 0 {
		status = http.StatusForbidden
	}
	// A malformed request always says what was wrong: the reason describes
	// the client's own input, never internal state.
	showReason := exposeReason || d.protocol
	var data any
	if showReason && d.Reason != "" {
		data = d.Reason
	}
	errObj := &rpcError{Code: d.Code, Message: d.Message, Data: data}

	var body any
	switch {
	case d.batch:
		resps := make([]rpcResponse, 0, len(d.batchIDs))
		for _, id := range d.batchIDs {
			resps = append(resps, rpcResponse{JSONRPC: "2.0", ID: id, Error: errObj})
		}
		if len(resps) == 0 {
			if status == http.StatusOK {
				status = http.StatusForbidden
			}
			body = rpcResponse{JSONRPC: "2.0", ID: nullID, Error: errObj}
		} else {
			body = resps
		}
	case d.Method == MethodToolsCall && d.ID != nil && !d.protocol && status == http.StatusOK && style == ToolDenyResult &&
		d.Check != nil:
		text := d.Message + ": not authorized to call tool " + strconv.Quote(d.tool)
		res := toolResult{IsError: true}
		if showReason && d.Reason != "" {
			text += " (" + d.Reason + ")"
			res.Meta = map[string]any{MetaDenialReason: d.Reason}
		}
		res.Content = []textContent{{Type: "text", Text: text}}
		body = rpcResponse{JSONRPC: "2.0", ID: d.ID, Result: res}
	default:
		id := d.ID
		if id == nil {
			id = nullID
		}
		body = rpcResponse{JSONRPC: "2.0", ID: id, Error: errObj}
	}
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error"}}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
