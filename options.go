// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"crypto"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/repository"
)

// Defaults of the mapping, which policies are written against: the
// resource type of tools/call, the tenant of every check and the prefix of
// argument attributes when the corresponding [Options] fields are zero.
const (
	DefaultServerName     = "mcp_server"
	DefaultTenant         = "default"
	DefaultArgumentPrefix = "arg_"
)

// NoPrefix, as [Options.ResourcePrefix] or [Options.ArgumentPrefix], means
// no prefix at all (the empty string means the default prefix).
const NoPrefix = "-"

// Defaults used when the corresponding [Options] field is zero. Each
// field's documentation gives its default.
const (
	defaultResourcePrefix = "mcp_" // permit-fastmcp's, for the env loader
	defaultMaxBodyBytes   = 4 << 20
	defaultDenyCode       = -32010
	defaultDenyMessage    = "Unauthorized"
	defaultIdentityHeader = "Authorization"
	defaultHeaderRegex    = `(?i)^bearer (.+)$`
	defaultJWTClaim       = "sub"
	defaultFixedUser      = "client"
	defaultCacheSize      = 10000
	defaultAllowTTL       = 60 * time.Second
	defaultDenyTTL        = 10 * time.Second
	defaultPDPTimeout     = 5 * time.Second
	defaultJWTLeeway      = 30 * time.Second

	defaultMaxAnonymousBodyBytes = 64 << 10
	defaultBodyReadTimeout       = 30 * time.Second
	defaultMaxArgumentValues     = 4096
	defaultMaxArgumentDepth      = 32
	defaultSessionIdleTimeout    = time.Hour
	defaultMaxSessions           = 100000
)

// DefaultBypassMethods are the JSON-RPC methods passed on without a check
// when [Options.BypassMethods] is nil. Patterns use fnmatch syntax (see there).
//
// logging/setLevel is among them because it only sets how much log output
// the server sends to the caller's own session; it reaches no tool, prompt
// or resource. Leave it out (set BypassMethods) to check or deny it.
var DefaultBypassMethods = []string{"initialize", "ping", "notifications/*", "server/discover", "logging/setLevel"}

// Options configures a [Middleware]. The zero value (or a nil *Options) is a
// valid configuration: fixed identity "client", server name "mcp_server",
// tenant "default", strict decoding, list filtering and a decision cache.
// [New] copies Options; changing them afterwards has no effect.
type Options struct {
	// ServerName is the Permit resource type for tools/call and the prefix of
	// the list and read resource types. Default "mcp_server".
	ServerName string

	// ActionPrefix is prepended to the action of every method except
	// tools/call, as in permit-fastmcp. Default "".
	ActionPrefix string

	// ResourcePrefix is the prefix of the resource types of methods other
	// than tools/call ("{prefix}tools", "{prefix}resources", ...). Default
	// ServerName+"_". [NoPrefix] means none. permit-fastmcp's
	// prefix_resource_with_server_name=false is ResourcePrefix "mcp_".
	ResourcePrefix string

	// ArgumentPrefix is prepended to each top-level tools/call argument name
	// to form an ABAC attribute. Default "arg_". [NoPrefix] uses the
	// argument names themselves; names that would overwrite a built-in
	// attribute are then handled according to ArgumentCollision.
	ArgumentPrefix string

	// NestedArguments sends tools/call arguments as one "arguments" attribute
	// instead of flattening them into ArgumentPrefix+name attributes.
	NestedArguments bool

	// ArgumentCollision says what happens when an argument name would
	// overwrite a built-in attribute (tool_name, mcp_method, tenant, ...).
	// The default, CollisionDeny, refuses the request.
	ArgumentCollision ArgumentCollision

	// BypassMethods are method patterns passed on without identity or a
	// check. Nil means [DefaultBypassMethods]; an empty non-nil slice
	// bypasses nothing.
	//
	// Patterns are matched as Python's fnmatch.fnmatchcase matches them
	// (permit-fastmcp's bypass list), not as path.Match: '*' matches any
	// run of characters including '/' (so "notifications/*" also bypasses
	// "notifications/roots/list_changed"), '?' any one character, '/'
	// included, "[...]" one character of the class and "[!...]" one not in
	// it (a leading ']' is literal, "a-z" is a range, '^' is literal, not a
	// negation). There are no escapes: '\' is a literal character. The
	// whole method must match, case-sensitively, by Unicode code point. New
	// refuses a pattern that is empty, not valid UTF-8, or has a '[' without
	// a closing ']' (fnmatch would match that '[' literally).
	BypassMethods []string

	// PublicTools are tool names whose tools/call needs neither identity nor
	// a check (for example a "login" tool).
	PublicTools []string

	// UnknownMethods says how to handle a method with no mapping rule. The
	// default denies it.
	UnknownMethods UnknownMethodPolicy

	// LegacyResourceTypes maps resources/read and prompts/get to
	// permit-fastmcp's "{server}_resources:<uri>" and "{server}_prompts:<name>"
	// resource types instead of the type/key pair.
	LegacyResourceTypes bool

	// Mapping replaces the built-in mapping. It may call [DefaultMapping]
	// and adjust the result. Nil uses DefaultMapping.
	Mapping MappingFunc

	// Tenant says where the Permit tenant comes from. Default: the fixed
	// tenant "default".
	Tenant TenantOptions

	// Identity says how the caller is identified: [FixedIdentity],
	// [HeaderIdentity], [JWTIdentity], [ContextIdentity] or [FuncIdentity].
	// The zero value is FixedIdentity("client").
	Identity IdentitySource

	// AllowUnknownUser is permit-fastmcp's behaviour: a request without a
	// valid identity is checked as user "unknown" with attributes saying
	// why, instead of being rejected with HTTP 401. Not for production.
	AllowUnknownUser bool

	// ResourceMetadataURL, when set, is advertised in the WWW-Authenticate
	// challenge of 401 responses (RFC 9728).
	ResourceMetadataURL string

	// Limits bound what a request may cost before and during its check.
	Limits Limits

	// Sessions configures how stateful MCP sessions are bound to the
	// identity that created them.
	Sessions SessionOptions

	// AllowBatch authorizes every element of a JSON-RPC batch (a top-level
	// array) and denies the whole batch if any element is denied. By default
	// batches are rejected with HTTP 400 and JSON-RPC error -32600.
	AllowBatch bool

	// Deny shapes the response to a denied request.
	Deny DenyOptions

	// DisableAudit turns off the per-decision audit log record.
	DisableAudit bool

	// AuditArguments includes tool argument values in audit records. Off by
	// default: arguments may carry personal data or secrets.
	AuditArguments bool

	// Logger receives audit records and errors. Nil discards them.
	Logger *slog.Logger

	// Cache configures the decision cache.
	Cache CacheOptions

	// Notifier shares [Middleware.Purge] and [Middleware.InvalidateUser]
	// between the middleware instances of a replica set: each call is
	// published on [NotifyTopic], and every instance subscribed (the caller
	// included) applies it to its decision cache; when the Notifier reports
	// a gap, the instance purges its whole cache. Give every replica the
	// store they share when it is a repository.Notifier (repository/redis
	// is), and call [Middleware.Close] when done. Default: none; each
	// instance's cache is its own, and other replicas keep a purged decision
	// until its TTL.
	Notifier repository.Notifier

	// ListFiltering says how tools/list, prompts/list, resources/list and
	// resources/templates/list are authorized. The default,
	// [ListFilterItems], removes the items the caller may not use from
	// their results.
	ListFiltering ListMode

	// OnToolsList, when set, is called with the tools of every successful
	// tools/list result the middleware passes on, as the server sent them
	// (before list filtering, which it does not need): one raw JSON value
	// per element of result.tools, which the callee may keep. It runs
	// synchronously, before the result reaches the client, on the request's
	// goroutine; r is the tools/list request. It lets a mapping learn what
	// the server declares about its tools (the COAZ module reads each
	// tool's inputSchema["x-authzen-mapping"]). A result the middleware
	// cannot read as a list is not reported.
	OnToolsList func(r *http.Request, tools []json.RawMessage)

	// AllowAmbiguousTools lets calls through to tools that share their
	// action with another tool. The built-in mapping turns '.', '/' and '_'
	// in a tool name into '-', so "greet_jwt" and "greet-jwt" are one
	// action and a permission for one grants the other. When a tools/list
	// response shows such tools, the middleware logs an error once and, by
	// default, refuses calls to all of them (with a denial wrapping
	// [ErrAmbiguousTool]) until the server's tool names differ in more than
	// those characters. Custom mappings choose their own actions and are
	// not watched.
	AllowAmbiguousTools bool

	// Telemetry configures OpenTelemetry metrics and traces (telemetry.go).
	// The zero value uses the global providers: no-ops until the program
	// installs an OpenTelemetry SDK.
	Telemetry TelemetryOptions
}

// Limits bound the work a request can cause. Zero fields take their
// defaults; the middleware refuses what exceeds them before asking the
// decision point.
type Limits struct {
	// MaxBodyBytes caps the request body the middleware reads. Default 4 MiB
	// (4 << 20). A larger body is rejected with HTTP 413.
	MaxBodyBytes int64
	// MaxAnonymousBodyBytes caps the body of a POST that carries no
	// credential (in the header, JWT and context identity modes): such a
	// request can only be a bypassed method (initialize, ping,
	// notifications), a client response or a public tool call. A larger
	// anonymous body is answered with HTTP 401, so the client
	// authenticates. Default 64 KiB; it never exceeds MaxBodyBytes.
	MaxAnonymousBodyBytes int64
	// BodyReadTimeout bounds the time a client may take to send a POST body,
	// so slow senders cannot hold connections open: the middleware sets the
	// connection's read deadline (http.ResponseController) while it reads
	// the body, answers HTTP 408 when it passes, and lifts the deadline once
	// the body is read, and for GET, so that long SSE responses are not
	// cut by it or by the server's ReadTimeout. Default 30 s; negative
	// leaves deadlines alone. It has no effect through Check, or on
	// writers that cannot set deadlines.
	BodyReadTimeout time.Duration
	// MaxArgumentValues caps the number of JSON values (objects, arrays,
	// strings, numbers, literals, counted at every depth) in the arguments
	// of tools/call, prompts/get and completion/complete. Default 4096. A
	// request over it is refused with JSON-RPC error -32602.
	MaxArgumentValues int
	// MaxArgumentDepth caps the nesting of those arguments. Default 32; the
	// arguments object itself is depth 1. A request over it is refused with
	// JSON-RPC error -32602.
	MaxArgumentDepth int
}

// SessionOptions configures session binding. Every session a server creates
// (the Mcp-Session-Id header of its answer to initialize) is bound to the
// user key and tenant of the request that created it, or to nobody when that
// request carried no credential. A later request naming the session, with
// any HTTP method and any JSON-RPC message, must come from the same identity
// (an anonymous session only from anonymous requests); otherwise it is
// answered with HTTP 404 and never reaches the server. A request naming a
// session the middleware does not know (expired, evicted, or created before
// the middleware started) is refused the same way; spec-compliant clients
// then start a new session.
type SessionOptions struct {
	// IdleTimeout forgets a binding with no request in flight and none for
	// this long. Default 1 hour. Negative means bindings never idle out
	// (they still end with the session and with MaxSessions).
	IdleTimeout time.Duration
	// MaxSessions bounds the bindings kept; the least recently used is
	// forgotten first. Default 100,000 (about 150 bytes each).
	MaxSessions int
}

// ArgumentCollision is the policy for argument names that would overwrite a
// built-in attribute. The zero value denies.
type ArgumentCollision int

const (
	// CollisionDeny refuses the request with a JSON-RPC invalid-params error.
	CollisionDeny ArgumentCollision = iota
	// CollisionRename stores the argument under "arg_"+name.
	CollisionRename
)

// UnknownMethodPolicy is the policy for methods without a mapping rule. The
// zero value denies.
type UnknownMethodPolicy int

const (
	// UnknownDeny denies methods without a mapping rule.
	UnknownDeny UnknownMethodPolicy = iota
	// UnknownCheckAccess checks them as resource "{server}_method:<m>" with
	// action "access", as permit-fastmcp does.
	UnknownCheckAccess
)

// ListMode selects how list requests are authorized. The zero value
// filters list results item by item.
type ListMode int

const (
	// ListFilterItems passes list requests on and removes from their
	// results every item whose own check (a tools/call, prompts/get or
	// resources/read of it) is denied.
	ListFilterItems ListMode = iota
	// ListFilterAndCheck also checks each list request as a whole against
	// "{server}_{kind}" / "list", as permit-fastmcp does, before filtering.
	ListFilterAndCheck
	// ListCheckOnly checks each list request as a whole and passes its
	// results on unfiltered, as permit-fastmcp does.
	ListCheckOnly
)

// TenantOptions selects the tenant source. At most one of Claim and Header
// may be set; when neither is, Fixed (default "default") is used.
type TenantOptions struct {
	// Fixed is the tenant used for every request. Default "default".
	Fixed string
	// Claim takes the tenant from this JWT claim (JWT identity mode only) or
	// from this key of Principal.Attributes (context mode).
	Claim string
	// Header takes the tenant from this request header.
	Header string
	// Required denies a request whose Claim or Header is missing instead of
	// falling back to Fixed.
	Required bool
}

// Identity is the result of identifying a caller. Its maps (the user
// attributes, JWT claims) may be shared between requests: treat them as
// read-only, and copy before changing them in a [MappingFunc].
type Identity struct {
	// User is the subject of checks.
	User User
	// Tenant overrides the tenant source when non-empty.
	Tenant string
	// Scopes are the credential's scopes; part of the decision cache key.
	Scopes []string
	// Expiry is when the credential expires (zero if unknown). Cached allows
	// never outlive it.
	Expiry time.Time
	// Principal is the context principal with [ContextIdentity].
	Principal *Principal
}

// IdentityFunc identifies the caller of r. It returns an error wrapping
// [ErrUnauthenticated] when the request carries no valid identity.
type IdentityFunc func(r *http.Request) (*Identity, error)

// JWTOptions configures [JWTIdentity]. Exactly one key source must be
// set: Secret (HS256/384/512), PublicKey (RS*, PS*, ES*, EdDSA), or
// JWKSURL. Verification uses github.com/go-jose/go-jose/v4; the cache of
// verified tokens runs one cleanup goroutine for the life of the process,
// so make a Middleware once, not per request.
type JWTOptions struct {
	// Header is the request header carrying the token. Default
	// "Authorization".
	Header string
	// HeaderRegex extracts the token from Header: its first capture group
	// is used. Default `(?i)^bearer (.+)$` (the scheme is case-insensitive,
	// RFC 7235).
	HeaderRegex string
	// Secret is the HMAC secret. An empty secret is refused by New.
	Secret []byte
	// PublicKey is an *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey. For a PEM-encoded key or certificate, parse it
	// with crypto/x509 first.
	PublicKey crypto.PublicKey
	// JWKSURL is fetched for keys; they are cached and refreshed.
	JWKSURL string
	// JWKSRefresh is how long fetched keys are reused. Default 10 minutes.
	JWKSRefresh time.Duration
	// HTTPClient fetches JWKSURL. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// Algorithms are the accepted "alg" values. Default: HS256 for Secret;
	// for public keys, the algorithms that fit the key type.
	Algorithms []string
	// Issuer, when set, must equal the "iss" claim.
	Issuer string
	// Audience, when set, must be one of the "aud" claim's values.
	Audience string
	// Claim is the claim used as the user key. Default "sub".
	Claim string
	// Leeway is the clock skew tolerated for exp, nbf and iat. Default 30 s.
	Leeway time.Duration
	// AllowNoExpiry accepts tokens without an "exp" claim. By default such
	// tokens are rejected: a token that never expires cannot be revoked by
	// waiting, and a cached allow would have no upper bound but the TTL.
	AllowNoExpiry bool
}

// ToolDenyStyle selects how a denied tools/call is answered.
type ToolDenyStyle int

const (
	// ToolDenyResult answers with a successful JSON-RPC response carrying a
	// tool result with isError true, so the model sees the refusal.
	ToolDenyResult ToolDenyStyle = iota
	// ToolDenyError answers with a JSON-RPC error, like other methods.
	ToolDenyError
	// ToolDenyHTTP403 answers with HTTP 403 and a JSON-RPC error body.
	ToolDenyHTTP403
)

// DenyOptions shapes denials.
type DenyOptions struct {
	// Code is the JSON-RPC error code. Default -32010.
	Code int
	// Message is the JSON-RPC error message. Default "Unauthorized".
	Message string
	// ExposeReason puts the denial reason in the error's data member (and
	// the tool result's text). Reasons never include internal error text.
	ExposeReason bool
	// ToolCall selects how tools/call denials look. Default ToolDenyResult.
	ToolCall ToolDenyStyle
	// Handler, when set, writes every denial instead of the built-in
	// responses.
	Handler DenyHandler
}

// DenyHandler writes the response for a denied request.
type DenyHandler func(w http.ResponseWriter, r *http.Request, d *Denial)

// CacheOptions configures the decision cache.
type CacheOptions struct {
	// Size bounds the number of cached decisions. Default 10,000. A negative
	// size disables the cache.
	Size int
	// AllowTTL is how long an allow is reused. Default 60 s.
	AllowTTL time.Duration
	// DenyTTL is how long a deny is reused. Default 10 s.
	DenyTTL time.Duration
	// PDPTimeout bounds one (possibly shared) decision point call. Default 5 s.
	PDPTimeout time.Duration
}

// MappingFunc maps a decoded JSON-RPC request to a [Check]. It returns
// ok=false when the request needs no check. It returns an error wrapping
// [ErrNoMapping] for a method it cannot map; the request is then denied.
type MappingFunc func(ctx context.Context, req *Request) (c *Check, ok bool, err error)
