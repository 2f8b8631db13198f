// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

// defaultMappings are the default mappings of the COAZ-MCP binding
// (section "Default Mappings"), one per MCP method, in the binding's own
// notation. In them (and only in them) "$token.aud" is the server's
// identifier, resolved as the binding's normative rule says (see
// Options.ServerID). ping and notifications are pass-through and have no
// mapping; a method not listed is denied.
var defaultMappings = map[string]string{
	"initialize":          serverScoped("initialize", `,"protocol_version":"$params.protocolVersion"`),
	"tools/list":          serverScoped("tools/list", ""),
	"tools/call":          itemScoped("tools/call", "tool", "$params.name"),
	"resources/list":      serverScoped("resources/list", ""),
	"resources/read":      itemScoped("resources/read", "resource", "$params.uri"),
	"resources/subscribe": itemScoped("resources/subscribe", "resource", "$params.uri"),
	"resources/unsubscribe": itemScoped("resources/unsubscribe", "resource",
		"$params.uri"),
	"prompts/list": serverScoped("prompts/list", ""),
	"prompts/get":  itemScoped("prompts/get", "prompt", "$params.name"),
	"completion/complete": `{"evaluation":{
		"subject":{"type":"identity","id":"$token.sub"},
		"context":{"agent":"$token.?client_id"},
		"action":{"name":"completion/complete"},
		"resource":{
			"type":"$params.ref.type == 'ref/prompt' ? 'prompt' : 'resource'",
			"id":"$params.ref.type == 'ref/prompt' ? params.ref.name : params.ref.uri"}}}`,
	"logging/setLevel": serverScoped("logging/setLevel", `,"level":"$params.level"`),
	"tasks/get":        itemScoped("tasks/get", "task", "$params.taskId"),
	"tasks/result":     itemScoped("tasks/result", "task", "$params.taskId"),
	"tasks/cancel":     itemScoped("tasks/cancel", "task", "$params.taskId"),
	"tasks/list":       serverScoped("tasks/list", ""),
}

// serverScoped is the default mapping of a method on the server as a
// whole; extraContext adds members to the context.
func serverScoped(method, extraContext string) string {
	return `{"evaluation":{
		"subject":{"type":"identity","id":"$token.sub"},
		"context":{"agent":"$token.?client_id"` + extraContext + `},
		"action":{"name":"` + method + `"},
		"resource":{"type":"mcp_server","id":"$token.aud"}}}`
}

// itemScoped is the default mapping of a method on one item.
func itemScoped(method, typ, id string) string {
	return `{"evaluation":{
		"subject":{"type":"identity","id":"$token.sub"},
		"context":{"agent":"$token.?client_id"},
		"action":{"name":"` + method + `"},
		"resource":{"type":"` + typ + `","id":"` + id + `"}}}`
}
