// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package mcpspec is the one list of the MCP method names and JSON-RPC error
// codes the middleware knows. The decoder (internal/jsonrpc), the mapping,
// the list filter, the environment loader's method lists and the error
// responses all read them from here, so that adding a method means adding
// one entry to [Methods].
package mcpspec

// MCP method names.
const (
	Initialize             = "initialize"
	Ping                   = "ping"
	ServerDiscover         = "server/discover"
	LoggingSetLevel        = "logging/setLevel"
	ToolsCall              = "tools/call"
	ToolsList              = "tools/list"
	PromptsList            = "prompts/list"
	PromptsGet             = "prompts/get"
	ResourcesList          = "resources/list"
	ResourcesTemplatesList = "resources/templates/list"
	ResourcesRead          = "resources/read"
	ResourcesSubscribe     = "resources/subscribe"
	ResourcesUnsubscribe   = "resources/unsubscribe"
	CompletionComplete     = "completion/complete"

	NotificationsInitialized      = "notifications/initialized"
	NotificationsCancelled        = "notifications/cancelled"
	NotificationsProgress         = "notifications/progress"
	NotificationsRootsListChanged = "notifications/roots/list_changed"
)

// JSON-RPC error codes (JSON-RPC 2.0 §5.1) the middleware answers with.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603

	// CodeSessionNotFound answers a request naming an unknown session
	// (HTTP 404), as the MCP TypeScript SDK answers it.
	CodeSessionNotFound = -32001
)

// Method describes one MCP method.
type Method struct {
	// Name is the method name.
	Name string
	// Mapped: the built-in mapping has a rule for it.
	Mapped bool
	// List: a list method, whose results are filtered item by item.
	List bool
	// Params: its check depends on params (name, uri, arguments, ref), so
	// the decoder extracts them.
	Params bool
	// FastMCPKnown: in permit-fastmcp's default known_methods.
	FastMCPKnown bool
}

// Methods lists every method the middleware knows by name. The first six
// are in the order of permit-fastmcp's default known_methods, which the
// environment loader documents.
var Methods = []Method{
	{Name: ToolsList, Mapped: true, List: true, FastMCPKnown: true},
	{Name: PromptsList, Mapped: true, List: true, FastMCPKnown: true},
	{Name: ResourcesList, Mapped: true, List: true, FastMCPKnown: true},
	{Name: ToolsCall, Mapped: true, Params: true, FastMCPKnown: true},
	{Name: ResourcesRead, Mapped: true, Params: true, FastMCPKnown: true},
	{Name: PromptsGet, Mapped: true, Params: true, FastMCPKnown: true},
	{Name: ResourcesTemplatesList, Mapped: true, List: true},
	{Name: ResourcesSubscribe, Mapped: true, Params: true},
	{Name: ResourcesUnsubscribe, Mapped: true, Params: true},
	{Name: CompletionComplete, Mapped: true, Params: true},
	{Name: Initialize},
	{Name: Ping},
	{Name: ServerDiscover},
	{Name: LoggingSetLevel},
	{Name: NotificationsInitialized},
	{Name: NotificationsCancelled},
	{Name: NotificationsProgress},
	{Name: NotificationsRootsListChanged},
}

// byName maps each method name to its position in Methods.
var byName = func() map[string]int {
	m := make(map[string]int, len(Methods))
	for i, x := range Methods {
		m[x.Name] = i
	}
	return m
}()

// Lookup returns the method named name.
func Lookup(name string) (Method, bool) {
	i, ok := byName[name]
	if !ok {
		return Method{}, false
	}
	return Methods[i], true
}

// LookupBytes is Lookup for a name still in a request's bytes; it does not
// allocate.
func LookupBytes(name []byte) (Method, bool) {
	i, ok := byName[string(name)]
	if !ok {
		return Method{}, false
	}
	return Methods[i], true
}

// Index returns the position of the method named name in [Methods], or -1.
func Index(name string) int {
	if i, ok := byName[name]; ok {
		return i
	}
	return -1
}

// IsList reports whether name is one of the list methods.
func IsList(name string) bool {
	x, _ := Lookup(name)
	return x.List
}

// Names returns the names of the methods for which keep returns true, in
// the order of [Methods].
func Names(keep func(Method) bool) []string {
	var out []string
	for _, x := range Methods {
		if keep(x) {
			out = append(out, x.Name)
		}
	}
	return out
}
