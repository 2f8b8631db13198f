// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bufio"
	"bytes"
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
	"unicode"

	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// EnvVar describes one environment variable read by [OptionsFromEnv] and
// [OptionsFromLookup].
type EnvVar struct {
	// Name is the variable's canonical (upper-case) name. Names are matched
	// case-insensitively by OptionsFromEnv and LoadEnvFile.
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
	o  *Options
	po *PermitOptions

	sourceMode        bool     // identity_mode=source
	emptyResourcePfx  bool     // resource_prefix set to ""
	knownMethods      []string // nil when unset
	knownMethodsIsSet bool
	jwtSecret, jwtPEM []byte // applied in jwt mode only
}

type envVar struct {
	EnvVar
	// keepEmpty: an empty value is a value, not "unset".
	keepEmpty bool
	apply     func(s *envState, v string) error
}

// envFastMCPHeaderRegex is permit-fastmcp's default identity_header_regex;
// anchored as re.match anchors it, it is DefaultHeaderRegex.
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
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_KNOWN_METHODS", Field: "Options.Mapping", Default: envJSONList(envKnownMethodsDefault),
		Doc: "JSON list of methods mapped to {server}_{component} and a verb. Methods of the built-in mapping " +
			"may be listed; any other \"component/verb\" method is mapped as permit-fastmcp does (type {server}_{component}, " +
			"action = ACTION_PREFIX + verb); a method of the default list left out is treated as an unknown method " +
			"(see PERMIT_MCP_UNKNOWN_METHODS). tools/call is always mapped. When the list changes nothing, no Mapping is installed.",
	}, apply: envListVar(func(s *envState, l []string) { s.knownMethods, s.knownMethodsIsSet = l, true })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_BYPASSED_METHODS", Field: "Options.BypassMethods", Default: envJSONList(DefaultBypassMethods),
		Doc: "JSON list of method patterns passed on without identity or a check, matched like Python's fnmatch " +
			"(permit-fastmcp): * matches any characters including /, ? one character, [...] and [!...] a class; " +
			"case-sensitive, no escapes. [] bypasses nothing.",
	}, apply: envListVar(func(s *envState, l []string) { s.o.BypassMethods = l })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_ACTION_PREFIX", Field: "Options.ActionPrefix", Default: `""`,
		Doc: "Prefix of the action of every method except tools/call.",
	}, apply: envString(func(s *envState, v string) { s.o.ActionPrefix = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_RESOURCE_PREFIX", Field: "Options.ResourcePrefix", Default: DefaultResourcePrefix,
		Doc: "Prefix of resource types when PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME is false. " +
			"An empty prefix is refused in that case.",
	}, keepEmpty: true, apply: func(s *envState, v string) error {
		s.o.ResourcePrefix, s.emptyResourcePfx = v, v == ""
		return nil
	}},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_MCP_SERVER_NAME", Field: "Options.ServerName", Default: DefaultServerName,
		Doc: "Resource type of tools/call and prefix of the other resource types.",
	}, apply: envString(func(s *envState, v string) { s.o.ServerName = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_PDP_URL", Field: "PermitOptions.PDPURL", Default: DefaultPDPURL,
		Doc: "URL of the Permit PDP (the name the original example runner reads). PERMIT_MCP_PERMIT_PDP_URL wins when both are set.",
	}, apply: envURLVar(func(s *envState, v string) { s.po.PDPURL = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_PERMIT_PDP_URL", Field: "PermitOptions.PDPURL", Default: DefaultPDPURL,
		Doc: "URL of the Permit PDP (ignored by permit-fastmcp; honoured here).",
	}, apply: envURLVar(func(s *envState, v string) { s.po.PDPURL = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_API_KEY", Field: "PermitOptions.APIKey", Default: "none (required by NewPermit)", Secret: true,
		Doc: "Permit environment API key (the name the original example runner reads). PERMIT_MCP_PERMIT_API_KEY wins when both are set.",
	}, apply: envString(func(s *envState, v string) { s.po.APIKey = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_PERMIT_API_KEY", Field: "PermitOptions.APIKey", Default: "none (required by NewPermit)", Secret: true,
		Doc: "Permit environment API key (ignored by permit-fastmcp; honoured here).",
	}, apply: envString(func(s *envState, v string) { s.po.APIKey = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_ENABLE_AUDIT_LOGGING", Field: "Options.DisableAudit", Default: "true",
		Doc: "Boolean; false turns the per-decision audit record off (ignored by permit-fastmcp; honoured here).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.DisableAudit = !b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_IDENTITY_MODE", Field: "Options.Identity.Mode", Default: "fixed",
		Doc: "fixed, header, jwt or context. permit-fastmcp's \"source\" mode, whose user is always FastMCP's " +
			"constant source \"client\", is accepted and maps to fixed mode with user \"client\" " +
			"(PERMIT_MCP_IDENTITY_FIXED_VALUE is then ignored, as in the original).",
	}, apply: envChoiceVar(map[string]IdentityMode{
		"fixed": IdentityFixed, "header": IdentityHeader, "jwt": IdentityJWT, "context": IdentityContext, "source": -1,
	}, func(s *envState, m IdentityMode) {
		s.sourceMode = m < 0
		if s.sourceMode {
			m = IdentityFixed
		}
		s.o.Identity.Mode = m
	})},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_IDENTITY_HEADER", Field: "Options.Identity.Header", Default: DefaultIdentityHeader,
		Doc: "Request header read in header and jwt modes.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.Header = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_IDENTITY_HEADER_REGEX", Field: "Options.Identity.HeaderRegex", Default: "`" + envFastMCPHeaderRegex + "` (jwt mode)",
		Doc: "Regular expression (Go RE2 syntax) extracting the credential from the header: its first group. " +
			"Like Python's re.match it is anchored at the start (^ is added when missing); it must have a capture group. " +
			"permit-fastmcp's default becomes DefaultHeaderRegex.",
	}, apply: func(s *envState, v string) error {
		if v == envFastMCPHeaderRegex {
			s.o.Identity.HeaderRegex = DefaultHeaderRegex
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
	{EnvVar: EnvVar{
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
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_IDENTITY_JWT_FIELD", Field: "Options.Identity.JWT.Claim", Default: DefaultJWTClaim,
		Doc: "JWT claim used as the user key.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.JWT.Claim = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_IDENTITY_FIXED_VALUE", Field: "Options.Identity.FixedUser", Default: DefaultFixedUser,
		Doc: "User key in fixed mode.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.FixedUser = v })},
	{EnvVar: EnvVar{
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
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME", Field: "Options.NoServerPrefix (inverted)", Default: "true",
		Doc: "Boolean; false prefixes resource types with PERMIT_MCP_RESOURCE_PREFIX instead of the server name.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.NoServerPrefix = !b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_FLATTEN_TOOL_ARGUMENTS", Field: "Options.NestedArguments (inverted)", Default: "true",
		Doc: "Boolean; false sends tool arguments as one nested \"arguments\" attribute.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.NestedArguments = !b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_TOOL_ARGUMENT_PREFIX", Field: "Options.ArgumentPrefix / Options.NoArgumentPrefix", Default: DefaultArgumentPrefix,
		Doc: "Prefix of flattened argument attributes; the empty string means no prefix.",
	}, keepEmpty: true, apply: func(s *envState, v string) error {
		s.o.ArgumentPrefix, s.o.NoArgumentPrefix = v, v == ""
		return nil
	}},

	// Options the original does not have.
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_TENANT", Field: "Options.Tenant.Fixed", Default: DefaultTenant,
		Doc: "Tenant of every check (when no claim or header source is set, or as their fallback).",
	}, apply: envString(func(s *envState, v string) { s.o.Tenant.Fixed = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_TENANT_CLAIM", Field: "Options.Tenant.Claim", Default: "none",
		Doc: "JWT claim (jwt mode) or principal attribute (context mode) holding the tenant.",
	}, apply: envString(func(s *envState, v string) { s.o.Tenant.Claim = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_TENANT_HEADER", Field: "Options.Tenant.Header", Default: "none",
		Doc: "Request header holding the tenant.",
	}, apply: envString(func(s *envState, v string) { s.o.Tenant.Header = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_TENANT_REQUIRED", Field: "Options.Tenant.Required", Default: "false",
		Doc: "Boolean; true denies a request whose tenant claim or header is missing instead of using PERMIT_MCP_TENANT.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Tenant.Required = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_JWKS_URL", Field: "Options.Identity.JWT.JWKSURL", Default: "none",
		Doc: "URL of a JWKS to verify JWTs with (keys are cached and refreshed).",
	}, apply: envURLVar(func(s *envState, v string) { s.o.Identity.JWT.JWKSURL = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_JWKS_REFRESH", Field: "Options.Identity.JWT.JWKSRefresh", Default: "10m",
		Doc: "How long fetched JWKS keys are reused (Go duration such as 10m, or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Identity.JWT.JWKSRefresh = d })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_JWT_ISSUER", Field: "Options.Identity.JWT.Issuer", Default: "none (not checked)",
		Doc: "Required value of the \"iss\" claim.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.JWT.Issuer = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_JWT_AUDIENCE", Field: "Options.Identity.JWT.Audience", Default: "none (not checked)",
		Doc: "Value the \"aud\" claim must contain.",
	}, apply: envString(func(s *envState, v string) { s.o.Identity.JWT.Audience = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_JWT_LEEWAY", Field: "Options.Identity.JWT.Leeway", Default: DefaultJWTLeeway.String(),
		Doc: "Clock skew tolerated for exp, nbf and iat (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Identity.JWT.Leeway = d })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_JWT_REQUIRE_EXPIRY", Field: "Options.Identity.JWT.AllowNoExpiry (inverted)", Default: "true",
		Doc: "Boolean; false accepts JWTs without an \"exp\" claim (they are rejected by default).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Identity.JWT.AllowNoExpiry = !b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_ALLOW_UNKNOWN_USER", Field: "Options.Identity.AllowUnknown", Default: "false",
		Doc: "Boolean; true checks requests without a valid identity as user \"unknown\" (permit-fastmcp's behaviour) instead of answering 401.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Identity.AllowUnknown = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_RESOURCE_METADATA_URL", Field: "Options.Identity.ResourceMetadataURL", Default: "none",
		Doc: "Protected resource metadata URL (RFC 9728) advertised in 401 challenges.",
	}, apply: envURLVar(func(s *envState, v string) { s.o.Identity.ResourceMetadataURL = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_PUBLIC_TOOLS", Field: "Options.PublicTools", Default: "[]",
		Doc: "JSON list of tools whose calls need neither identity nor a check (such as a login tool).",
	}, apply: envListVar(func(s *envState, l []string) { s.o.PublicTools = l })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_UNKNOWN_METHODS", Field: "Options.UnknownMethods", Default: "deny",
		Doc: "deny, or access to check methods without a rule as {server}_method:<m> / access as permit-fastmcp does.",
	}, apply: envChoiceVar(map[string]UnknownMethodPolicy{"deny": UnknownDeny, "access": UnknownCheckAccess},
		func(s *envState, p UnknownMethodPolicy) { s.o.UnknownMethods = p })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_ARGUMENT_COLLISION", Field: "Options.ArgumentCollision", Default: "deny",
		Doc: "deny or rename: what happens to an argument whose attribute name would overwrite a built-in attribute.",
	}, apply: envChoiceVar(map[string]ArgumentCollision{"deny": CollisionDeny, "rename": CollisionRename},
		func(s *envState, c ArgumentCollision) { s.o.ArgumentCollision = c })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_LEGACY_RESOURCE_TYPES", Field: "Options.LegacyResourceTypes", Default: "false",
		Doc: "Boolean; true uses permit-fastmcp's {server}_resources:<uri> and {server}_prompts:<name> resource types.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.LegacyResourceTypes = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_MAX_BODY_BYTES", Field: "Options.MaxBodyBytes", Default: strconv.Itoa(DefaultMaxBodyBytes),
		Doc: "Largest request body read, in bytes (positive integer); larger bodies get HTTP 413.",
	}, apply: func(s *envState, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s is not a positive integer", quoteEnvValue(v))
		}
		s.o.MaxBodyBytes = n
		return nil
	}},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_ALLOW_BATCH", Field: "Options.AllowBatch", Default: "false",
		Doc: "Boolean; true authorizes every element of JSON-RPC batches instead of rejecting them.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AllowBatch = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_DENY_CODE", Field: "Options.Deny.Code", Default: strconv.Itoa(DefaultDenyCode),
		Doc: "JSON-RPC error code of denials (integer).",
	}, apply: func(s *envState, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n == 0 {
			return fmt.Errorf("%s is not a non-zero 32-bit integer", quoteEnvValue(v))
		}
		s.o.Deny.Code = int(n)
		return nil
	}},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_DENY_MESSAGE", Field: "Options.Deny.Message", Default: DefaultDenyMessage,
		Doc: "JSON-RPC error message of denials.",
	}, apply: envString(func(s *envState, v string) { s.o.Deny.Message = v })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_TOOL_DENY", Field: "Options.Deny.ToolCall", Default: "result",
		Doc: "How a denied tools/call is answered: result (a tool result with isError), error (a JSON-RPC error) or http403.",
	}, apply: envChoiceVar(map[string]ToolDenyStyle{"result": ToolDenyResult, "error": ToolDenyError, "http403": ToolDenyHTTP403},
		func(s *envState, t ToolDenyStyle) { s.o.Deny.ToolCall = t })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_EXPOSE_DENY_REASON", Field: "Options.Deny.ExposeReason", Default: "false",
		Doc: "Boolean; true puts the denial reason in the error data and tool result text.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.Deny.ExposeReason = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_AUDIT_ARGUMENTS", Field: "Options.AuditArguments", Default: "false",
		Doc: "Boolean; true includes tool argument values in audit records.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AuditArguments = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_DECISION_CACHE_SIZE", Field: "Options.Cache.Size", Default: strconv.Itoa(DefaultCacheSize),
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
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_CACHE_ALLOW_TTL", Field: "Options.Cache.AllowTTL", Default: DefaultAllowTTL.String(),
		Doc: "How long an allow is reused (Go duration such as 30s, or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Cache.AllowTTL = d })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_CACHE_DENY_TTL", Field: "Options.Cache.DenyTTL", Default: DefaultDenyTTL.String(),
		Doc: "How long a deny is reused (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Cache.DenyTTL = d })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_PDP_TIMEOUT", Field: "PermitOptions.Timeout and Options.Cache.PDPTimeout", Default: DefaultPDPTimeout.String(),
		Doc: "Bound of one decision point request (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.po.Timeout, s.o.Cache.PDPTimeout = d, d })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_DISABLE_LIST_FILTERING", Field: "Options.DisableListFiltering", Default: "false",
		Doc: "Boolean; true turns per-item filtering off (list requests are then checked as a whole, as with PERMIT_MCP_COARSE_LIST_CHECK).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.DisableListFiltering = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_COARSE_LIST_CHECK", Field: "Options.CoarseListCheck", Default: "false",
		Doc: "Boolean; true also checks each list request as a whole ({server}_{kind} / list), as permit-fastmcp does.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.CoarseListCheck = b })},
	{EnvVar: EnvVar{
		Name: "PERMIT_MCP_ALLOW_AMBIGUOUS_TOOLS", Field: "Options.AllowAmbiguousTools", Default: "false",
		Doc: "Boolean; true lets calls through to tools whose action another listed tool shares (names differing only in '.', '/', '_' and '-').",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AllowAmbiguousTools = b })},
}

// EnvVars returns every environment variable [OptionsFromEnv] reads, in
// the order they are applied.
func EnvVars() []EnvVar {
	out := make([]EnvVar, len(envTable))
	for i, v := range envTable {
		out[i] = v.EnvVar
	}
	return out
}

// OptionsFromEnv reads the middleware and Permit options from the process
// environment; see [OptionsFromLookup]. Names are matched
// case-insensitively (two spellings of one name with different values are
// an error). A .env file is read only when asked, with [LoadEnvFile].
func OptionsFromEnv() (*Options, *PermitOptions, error) {
	env, err := envFold(os.Environ())
	if err != nil {
		return nil, nil, err
	}
	return OptionsFromLookup(env.lookup)
}

// OptionsFromLookup builds options from the variables listed by [EnvVars]:
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
// When PERMIT_MCP_KNOWN_METHODS changes the mapping, Options.Mapping is set
// to [DefaultMapping] of the options as read, wrapped; changing ServerName
// or the prefixes afterwards does not change it.
//
// A bad value is an error naming the variable; the values of secrets (API
// key, JWT secret) never appear in errors. The returned PermitOptions has
// an empty APIKey when none is set: [NewPermit] then refuses it.
func OptionsFromLookup(lookup func(string) (string, bool)) (*Options, *PermitOptions, error) {
	s := &envState{o: &Options{}, po: &PermitOptions{}}
	for _, v := range envTable {
		val, ok := lookup(v.Name)
		if !ok || (val == "" && !v.keepEmpty) {
			continue
		}
		if err := v.apply(s, val); err != nil {
			return nil, nil, fmt.Errorf("mcpauth: %s %s", v.Name, err)
		}
	}
	if s.sourceMode {
		s.o.Identity.FixedUser = DefaultFixedUser
	}
	if s.o.Identity.Mode == IdentityJWT {
		s.o.Identity.JWT.Secret, s.o.Identity.JWT.PublicKeyPEM = s.jwtSecret, s.jwtPEM
		if err := envFitAlgorithms(&s.o.Identity.JWT); err != nil {
			return nil, nil, err
		}
	}
	if s.emptyResourcePfx && s.o.NoServerPrefix {
		return nil, nil, errors.New("mcpauth: PERMIT_MCP_RESOURCE_PREFIX is empty, which Options cannot express; " +
			"leave PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME true or set a prefix")
	}
	if s.emptyResourcePfx {
		s.o.ResourcePrefix = ""
	}
	if s.knownMethodsIsSet {
		m, err := envKnownMethodsMapping(s.o, s.knownMethods)
		if err != nil {
			return nil, nil, fmt.Errorf("mcpauth: PERMIT_MCP_KNOWN_METHODS %w", err)
		}
		s.o.Mapping = m
	}
	return s.o, s.po, nil
}

// envFitAlgorithms keeps, of the configured algorithms, those of the key's
// family: permit-fastmcp lists HS256 and RS256 for one key string, but a
// key serves either HMAC or public-key algorithms, never both.
func envFitAlgorithms(j *JWTOptions) error {
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
		return fmt.Errorf("mcpauth: PERMIT_MCP_JWT_ALGORITHMS has no algorithm for %s", kind)
	}
	j.Algorithms = fit
	return nil
}

// envKnownMethodsMapping returns a Mapping that honours permit-fastmcp's
// known_methods over the built-in mapping, or nil when the list changes
// nothing.
func envKnownMethodsMapping(o *Options, known []string) (MappingFunc, error) {
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
		if m != MethodToolsCall && !slices.Contains(known, m) {
			dropped = append(dropped, m)
		}
	}
	if len(extra) == 0 && len(dropped) == 0 {
		return nil, nil
	}
	base := DefaultMapping(o)
	typePrefix := o.ServerName
	if typePrefix == "" {
		typePrefix = DefaultServerName
	}
	typePrefix += "_"
	if o.NoServerPrefix {
		typePrefix = o.ResourcePrefix
		if typePrefix == "" {
			typePrefix = DefaultResourcePrefix
		}
	}
	actionPrefix := o.ActionPrefix
	unknownPolicy := o.UnknownMethods
	return func(ctx context.Context, r *Request) (*Check, bool, error) {
		if cv, ok := extra[r.Method]; ok {
			attrs := map[string]any{AttrMCPMethod: r.Method, AttrResourceType: cv[0]}
			args := r.Arguments
			if args == nil {
				args = map[string]any{}
			}
			attrs[AttrArguments] = args
			c := &Check{
				Action:   actionPrefix + cv[1],
				Resource: Resource{Type: typePrefix + cv[0], Tenant: r.Tenant, Attributes: attrs},
			}
			if r.Identity != nil {
				c.User = r.Identity.User
			}
			return c, true, nil
		}
		if slices.Contains(dropped, r.Method) {
			if unknownPolicy != UnknownCheckAccess {
				return nil, false, fmt.Errorf("%w %q (not in PERMIT_MCP_KNOWN_METHODS)", ErrNoMapping, r.Method)
			}
			c := &Check{
				Action: "access",
				Resource: Resource{
					Type: typePrefix + "method:" + r.Method, Tenant: r.Tenant,
					Attributes: map[string]any{AttrMCPMethod: r.Method, AttrResourceType: "unknown"},
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
			return nil, fmt.Errorf("mcpauth: environment variables %s and %s are both set, with different values", e.name, e.conflict)
		}
		out[up] = e.value
	}
	return out, nil
}

// LoadEnvFile reads a .env file and returns a lookup function for
// [OptionsFromLookup] that consults the process environment first (as it is
// when LoadEnvFile is called) and the file second, as pydantic-settings
// does. Names are matched case-insensitively in both.
//
// The file has one NAME=value per line; blank lines and lines starting with
// # are ignored, and an "export " prefix is allowed. Values may be single-
// quoted (literal) or double-quoted (with \n, \t, \", \\ escapes), and
// quoted values may span lines, as PEM keys do. In an unquoted value, a #
// after white space starts a comment. Variable references are not
// expanded. A missing file is an error wrapping fs.ErrNotExist.
func LoadEnvFile(path string) (func(string) (string, bool), error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mcpauth: reading env file: %w", err)
	}
	entries, err := parseEnvFile(data)
	if err != nil {
		return nil, fmt.Errorf("mcpauth: env file %s: %w", path, err)
	}
	file, err := envFold(entries)
	if err != nil {
		return nil, err
	}
	env, err := envFold(os.Environ())
	if err != nil {
		return nil, err
	}
	return func(name string) (string, bool) {
		if v, ok := env.lookup(name); ok {
			return v, true
		}
		return file.lookup(name)
	}, nil
}

// parseEnvFile parses .env content into "NAME=value" entries. Errors name
// the line, never the value.
func parseEnvFile(data []byte) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		// Only the left is trimmed here: trailing space may be part of a
		// quoted value.
		line := strings.TrimLeftFunc(strings.TrimSuffix(sc.Text(), "\r"), unicode.IsSpace)
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && unicode.IsSpace(rune(rest[0])) {
			line = strings.TrimLeftFunc(rest, unicode.IsSpace)
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !envValidName(name) {
			return nil, fmt.Errorf("line %d: not NAME=value", lineNo)
		}
		value = strings.TrimLeftFunc(value, unicode.IsSpace)
		start := lineNo
		if value != "" && (value[0] == '"' || value[0] == '\'') {
			quote := value[0]
			body := value[1:]
			for {
				v, rest, closed := envCloseQuote(body, quote)
				if closed {
					rest = strings.TrimSpace(rest)
					if rest != "" && !strings.HasPrefix(rest, "#") {
						return nil, fmt.Errorf("line %d: text after the closing quote", lineNo)
					}
					value = v
					break
				}
				if !sc.Scan() {
					return nil, fmt.Errorf("line %d: unterminated quoted value", start)
				}
				lineNo++
				body += "\n" + strings.TrimSuffix(sc.Text(), "\r")
			}
		} else {
			for i := 1; i < len(value); i++ {
				if value[i] == '#' && unicode.IsSpace(rune(value[i-1])) {
					value = value[:i]
					break
				}
			}
			value = strings.TrimSpace(value)
		}
		out = append(out, name+"="+value)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	return out, nil
}

// envCloseQuote finds the closing quote in s, decoding escapes for double
// quotes. It returns the value, the text after the quote and whether the
// quote was closed.
func envCloseQuote(s string, quote byte) (value, rest string, closed bool) {
	if quote == '\'' {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return "", "", false
		}
		return s[:i], s[i+1:], true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\', '\'':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

func envValidName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r == '.' || r == '-' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}
