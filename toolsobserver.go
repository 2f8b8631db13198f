// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// observesTools reports whether responses to method must be read for
// Options.OnToolsList even when list filtering is off.
func (m *Middleware) observesTools(method string) bool {
	return method == MethodToolsList && m.opts.OnToolsList != nil
}

// observeTools passes the tools of a tools/list result (raw, the value of
// result.tools) to Options.OnToolsList.
func (m *Middleware) observeTools(r *http.Request, method string, raw json.RawMessage) {
	if !m.observesTools(method) {
		return
	}
	var tools []json.RawMessage
	if err := json.Unmarshal(raw, &tools); err != nil {
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "mcpauth: tools/list result is not a list; not reported to OnToolsList")
		return
	}
	m.opts.OnToolsList(r, tools)
}
