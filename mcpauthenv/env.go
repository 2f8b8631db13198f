// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthenv

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// Var describes one environment variable read by [FromEnv] and
// [FromLookup].
type Var struct {
	// Name is the variable's canonical (upper-case) name. Names are matched
	// case-insensitively by FromEnv and LoadFile.
	Name string
	// Field is the option it sets, such as "Options.ServerName" or
	// "PermitOptions.APIKey".
	Field string
	// Default describes the value used when the variable is unset.
	Default string
	// Doc says what the variable does and which values it accepts.
	Doc string
	// Secret marks variables whose values never appear in errors.
	Secret bool
}

// envState is what the variables are applied to.
type envState struct {
	o  *mcpauth.Options
	po *mcpauth.PermitOptions

	sourceMode        bool     // identity_mode=source
	emptyResourcePfx  bool     // resource_prefix set to ""
	knownMethods      []string // nil when unset
	knownMethodsIsSet bool
	jwtSecret, jwtPEM []byte // applied in jwt mode only
}

type envVar struct {
	Var
	// keepEmpty: an empty value is a value, not "unset".
	keepEmpty bool
	apply     func(s *envState, v string) error
}

// envFastMCPHeaderRegex is permit-fastmcp's default identity_header_regex;
// anchored as re.match anchors it, it is mcpauth.DefaultHeaderRegex.
const envFastMCPHeaderRegex = `[Bb]earer (.+)`

// envKnownMethodsDefault is permit-fastmcp's default known_methods.
var envKnownMethodsDefault = mcpspec.Names(func(m mcpspec.Method) bool { return m.FastMCPKnown })

// envBuiltinMethods are the methods the built-in mapping has rules for.
var envBuiltinMethods = mcpspec.Names(func(m mcpspec.Method) bool { return m.Mapped })

var envJWTAlgorithms = []string{
	"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
}

func envJSONList(l []string) string {
	b, _ := json.Marshal(l)
	return string(b)
}

func envString(set func(s *envState, v string)) func(*envState, string) error {
	return func(s *envState, v string) error { set(s, v); return nil }
}

func envBoolVar(set func(s *envState, b bool)) func(*envState, string) error {
	return func(s *envState, v string) error {
		b, err := parseEnvBool(v)
		if err != nil {
			return err
		}
		set(s, b)
		return nil
	}
}

func envListVar(set func(s *envState, l []string)) func(*envState, string) error {
	return func(s *envState, v string) error {
		l, err := parseEnvList(v)
		if err != nil {
			return err
		}
		set(s, l)
		return nil
	}
}

func envDurationVar(set func(s *envState, d time.Duration)) func(*envState, string) error {
	return func(s *envState, v string) error {
		d, err := parseEnvDuration(v)
		if err != nil {
			return err
		}
		set(s, d)
		return nil
	}
}

func envURLVar(set func(s *envState, u string)) func(*envState, string) error {
	return func(s *envState, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("is not an absolute http or https URL")
		}
		set(s, v)
		return nil
	}
}

func envChoiceVar[T any](choices map[string]T, set func(s *envState, c T)) func(*envState, string) error {
	return func(s *envState, v string) error {
		c, ok := choices[strings.ToLower(strings.TrimSpace(v))]
		if !ok {
			keys := make([]string, 0, len(choices))
			for k := range choices {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			return fmt.Errorf("%s is not one of %s", quoteEnvValue(v), strings.Join(keys, ", "))
		}
		set(s, c)
		return nil
	}
}

// envTable lists every variable, in the order they are applied (a later
// variable overrides an earlier one setting the same field).
var envTable = []envVar{
	// permit-fastmcp's settings (PERMIT_MCP_ + the upper-case option name).
	{Var: Var{
		Name: "PERMIT_MCP_KNOWN_METHODS", Field: "Options.Mapping", Default: envJSONList(envKnownMethodsDefault),
		Doc: "JSON list of methods mapped to {server}_{component} and a verb. Methods of the built-in mapping " +
			"may be listed; any other \"component/verb\" method is mapped as permit-fastmcp does (type {server}_{component}, " +
			"action = ACTION_PREFIX + verb); a method of the default list left out is treated as an unknown method " +
			"(see PERMIT_MCP_UNKNOWN_METHODS). tools/call is always mapped. When the list changes nothing, no Mapping is installed.",
	}, apply: envListVar(func(s *envState, l []string) { s.knownMethods, s.knownMethodsIsSet = l, true })},
	{Var: Var{
		Name: "PERMIT_MCP_BYPASSED_METHODS", Field: "Options.BypassMethods", Default: envJSONList(mcpauth.DefaultBypassMethods),
		Doc: "JSON list of method patterns passed on without identity or a check, matched like Python's fnmatch " +
			"(permit-fastmcp): * matches any characters including /, ? one character, [...] and [!...] a class; " +
			"case-sensitive, no escapes. [] bypasses nothing.",
	}, apply: envListVar(func(s *envState, l []string) { s.o.BypassMethods = l })},
	{Var: Var{
		Name: "PERMIT_MCP_ACTION_PREFIX", Field: "Options.ActionPrefix", Default: `""`,
		Doc: "Prefix of the action of every method except tools/call.",
	}, apply: envString(func(s *envState, v string) { s.o.ActionPrefix = v })},
	{Var: Var{
		Name: "PERMIT_MCP_RESOURCE_PREFIX", Field: "Options.ResourcePrefix", Default: mcpauth.DefaultResourcePrefix,
		Doc: "Prefix of resource types when PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME is false. " +
			"An empty prefix is refused in that case.",
	}, keepEmpty: true, apply: func(s *envState, v string) error {
		s.o.ResourcePrefix, s.emptyResourcePfx = v, v == ""
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_MCP_SERVER_NAME", Field: "Options.ServerName", Default: mcpauth.DefaultServerName,
		Doc: "Resource type of tools/call and prefix of the other resource types.",
	}, apply: envString(func(s *envState, v string) { s.o.ServerName = v })},
	{Var: Var{
		Name: "PERMIT_PDP_URL", Field: "PermitOptions.PDPURL", Default: mcpauth.DefaultPDPURL,
		Doc: "URL of the Permit PDP (the name the original example runner reads). PERMIT_MCP_PERMIT_PDP_URL wins when both are set.",
	}, apply: envURLVar(func(s *envState, v string) { s.po.PDPURL = v })},
	{Var: Var{
		Name: "PERMIT_MCP_PERMIT_PDP_URL", Field: "PermitOptions.PDPURL", Default: mcpauth.DefaultPDPURL,
		Doc: "URL of the Permit PDP (ignored by permit-fastmcp; honoured here).",
	}, apply: envURLVar(func(s *envState, v string) { s.po.PDPURL = v })},
	{Var: Var{
		Name: "PERMIT_API_KEY", Field: "PermitOptions.APIKey", Default: "none (required by NewPermit)", Secret: true,
		Doc: "Permit environment API key (the name the original example runner reads). PERMIT_MCP_PERMIT_API_KEY wins when both are set.",
	}, apply: envString(func(s *envState, v string) { s.po.APIKey = v })},
	{Var: Var{
		Name: "PERMIT_MCP_PERMIT_API_KEY", Field: "PermitOptions.APIKey", Default: "none (required by NewPermit)", Secret: true,
		Doc: "Permit environment API key (ignored by permit-fastmcp; honoured here).",
	}, apply: envString(func(s *envState, v string) { s.po.APIKey = v })},
	{Var: Var{
		Name: "PERMIT_MCP_ENABLE_AUDIT_LOGGING", Field: "Options.DisableAudit", Default: "true",
		Doc: "Boolean; false turns the per-decision audit record off (ignored by permit-fastmcp; honoured here).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.DisableAudit = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_MODE", Field: "Options.Identity.Mode", Default: "fixed",
		Doc: "fixed, header, jwt or context. permit-fastmcp's \"source\" mode, whose user is always FastMCP's " +
			"constant source \"client\", is accepted and maps to fixed mode with user \"client\" " +
			"(PERMIT_MCP_IDENTITY_FIXED_VALUE is then ignored, as in the original).",
	}, apply: envChoiceVar(map[string]mcpauth.IdentityMode{
		"fixed": mcpauth.IdentityFixed, "header": mcpauth.IdentityHeader, "jwt": mcpauth.IdentityJWT, "context": mcpauth.IdentityContext, "source": -1,
	}, func(s *envState, m mcpauth.IdentityMode) {
		s.sourceMode = m < 0
		if s.sourceMode {
			m = mcpauth.IdentityFixed
		}
		s.o.Identity.Mode = m
	})},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_HEADER", Field: "Options.Identity.Header", Default: mcpauth.DefaultIdentityHeader,
		Doc: "Request header read in header and jwt modes.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.Header = v })},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_HEADER_REGEX", Field: "Options.Identity.HeaderRegex", Default: "`" + envFastMCPHeaderRegex + "` (jwt mode)",
		Doc: "Regular expression (Go RE2 syntax) extracting the credential from the header: its first group. " +
			"Like Python's re.match it is anchored at the start (^ is added when missing); it must have a capture group. " +
			"permit-fastmcp's default becomes DefaultHeaderRegex.",
	}, apply: func(s *envState, v string) error {
		if v == envFastMCPHeaderRegex {
			s.o.Identity.HeaderRegex = mcpauth.DefaultHeaderRegex
			return nil
		}
		if !strings.HasPrefix(v, "^") {
			v = "^(?:" + v + ")"
		}
		re, err := regexp.Compile(v)
		if err != nil {
			return fmt.Errorf("is not a valid regular expression: %v", err)
		}
		if re.NumSubexp() < 1 {
			return errors.New("has no capture group")
		}
		s.o.Identity.HeaderRegex = v
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_JWT_SECRET", Field: "Options.Identity.JWT.Secret or .PublicKeyPEM", Default: "none", Secret: true,
		Doc: "HMAC secret, or a PEM public key or certificate when the value starts with \"-----BEGIN\" " +
			"(literal \\n sequences are accepted as line breaks). A private key is refused. Used in jwt mode only, " +
			"as in permit-fastmcp (New refuses a JWT key in other modes).",
	}, apply: func(s *envState, v string) error {
		if !strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
			s.jwtSecret = []byte(v)
			return nil
		}
		v = strings.TrimSpace(v)
		if !strings.Contains(v, "\n") {
			v = strings.ReplaceAll(v, `\n`, "\n")
		}
		block, _ := pem.Decode([]byte(v))
		if block == nil {
			return errors.New("starts like PEM but holds no valid PEM block")
		}
		if strings.Contains(block.Type, "PRIVATE") {
			return errors.New("holds a private key; give the public key or certificate")
		}
		s.jwtPEM = []byte(v)
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_JWT_FIELD", Field: "Options.Identity.JWT.Claim", Default: mcpauth.DefaultJWTClaim,
		Doc: "JWT claim used as the user key.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.JWT.Claim = v })},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_FIXED_VALUE", Field: "Options.Identity.FixedUser", Default: mcpauth.DefaultFixedUser,
		Doc: "User key in fixed mode.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.FixedUser = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_ALGORITHMS", Field: "Options.Identity.JWT.Algorithms",
		Default: "HS256 for a secret; the algorithms of the key type for a public key",
		Doc: "JSON list of accepted \"alg\" values (" + strings.Join(envJWTAlgorithms, ", ") + "). Unlike " +
			"permit-fastmcp's [\"HS256\",\"RS256\"] default, one key never serves both HMAC and public-key algorithms: " +
			"in jwt mode, only the listed algorithms of the key's family are kept (HS* for a secret, the others for a PEM key or JWKS).",
	}, apply: func(s *envState, v string) error {
		l, err := parseEnvList(v)
		if err != nil {
			return err
		}
		for _, a := range l {
			if !slices.Contains(envJWTAlgorithms, a) {
				return fmt.Errorf("has the unsupported algorithm %s", quoteEnvValue(a))
			}
		}
		s.o.Identity.JWT.Algorithms = l
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME", Field: "Options.NoServerPrefix (inverted)", Default: "true",
		Doc: "Boolean; false prefixes resource types with PERMIT_MCP_RESOURCE_PREFIX instead of the server name.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.NoServerPrefix = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_FLATTEN_TOOL_ARGUMENTS", Field: "Options.NestedArguments (inverted)", Default: "true",
		Doc: "Boolean; false sends tool arguments as one nested \"arguments\" attribute.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.NestedArguments = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_TOOL_ARGUMENT_PREFIX", Field: "Options.ArgumentPrefix / Options.NoArgumentPrefix", Default: mcpauth.DefaultArgumentPrefix,
		Doc: "Prefix of flattened argument attributes; the empty string means no prefix.",
	}, keepEmpty: true, apply: func(s *envState, v string) error {
		s.o.ArgumentPrefix, s.o.NoArgumentPrefix = v, v == ""
		return nil
	}},

	// Options the original does not have.
	{Var: Var{
		Name: "PERMIT_MCP_TENANT", Field: "Options.Tenant.Fixed", Default: mcpauth.DefaultTenant,
		Doc: "Tenant of every check (when no claim or header source is set, or as their fallback).",
	}, apply: envString(func(s *envState, v string) { s.o.Tenant.Fixed = v })},
	{Var: Var{
		Name: "PERMIT_MCP_TENANT_CLAIM", Field: "Options.Tenant.Claim", Default: "none",
		Doc: "JWT claim (jwt mode) or principal attribute (context mode) holding the tenant.",
	}, apply: envString(func(s *envState, v string) { s.o.Tenant.Claim = v })},
	{Var: Var{
		Name: "PERMIT_MCP_TENANT_HEADER", Field: "Options.Tenant.Header", Default: "none",
		Doc: "Request header holding the tenant.",
	}, apply: envString(func(s *envState, v string) { s.o.Tenant.Header = v })},
	{Var: Var{
		Name: "PERMIT_MCP_TENANT_REQUIRED", Field: "Options.Tenant.Required", Default: "false",
		Doc: "Boolean; true denies a request whose tenant claim or header is missing instead of using PERMIT_MCP_TENANT.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Tenant.Required = b })},
	{Var: Var{
		Name: "PERMIT_MCP_JWKS_URL", Field: "Options.Identity.JWT.JWKSURL", Default: "none",
		Doc: "URL of a JWKS to verify JWTs with (keys are cached and refreshed).",
	}, apply: envURLVar(func(s *envState, v string) { s.o.Identity.JWT.JWKSURL = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWKS_REFRESH", Field: "Options.Identity.JWT.JWKSRefresh", Default: "10m",
		Doc: "How long fetched JWKS keys are reused (Go duration such as 10m, or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Identity.JWT.JWKSRefresh = d })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_ISSUER", Field: "Options.Identity.JWT.Issuer", Default: "none (not checked)",
		Doc: "Required value of the \"iss\" claim.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.JWT.Issuer = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_AUDIENCE", Field: "Options.Identity.JWT.Audience", Default: "none (not checked)",
		Doc: "Value the \"aud\" claim must contain.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.JWT.Audience = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_LEEWAY", Field: "Options.Identity.JWT.Leeway", Default: mcpauth.DefaultJWTLeeway.String(),
		Doc: "Clock skew tolerated for exp, nbf and iat (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Identity.JWT.Leeway = d })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_REQUIRE_EXPIRY", Field: "Options.Identity.JWT.AllowNoExpiry (inverted)", Default: "true",
		Doc: "Boolean; false accepts JWTs without an \"exp\" claim (they are rejected by default).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Identity.JWT.AllowNoExpiry = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_ALLOW_UNKNOWN_USER", Field: "Options.Identity.AllowUnknown", Default: "false",
		Doc: "Boolean; true checks requests without a valid identity as user \"unknown\" (permit-fastmcp's behaviour) instead of answering 401.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Identity.AllowUnknown = b })},
	{Var: Var{
		Name: "PERMIT_MCP_RESOURCE_METADATA_URL", Field: "Options.Identity.ResourceMetadataURL", Default: "none",
		Doc: "Protected resource metadata URL (RFC 9728) advertised in 401 challenges.",
	}, apply: envURLVar(func(s *envState, v string) { s.o.Identity.ResourceMetadataURL = v })},
	{Var: Var{
		Name: "PERMIT_MCP_PUBLIC_TOOLS", Field: "Options.PublicTools", Default: "[]",
		Doc: "JSON list of tools whose calls need neither identity nor a check (such as a login tool).",
	}, apply: envListVar(func(s *envState, l []string) { s.o.PublicTools = l })},
	{Var: Var{
		Name: "PERMIT_MCP_UNKNOWN_METHODS", Field: "Options.UnknownMethods", Default: "deny",
		Doc: "deny, or access to check methods without a rule as {server}_method:<m> / access as permit-fastmcp does.",
	}, apply: envChoiceVar(map[string]mcpauth.UnknownMethodPolicy{"deny": mcpauth.UnknownDeny, "access": mcpauth.UnknownCheckAccess},
		func(s *envState, p mcpauth.UnknownMethodPolicy) { s.o.UnknownMethods = p })},
	{Var: Var{
		Name: "PERMIT_MCP_ARGUMENT_COLLISION", Field: "Options.ArgumentCollision", Default: "deny",
		Doc: "deny or rename: what happens to an argument whose attribute name would overwrite a built-in attribute.",
	}, apply: envChoiceVar(map[string]mcpauth.ArgumentCollision{"deny": mcpauth.CollisionDeny, "rename": mcpauth.CollisionRename},
		func(s *envState, c mcpauth.ArgumentCollision) { s.o.ArgumentCollision = c })},
	{Var: Var{
		Name: "PERMIT_MCP_LEGACY_RESOURCE_TYPES", Field: "Options.LegacyResourceTypes", Default: "false",
		Doc: "Boolean; true uses permit-fastmcp's {server}_resources:<uri> and {server}_prompts:<name> resource types.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.LegacyResourceTypes = b })},
	{Var: Var{
		Name: "PERMIT_MCP_MAX_BODY_BYTES", Field: "Options.MaxBodyBytes", Default: strconv.Itoa(mcpauth.DefaultMaxBodyBytes),
		Doc: "Largest request body read, in bytes (positive integer); larger bodies get HTTP 413.",
	}, apply: func(s *envState, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s is not a positive integer", quoteEnvValue(v))
		}
		s.o.MaxBodyBytes = n
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_ALLOW_BATCH", Field: "Options.AllowBatch", Default: "false",
		Doc: "Boolean; true authorizes every element of JSON-RPC batches instead of rejecting them.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AllowBatch = b })},
	{Var: Var{
		Name: "PERMIT_MCP_DENY_CODE", Field: "Options.Deny.Code", Default: strconv.Itoa(mcpauth.DefaultDenyCode),
		Doc: "JSON-RPC error code of denials (integer).",
	}, apply: func(s *envState, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n == 0 {
			return fmt.Errorf("%s is not a non-zero 32-bit integer", quoteEnvValue(v))
		}
		s.o.Deny.Code = int(n)
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_DENY_MESSAGE", Field: "Options.Deny.Message", Default: mcpauth.DefaultDenyMessage,
		Doc: "JSON-RPC error message of denials.",
	}, apply: envString(func(s *envState, v string) { s.o.Deny.Message = v })},
	{Var: Var{
		Name: "PERMIT_MCP_TOOL_DENY", Field: "Options.Deny.ToolCall", Default: "result",
		Doc: "How a denied tools/call is answered: result (a tool result with isError), error (a JSON-RPC error) or http403.",
	}, apply: envChoiceVar(map[string]mcpauth.ToolDenyStyle{"result": mcpauth.ToolDenyResult, "error": mcpauth.ToolDenyError, "http403": mcpauth.ToolDenyHTTP403},
		func(s *envState, t mcpauth.ToolDenyStyle) { s.o.Deny.ToolCall = t })},
	{Var: Var{
		Name: "PERMIT_MCP_EXPOSE_DENY_REASON", Field: "Options.Deny.ExposeReason", Default: "false",
		Doc: "Boolean; true puts the denial reason in the error data and tool result text.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Deny.ExposeReason = b })},
	{Var: Var{
		Name: "PERMIT_MCP_AUDIT_ARGUMENTS", Field: "Options.AuditArguments", Default: "false",
		Doc: "Boolean; true includes tool argument values in audit records.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AuditArguments = b })},
	{Var: Var{
		Name: "PERMIT_MCP_DECISION_CACHE_SIZE", Field: "Options.Cache.Size", Default: strconv.Itoa(mcpauth.DefaultCacheSize),
		Doc: "Number of cached decisions (non-negative integer); 0 disables the cache.",
	}, apply: func(s *envState, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("%s is not a non-negative integer", quoteEnvValue(v))
		}
		if n == 0 {
			n = -1
		}
		s.o.Cache.Size = n
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_CACHE_ALLOW_TTL", Field: "Options.Cache.AllowTTL", Default: mcpauth.DefaultAllowTTL.String(),
		Doc: "How long an allow is reused (Go duration such as 30s, or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Cache.AllowTTL = d })},
	{Var: Var{
		Name: "PERMIT_MCP_CACHE_DENY_TTL", Field: "Options.Cache.DenyTTL", Default: mcpauth.DefaultDenyTTL.String(),
		Doc: "How long a deny is reused (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Cache.DenyTTL = d })},
	{Var: Var{
		Name: "PERMIT_MCP_PDP_TIMEOUT", Field: "PermitOptions.Timeout and Options.Cache.PDPTimeout", Default: mcpauth.DefaultPDPTimeout.String(),
		Doc: "Bound of one decision point request (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.po.Timeout, s.o.Cache.PDPTimeout = d, d })},
	{Var: Var{
		Name: "PERMIT_MCP_DISABLE_LIST_FILTERING", Field: "Options.DisableListFiltering", Default: "false",
		Doc: "Boolean; true turns per-item filtering off (list requests are then checked as a whole, as with PERMIT_MCP_COARSE_LIST_CHECK).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.DisableListFiltering = b })},
	{Var: Var{
		Name: "PERMIT_MCP_COARSE_LIST_CHECK", Field: "Options.CoarseListCheck", Default: "false",
		Doc: "Boolean; true also checks each list request as a whole ({server}_{kind} / list), as permit-fastmcp does.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.CoarseListCheck = b })},
	{Var: Var{
		Name: "PERMIT_MCP_ALLOW_AMBIGUOUS_TOOLS", Field: "Options.AllowAmbiguousTools", Default: "false",
		Doc: "Boolean; true lets calls through to tools whose action another listed tool shares (names differing only in '.', '/', '_' and '-').",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AllowAmbiguousTools = b })},
}

// Vars returns every environment variable [FromEnv] reads, in the order
// they are applied.
func Vars() []Var {
	out := make([]Var, len(envTable))
	for i, v := range envTable {
		out[i] = v.Var
	}
	return out
}

// FromEnv reads the middleware and Permit options from the process
// environment; see [FromLookup]. Names are matched
// case-insensitively (two spellings of one name with different values are
// an error). A .env file is read only when asked, with [LoadFile].
func FromEnv() (*mcpauth.Options, *mcpauth.PermitOptions, error) {
	env, err := envFold(os.Environ())
	if err != nil {
		return nil, nil, err
	}
	return FromLookup(env.lookup)
}

// FromLookup builds options from the variables listed by [Vars]:
// permit-fastmcp's PERMIT_MCP_* settings (all of them, including the three
// the original ignores: PERMIT_MCP_PERMIT_PDP_URL, PERMIT_MCP_PERMIT_API_KEY
// and PERMIT_MCP_ENABLE_AUDIT_LOGGING), the example runner's PERMIT_PDP_URL
// and PERMIT_API_KEY, and names for the options the original lacks. lookup
// is called with each canonical (upper-case) name, as os.LookupEnv is.
//
// Values follow pydantic-settings: lists are JSON ('["a","b"]'), booleans
// are true/false, 1/0, yes/no, on/off, t/f or y/n in any case; durations
// are Go durations ("1m30s") or a number of seconds. A variable set to the
// empty string counts as unset, except PERMIT_MCP_TOOL_ARGUMENT_PREFIX and
// PERMIT_MCP_RESOURCE_PREFIX, where the empty string is a value.
//
// When PERMIT_MCP_KNOWN_METHODS changes the mapping, mcpauth.Options.Mapping is set
// to [mcpauth.DefaultMapping] of the options as read, wrapped; changing ServerName
// or the prefixes afterwards does not change it.
//
// A bad value is an error naming the variable; the values of secrets (API
// key, JWT secret) never appear in errors. The returned mcpauth.PermitOptions has
// an empty APIKey when none is set: [mcpauth.NewPermit] then refuses it.
func FromLookup(lookup func(string) (string, bool)) (*mcpauth.Options, *mcpauth.PermitOptions, error) {
	s := &envState{o: &mcpauth.Options{}, po: &mcpauth.PermitOptions{}}
	for _, v := range envTable {
		val, ok := lookup(v.Name)
		if !ok || (val == "" && !v.keepEmpty) {
			continue
		}
		if err := v.apply(s, val); err != nil {
			return nil, nil, fmt.Errorf("mcpauthenv: %s %s", v.Name, err)
		}
	}
	if s.sourceMode {
		s.o.Identity.FixedUser = mcpauth.DefaultFixedUser
	}
	if s.o.Identity.Mode == mcpauth.IdentityJWT {
		s.o.Identity.JWT.Secret, s.o.Identity.JWT.PublicKeyPEM = s.jwtSecret, s.jwtPEM
		if err := envFitAlgorithms(&s.o.Identity.JWT); err != nil {
			return nil, nil, err
		}
	}
	if s.emptyResourcePfx && s.o.NoServerPrefix {
		return nil, nil, errors.New("mcpauthenv: PERMIT_MCP_RESOURCE_PREFIX is empty, which Options cannot express; " +
			"leave PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME true or set a prefix")
	}
	if s.emptyResourcePfx {
		s.o.ResourcePrefix = ""
	}
	if s.knownMethodsIsSet {
		m, err := envKnownMethodsMapping(s.o, s.knownMethods)
		if err != nil {
			return nil, nil, fmt.Errorf("mcpauthenv: PERMIT_MCP_KNOWN_METHODS %w", err)
		}
		s.o.Mapping = m
	}
	return s.o, s.po, nil
}

// envFitAlgorithms keeps, of the configured algorithms, those of the key's
// family: permit-fastmcp lists HS256 and RS256 for one key string, but a
// key serves either HMAC or public-key algorithms, never both.
func envFitAlgorithms(j *mcpauth.JWTOptions) error {
	if j.Algorithms == nil {
		return nil
	}
	hmac := j.Secret != nil
	if !hmac && j.PublicKeyPEM == nil && j.JWKSURL == "" {
		return nil
	}
	var fit []string
	for _, a := range j.Algorithms {
		if strings.HasPrefix(a, "HS") == hmac {
			fit = append(fit, a)
		}
	}
	if len(fit) == 0 {
		kind := "a public key"
		if hmac {
			kind = "an HMAC secret"
		}
		return fmt.Errorf("mcpauthenv: PERMIT_MCP_JWT_ALGORITHMS has no algorithm for %s", kind)
	}
	j.Algorithms = fit
	return nil
}

// envKnownMethodsMapping returns a Mapping that honours permit-fastmcp's
// known_methods over the built-in mapping, or nil when the list changes
// nothing.
func envKnownMethodsMapping(o *mcpauth.Options, known []string) (mcpauth.MappingFunc, error) {
	extra := map[string][2]string{} // method -> component, verb
	for _, m := range known {
		if slices.Contains(envBuiltinMethods, m) {
			continue
		}
		component, verb, ok := strings.Cut(m, "/")
		if !ok || component == "" || verb == "" || strings.Contains(verb, "/") {
			return nil, fmt.Errorf("has %s, which is not of the form component/verb", quoteEnvValue(m))
		}
		extra[m] = [2]string{component, verb}
	}
	var dropped []string
	for _, m := range envKnownMethodsDefault {
		if m != mcpauth.MethodToolsCall && !slices.Contains(known, m) {
			dropped = append(dropped, m)
		}
	}
	if len(extra) == 0 && len(dropped) == 0 {
		return nil, nil
	}
	base := mcpauth.DefaultMapping(o)
	typePrefix := o.ServerName
	if typePrefix == "" {
		typePrefix = mcpauth.DefaultServerName
	}
	typePrefix += "_"
	if o.NoServerPrefix {
		typePrefix = o.ResourcePrefix
		if typePrefix == "" {
			typePrefix = mcpauth.DefaultResourcePrefix
		}
	}
	actionPrefix := o.ActionPrefix
	unknownPolicy := o.UnknownMethods
	return func(ctx context.Context, r *mcpauth.Request) (*mcpauth.Check, bool, error) {
		if cv, ok := extra[r.Method]; ok {
			attrs := map[string]any{mcpauth.AttrMCPMethod: r.Method, mcpauth.AttrResourceType: cv[0]}
			args := r.Arguments
			if args == nil {
				args = map[string]any{}
			}
			attrs[mcpauth.AttrArguments] = args
			c := &mcpauth.Check{
				Action:   actionPrefix + cv[1],
				Resource: mcpauth.Resource{Type: typePrefix + cv[0], Tenant: r.Tenant, Attributes: attrs},
			}
			if r.Identity != nil {
				c.User = r.Identity.User
			}
			return c, true, nil
		}
		if slices.Contains(dropped, r.Method) {
			if unknownPolicy != mcpauth.UnknownCheckAccess {
				return nil, false, fmt.Errorf("%w %q (not in PERMIT_MCP_KNOWN_METHODS)", mcpauth.ErrNoMapping, r.Method)
			}
			c := &mcpauth.Check{
				Action: "access",
				Resource: mcpauth.Resource{
					Type: typePrefix + "method:" + r.Method, Tenant: r.Tenant,
					Attributes: map[string]any{mcpauth.AttrMCPMethod: r.Method, mcpauth.AttrResourceType: "unknown"},
				},
			}
			if r.Identity != nil {
				c.User = r.Identity.User
			}
			return c, true, nil
		}
		return base(ctx, r)
	}, nil
}

func parseEnvBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "t", "yes", "y", "on":
		return true, nil
	case "0", "false", "f", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s is not a boolean (true/false, 1/0, yes/no, on/off)", quoteEnvValue(v))
}

func parseEnvList(v string) ([]string, error) {
	var l []string
	dec := json.NewDecoder(strings.NewReader(v))
	if err := dec.Decode(&l); err != nil || dec.More() || l == nil {
		return nil, fmt.Errorf("%s is not a JSON list of strings such as [\"a\",\"b\"]", quoteEnvValue(v))
	}
	for _, s := range l {
		if s == "" {
			return nil, errors.New("has an empty element")
		}
	}
	return l, nil
}

func parseEnvDuration(v string) (time.Duration, error) {
	t := strings.TrimSpace(v)
	d, err := time.ParseDuration(t)
	if err != nil {
		f, ferr := strconv.ParseFloat(t, 64)
		if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || f*float64(time.Second) > math.MaxInt64 {
			return 0, fmt.Errorf("%s is not a duration (such as 30s or 1m) or a number of seconds", quoteEnvValue(v))
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s is not a positive duration", quoteEnvValue(v))
	}
	return d, nil
}

// quoteEnvValue quotes a non-secret value for an error message, shortened.
func quoteEnvValue(v string) string {
	const max = 64
	if len(v) > max {
		v = v[:max] + "..."
	}
	return strconv.Quote(v)
}

// envFolded is an environment with case-insensitive names.
type envFolded map[string]string

func (e envFolded) lookup(name string) (string, bool) {
	v, ok := e[strings.ToUpper(name)]
	return v, ok
}

// envFold folds "NAME=value" entries. Where several spellings of a
// PERMIT_ name have different values, the upper-case spelling wins, and
// without one it is an error.
func envFold(entries []string) (envFolded, error) {
	type entry struct {
		name, value string
		exact       bool
		conflict    string
	}
	seen := map[string]*entry{}
	for _, kv := range entries {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		up := strings.ToUpper(name)
		e, dup := seen[up]
		switch {
		case !dup:
			seen[up] = &entry{name: name, value: value, exact: name == up}
		case name == up:
			e.name, e.value, e.exact, e.conflict = name, value, true, ""
		case !e.exact && e.value != value && e.conflict == "":
			e.conflict = name
		}
	}
	out := make(envFolded, len(seen))
	for up, e := range seen {
		if e.conflict != "" && strings.HasPrefix(up, "PERMIT_") {
			return nil, fmt.Errorf("mcpauthenv: environment variables %s and %s are both set, with different values", e.name, e.conflict)
		}
		out[up] = e.value
	}
	return out, nil
}
