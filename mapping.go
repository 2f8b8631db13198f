// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/jsonrpc"
	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// Attribute names the built-in mapping sets on resources. Tool and prompt
// arguments can never overwrite them (see [Options.ArgumentCollision]).
const (
	AttrToolName     = "tool_name"
	AttrMCPMethod    = "mcp_method"
	AttrResourceType = "resource_type"
	AttrResourceURI  = "resource_uri"
	AttrPromptName   = "prompt_name"
	AttrArguments    = "arguments"
	AttrTenant       = "tenant"
)

// reservedAttrs are the attribute names arguments must not overwrite.
var reservedAttrs = map[string]bool{
	AttrToolName: true, AttrMCPMethod: true, AttrResourceType: true,
	AttrResourceURI: true, AttrPromptName: true, AttrArguments: true, AttrTenant: true,
}

// boxedMethods holds the mcp_method attribute values of the methods the
// mapping knows, converted to interface values once instead of per request.
var boxedMethods = func() map[string]any {
	m := make(map[string]any)
	for _, s := range mcpspec.Names(func(x mcpspec.Method) bool { return x.Mapped }) {
		m[s] = s
	}
	return m
}()

func boxMethod(s string) any {
	if v, ok := boxedMethods[s]; ok {
		return v
	}
	return s
}

// mappingLayer chooses how each message is mapped to a check: by the
// configured [MappingFunc], or by the built-in mapper, whose tools/call
// path decodes arguments straight into the check's attributes. It is
// embedded in Middleware, built once by New and read-only afterwards.
type mappingLayer struct {
	mapper  *mapper
	mapping MappingFunc // Options.Mapping, or the built-in mapper's
	builtin bool        // mapping is the built-in mapper
	coarse  bool        // list requests are checked as a whole
	rawArgs bool        // the built-in tools/call path may skip the arguments map
}

func newMappingLayer(o *Options) mappingLayer {
	l := mappingLayer{
		mapper:  newMapper(o),
		mapping: o.Mapping,
		coarse:  o.ListFiltering != ListFilterItems,
		// Nested arguments are one attribute; audited arguments are logged
		// from the Request: both need the arguments map.
		rawArgs: !o.NestedArguments && !o.AuditArguments,
	}
	if l.mapping == nil {
		l.mapping = l.mapper.mapRequest
		l.builtin = true
	}
	return l
}

// paramsError is a message whose params the mapping cannot read: the
// middleware answers it with JSON-RPC invalid params, giving reason.
type paramsError struct {
	reason string
	err    error
}

func (e *paramsError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *paramsError) Unwrap() error { return e.err }

// mapMessage maps one decoded message to the check that authorizes it;
// ok is false when it needs none (a list request without the coarse
// check). req holds the message's envelope and caller; mapMessage decodes
// params.arguments and params.ref into it as the mapping needs them, and
// fails with a *paramsError when they cannot be read. dst is storage for
// the check, used when single (the body holds one message): a batch's
// checks each need their own.
func (l *mappingLayer) mapMessage(ctx context.Context, req *Request, msg *jsonrpc.Message, dst *Check, single bool) (c *Check, ok bool, err error) {
	raw := l.builtin && l.rawArgs && single && msg.Method == mcpspec.ToolsCall
	if !raw && len(msg.Arguments) > 0 && string(msg.Arguments) != "null" {
		args, err := jsonrpc.DecodeObject(msg.Arguments)
		if err != nil {
			return nil, false, &paramsError{"params.arguments is not a valid object", err}
		}
		req.Arguments = args
	}
	if msg.Method == mcpspec.CompletionComplete && len(msg.Ref) > 0 {
		typ, name, uri, err := jsonrpc.DecodeRef(msg.Ref)
		if err != nil {
			return nil, false, &paramsError{"params.ref is not a valid reference", err}
		}
		req.Ref = &CompletionRef{Type: typ, Name: name, URI: uri}
	}
	switch {
	case mcpspec.IsList(msg.Method) && !l.coarse:
		// Filtered item by item when the result comes back.
		return nil, false, nil
	case raw:
		return l.mapper.mapToolCallRaw(dst, req, msg)
	case l.builtin && single:
		return l.mapper.mapInto(ctx, dst, req)
	default:
		return l.mapping(ctx, req)
	}
}

// maxInternedArgNames bounds the table of prefixed argument names. Names
// come from callers, so the table must not grow without limit; past the
// bound names are built per request.
const maxInternedArgNames = 4096

// mapper is the built-in mapping, configured once from Options.
type mapper struct {
	argMu    sync.RWMutex
	argNames map[string]string // guarded by argMu: argument name -> prefixed attribute name

	server        string // resource type of tools/call
	typePrefix    string // prefix of the other resource types
	actionPrefix  string
	argPrefix     string
	nested        bool
	collision     ArgumentCollision
	unknown       UnknownMethodPolicy
	legacyTypes   bool
	toolsType     string
	promptsType   string
	resourcesType string
}

func newMapper(o *Options) *mapper {
	m := &mapper{
		server:       o.ServerName,
		actionPrefix: o.ActionPrefix,
		argPrefix:    o.ArgumentPrefix,
		nested:       o.NestedArguments,
		collision:    o.ArgumentCollision,
		unknown:      o.UnknownMethods,
		legacyTypes:  o.LegacyResourceTypes,
	}
	if m.server == "" {
		m.server = DefaultServerName
	}
	m.argPrefix = prefix(o.ArgumentPrefix, DefaultArgumentPrefix)
	m.typePrefix = prefix(o.ResourcePrefix, m.server+"_")
	m.toolsType = m.typePrefix + "tools"
	m.promptsType = m.typePrefix + "prompts"
	m.resourcesType = m.typePrefix + "resources"
	return m
}

// prefix resolves a prefix option: "" means def, NoPrefix none.
func prefix(p, def string) string {
	switch p {
	case "":
		return def
	case NoPrefix:
		return ""
	}
	return p
}

// DefaultMapping returns the built-in mapping configured by opts (nil means
// defaults). A custom [MappingFunc] can call it and adjust the result:
//
//	base := mcpauth.DefaultMapping(opts)
//	opts.Mapping = func(ctx context.Context, r *mcpauth.Request) (*mcpauth.Check, bool, error) {
//		c, ok, err := base(ctx, r)
//		if ok && err == nil {
//			c.Resource.Attributes["client"] = r.HTTP.Header.Get("X-Client")
//		}
//		return c, ok, err
//	}
//
// The mapping, in Permit terms (server is [Options.ServerName]):
//
//   - tools/call: resource type server, action = the tool name with ".", "/"
//     and "_" turned into "-" ("unknown-tool" when empty), attributes
//     tool_name, mcp_method and each top-level argument as "arg_<name>".
//   - tools/list, prompts/list, resources/list, resources/templates/list:
//     type server_tools, server_prompts or server_resources, action "list".
//   - resources/read, resources/subscribe, resources/unsubscribe: type
//     server_resources, key and attribute resource_uri = the URI, action
//     "read".
//   - prompts/get: type server_prompts, key and attribute prompt_name = the
//     prompt name, action "read", arguments as for tools/call.
//   - completion/complete: checked as prompts/get of the referenced prompt
//     or resources/read of the referenced resource, without arguments.
//   - anything else: an error wrapping [ErrNoMapping], unless
//     [Options.UnknownMethods] is [UnknownCheckAccess].
//
// Bypassed methods and public tools never reach the mapping.
func DefaultMapping(opts *Options) MappingFunc {
	if opts == nil {
		opts = &Options{}
	}
	return newMapper(opts).mapRequest
}

// toolAction turns a tool name into a Permit action key.
func toolAction(name string) string {
	if name == "" {
		return "unknown-tool"
	}
	if !strings.ContainsAny(name, "./_") {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		if c == '.' || c == '/' || c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// methodOf is the mcp_method attribute: the list method for list-time item
// checks, the request's own method otherwise.
func methodOf(r *Request) string {
	if r.ListMethod != "" {
		return r.ListMethod
	}
	return r.Method
}

func (m *mapper) mapRequest(ctx context.Context, r *Request) (*Check, bool, error) {
	c := new(Check)
	return m.mapInto(ctx, c, r)
}

// mapInto maps r into c, so that callers can provide the Check's storage.
func (m *mapper) mapInto(_ context.Context, c *Check, r *Request) (*Check, bool, error) {
	*c = Check{Resource: Resource{Tenant: r.Tenant}}
	if r.Identity != nil {
		c.User = r.Identity.User
	}
	switch r.Method {
	case MethodToolsCall:
		attrs := make(map[string]any, 2+len(r.Arguments))
		attrs[AttrToolName] = r.Name
		attrs[AttrMCPMethod] = boxMethod(methodOf(r))
		if err := m.addArguments(attrs, r.Arguments); err != nil {
			return nil, false, err
		}
		c.Action = toolAction(r.Name)
		c.Resource.Type = m.server
		c.Resource.Attributes = attrs
	case MethodToolsList:
		m.listCheck(c, r, m.toolsType, "tools")
	case MethodPromptsList:
		m.listCheck(c, r, m.promptsType, "prompts")
	case MethodResourcesList, MethodResourcesTemplatesList:
		m.listCheck(c, r, m.resourcesType, "resources")
	case MethodResourcesRead, MethodResourcesSubscribe, MethodResourcesUnsubscribe:
		if r.URI == "" {
			return nil, false, fmt.Errorf("%w: %s without params.uri", ErrMalformedRequest, r.Method)
		}
		m.resourceCheck(c, r, r.URI)
	case MethodPromptsGet:
		if r.Name == "" {
			return nil, false, fmt.Errorf("%w: %s without params.name", ErrMalformedRequest, r.Method)
		}
		if err := m.promptCheck(c, r, r.Name, r.Arguments); err != nil {
			return nil, false, err
		}
	case MethodCompletionComplete:
		ref := r.Ref
		switch {
		case ref == nil:
			return nil, false, fmt.Errorf("%w: completion/complete without params.ref", ErrMalformedRequest)
		case ref.Type == "ref/prompt" && ref.Name != "":
			if err := m.promptCheck(c, r, ref.Name, nil); err != nil {
				return nil, false, err
			}
		case ref.Type == "ref/resource" && ref.URI != "":
			m.resourceCheck(c, r, ref.URI)
		default:
			return nil, false, fmt.Errorf("%w: completion/complete with an unsupported params.ref", ErrMalformedRequest)
		}
	default:
		if m.unknown != UnknownCheckAccess {
			return nil, false, fmt.Errorf("%w %q", ErrNoMapping, r.Method)
		}
		c.Action = "access"
		c.Resource.Type = m.typePrefix + "method:" + r.Method
		c.Resource.Attributes = map[string]any{
			AttrMCPMethod:    methodOf(r),
			AttrResourceType: "unknown",
		}
	}
	return c, true, nil
}

func (m *mapper) listCheck(c *Check, r *Request, typ, kind string) {
	c.Action = m.actionPrefix + "list"
	c.Resource.Type = typ
	c.Resource.Attributes = map[string]any{
		AttrMCPMethod:    boxMethod(methodOf(r)),
		AttrResourceType: kind,
	}
}

func (m *mapper) resourceCheck(c *Check, r *Request, uri string) {
	c.Action = m.actionPrefix + "read"
	if m.legacyTypes {
		c.Resource.Type = m.resourcesType + ":" + uri
	} else {
		c.Resource.Type = m.resourcesType
		c.Resource.Key = uri
	}
	c.Resource.Attributes = map[string]any{
		AttrMCPMethod:    boxMethod(methodOf(r)),
		AttrResourceType: "resources",
		AttrResourceURI:  uri,
	}
}

func (m *mapper) promptCheck(c *Check, r *Request, name string, args map[string]any) error {
	c.Action = m.actionPrefix + "read"
	if m.legacyTypes {
		c.Resource.Type = m.promptsType + ":" + name
	} else {
		c.Resource.Type = m.promptsType
		c.Resource.Key = name
	}
	attrs := make(map[string]any, 3+len(args))
	attrs[AttrMCPMethod] = boxMethod(methodOf(r))
	attrs[AttrResourceType] = "prompts"
	attrs[AttrPromptName] = name
	if err := m.addArguments(attrs, args); err != nil {
		return err
	}
	c.Resource.Attributes = attrs
	return nil
}

// addArguments adds tool or prompt arguments to attrs, flattened under the
// argument prefix or nested under "arguments". A name that would overwrite
// a built-in attribute is refused or renamed, never applied.
func (m *mapper) addArguments(attrs map[string]any, args map[string]any) error {
	if m.nested {
		if args == nil {
			args = map[string]any{}
		}
		attrs[AttrArguments] = args
		return nil
	}
	for k, v := range args {
		name := m.argName(k)
		if reservedAttrs[name] {
			if m.collision != CollisionRename {
				return fmt.Errorf("%w: argument %q would overwrite the %q attribute", ErrMalformedRequest, k, name)
			}
			name = DefaultArgumentPrefix + k
		}
		attrs[name] = v
	}
	return nil
}

// argName returns the attribute name of argument k, from a bounded table
// so that the usual names are not built again for every request.
func (m *mapper) argName(k string) string {
	if m.argPrefix == "" {
		return k
	}
	m.argMu.RLock()
	v, ok := m.argNames[k]
	m.argMu.RUnlock()
	if ok {
		return v
	}
	return m.internArgName(k)
}

// argNameBytes is argName for a name still in the request's bytes: a
// known name costs no allocation.
func (m *mapper) argNameBytes(k []byte) string {
	if m.argPrefix == "" {
		return string(k)
	}
	m.argMu.RLock()
	v, ok := m.argNames[string(k)]
	m.argMu.RUnlock()
	if ok {
		return v
	}
	return m.internArgName(string(k))
}

func (m *mapper) internArgName(k string) string {
	name := m.argPrefix + k
	if len(k) > 64 {
		return name
	}
	m.argMu.Lock()
	defer m.argMu.Unlock()
	if m.argNames == nil {
		m.argNames = make(map[string]string)
	}
	if len(m.argNames) < maxInternedArgNames {
		m.argNames[strings.Clone(k)] = name
	}
	return name
}

// flatArgName returns the attribute name of argument k for flattened
// arguments, refusing or renaming names that would overwrite a built-in
// attribute.
func (m *mapper) flatArgName(k []byte) (string, error) {
	name := m.argNameBytes(k)
	if reservedAttrs[name] {
		if m.collision != CollisionRename {
			return "", fmt.Errorf("%w: argument %q would overwrite the %q attribute", ErrMalformedRequest, k, name)
		}
		name = DefaultArgumentPrefix + string(k)
	}
	return name, nil
}

// mapToolCallRaw maps a tools/call whose arguments are still raw JSON,
// decoding them straight into the attributes under their flattened names:
// the warm path, with no arguments map of its own. Only for flattened
// arguments.
func (m *mapper) mapToolCallRaw(c *Check, r *Request, msg *jsonrpc.Message) (*Check, bool, error) {
	*c = Check{Resource: Resource{Tenant: r.Tenant}}
	if r.Identity != nil {
		c.User = r.Identity.User
	}
	attrs := make(map[string]any, 8)
	attrs[AttrToolName] = r.Name
	attrs[AttrMCPMethod] = boxMethod(methodOf(r))
	if _, err := msg.ArgumentsInto(attrs, m.flatArgName); err != nil {
		return nil, false, err
	}
	c.Action = toolAction(r.Name)
	c.Resource.Type = m.server
	c.Resource.Attributes = attrs
	return c, true, nil
}

// matchMethod reports whether method matches pattern with the semantics of
// Python's fnmatch.fnmatchcase, which permit-fastmcp uses for its bypass
// list: '*' matches any run of characters, '/' included; '?' matches one
// character; '[...]' matches one character of the class, '[!...]' one
// character not in it. In a class, a leading ']' is literal, 'a-z' is a
// range of code points and a '-' first or last is literal; '^' and '\' are
// literal everywhere. Matching is case-sensitive and by Unicode code point.
// A class without a closing ']', which fnmatch would read as a literal
// '[', is refused by New (validPattern) and never matches here.
func matchMethod(pattern, method string) bool {
	px, nx := 0, 0
	starPx, starNx := -1, -1
	for nx < len(method) || px < len(pattern) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				if nx < len(method) {
					_, w := utf8.DecodeRuneInString(method[nx:])
					px++
					nx += w
					continue
				}
			case '[':
				if nx < len(method) {
					r, w := utf8.DecodeRuneInString(method[nx:])
					ok, next, valid := matchClass(pattern, px, r)
					if !valid {
						return false
					}
					if ok {
						px = next
						nx += w
						continue
					}
				}
			default:
				// Byte by byte: pattern and method are valid UTF-8, so a
				// literal rune matches exactly when its bytes do.
				if nx < len(method) && method[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if starPx >= 0 && starNx < len(method) {
			_, w := utf8.DecodeRuneInString(method[starNx:])
			starNx += w
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}

// matchClass matches c against the class starting at pattern[i] == '['. It
// returns whether c matched, the index after the class, and whether the
// class was well formed (closed).
func matchClass(pattern string, i int, c rune) (matched bool, next int, valid bool) {
	i++
	negate := false
	if i < len(pattern) && pattern[i] == '!' {
		negate = true
		i++
	}
	first := true
	for i < len(pattern) {
		if pattern[i] == ']' && !first {
			return matched != negate, i + 1, true
		}
		first = false
		lo, w := utf8.DecodeRuneInString(pattern[i:])
		hi := lo
		i += w
		if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
			hi, w = utf8.DecodeRuneInString(pattern[i+1:])
			i += 1 + w
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
	return false, 0, false
}

// validPattern reports whether pattern is valid UTF-8 and every class in
// it is closed.
func validPattern(pattern string) bool {
	if !utf8.ValidString(pattern) {
		return false
	}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '[' {
			_, next, ok := matchClass(pattern, i, 0)
			if !ok {
				return false
			}
			i = next - 1
		}
	}
	return true
}
