// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/mcpauth/mcpauth/internal/jsonrpc"
)

// observesTools reports whether responses to method must be read for
// Options.OnToolsList even when list filtering is off.
func (m *Middleware) observesTools(method string) bool {
	return method == MethodToolsList && m.opts.OnToolsList != nil
}

// reportToolsList passes the tools of a tools/list result, the elements
// at items of b, to Options.OnToolsList. The callee may keep them: they are
// copies, since b is the handler's buffer.
func (m *Middleware) reportToolsList(r *http.Request, b []byte, items []jsonrpc.ListItem) {
	if m.opts.OnToolsList == nil {
		return
	}
	tools := make([]json.RawMessage, len(items))
	for i, it := range items {
		tools[i] = bytes.Clone(b[it.Start:it.End])
	}
	m.opts.OnToolsList(r, tools)
}
