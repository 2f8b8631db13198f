// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"encoding/json"
	"net/http"

	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// MCP method names the built-in mapping knows, for custom [MappingFunc]s.
const (
	MethodToolsCall              = mcpspec.ToolsCall              // "tools/call"
	MethodToolsList              = mcpspec.ToolsList              // "tools/list"
	MethodPromptsList            = mcpspec.PromptsList            // "prompts/list"
	MethodPromptsGet             = mcpspec.PromptsGet             // "prompts/get"
	MethodResourcesList          = mcpspec.ResourcesList          // "resources/list"
	MethodResourcesTemplatesList = mcpspec.ResourcesTemplatesList // "resources/templates/list"
	MethodResourcesRead          = mcpspec.ResourcesRead          // "resources/read"
	MethodResourcesSubscribe     = mcpspec.ResourcesSubscribe     // "resources/subscribe"
	MethodResourcesUnsubscribe   = mcpspec.ResourcesUnsubscribe   // "resources/unsubscribe"
	MethodCompletionComplete     = mcpspec.CompletionComplete     // "completion/complete"
)

// Request is one decoded JSON-RPC request, as a [MappingFunc] sees it.
type Request struct {
	// HTTP is the HTTP request that carried the message.
	HTTP *http.Request
	// Method is the JSON-RPC method.
	Method string
	// ID is the raw JSON-RPC id; nil for a notification.
	ID json.RawMessage
	// Params is the raw params member; nil when absent.
	Params json.RawMessage
	// Name is params.name (tools/call, prompts/get), when present.
	Name string
	// URI is params.uri (resources/read, subscribe, unsubscribe).
	URI string
	// Arguments is params.arguments (tools/call, prompts/get), decoded with
	// numbers as json.Number; nil when absent.
	Arguments map[string]any
	// Ref is params.ref of completion/complete.
	Ref *CompletionRef
	// Identity is the identified caller; nil for bypassed requests.
	Identity *Identity
	// Tenant is the tenant chosen by the tenant source.
	Tenant string
	// ListMethod is set when the request is a synthetic list-time check of
	// one listed item: it names the list method (for example "tools/list").
	ListMethod string
}

// CompletionRef is the reference a completion/complete request completes:
// a prompt ("ref/prompt", Name) or a resource template ("ref/resource", URI).
type CompletionRef struct {
	Type string
	Name string
	URI  string
}
