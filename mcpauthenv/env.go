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
	"github.com/mcpauth/mcpauth/internal/jwtpolicy"
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
	az *mcpauth.AuthZENOptions // returned only when PDPURL is set

	authzenSet []string // the PERMIT_MCP_AUTHZEN_* variables set, but the URL

	// The identity source is built once every variable is read.
	identityMode      string // fixed, header, jwt, context or source
	fixedUser         string
	header, regex     string
	jwt               mcpauth.JWTOptions
	jwtSecret, jwtPEM []byte // applied in jwt mode only

	noServerPrefix      bool // prefix_resource_with_server_name=false
	resourcePrefix      string
	resourcePrefixIsSet bool
	noListFiltering     bool
	coarseListCheck     bool
	knownMethods        []string // nil when unset
	knownMethodsIsSet   bool
}

// Defaults documented in the table; the middleware and the authorizers
// apply them (a test in the root package checks them against the real
// ones).
const (
	defaultPDPURL         = "http://localhost:7766"
	defaultResourcePrefix = "mcp_" // permit-fastmcp's resource_prefix
)

type envVar struct {
	Var
	// keepEmpty: an empty value is a value, not "unset".
	keepEmpty bool
	apply     func(s *envState, v string) error
}

// envFastMCPHeaderRegex is permit-fastmcp's default identity_header_regex;
// anchored as re.match anchors it, it is the middleware's default
// `(?i)^bearer (.+)$`.
const envFastMCPHeaderRegex = `[Bb]earer (.+)`

// envBearerRegex is the middleware's default header regex in jwt mode.
const envBearerRegex = `(?i)^bearer (.+)$`

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
			"(permit-fastmcp): `*` matches any characters including `/` (`notifications/*` covers " +
			"`notifications/roots/list_changed`), `?` one character, `[...]` and `[!...]` a class; " +
			"case-sensitive, no escapes. `[]` bypasses nothing.",
	}, apply: envListVar(func(s *envState, l []string) { s.o.BypassMethods = l })},
	{Var: Var{
		Name: "PERMIT_MCP_ACTION_PREFIX", Field: "Options.ActionPrefix", Default: `""`,
		Doc: "Prefix of the action of every method except tools/call.",
	}, apply: envString(func(s *envState, v string) { s.o.ActionPrefix = v })},
	{Var: Var{
		Name: "PERMIT_MCP_RESOURCE_PREFIX", Field: "Options.ResourcePrefix", Default: defaultResourcePrefix,
		Doc: "Prefix of resource types when PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME is false. " +
			"The empty string means no prefix (NoPrefix).",
	}, keepEmpty: true, apply: func(s *envState, v string) error {
		s.resourcePrefix, s.resourcePrefixIsSet = v, true
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_MCP_SERVER_NAME", Field: "Options.ServerName", Default: mcpauth.DefaultServerName,
		Doc: "Resource type of tools/call and prefix of the other resource types.",
	}, apply: envString(func(s *envState, v string) { s.o.ServerName = v })},
	{Var: Var{
		Name: "PERMIT_PDP_URL", Field: "PermitOptions.PDPURL", Default: defaultPDPURL,
		Doc: "URL of the Permit PDP (the name the original example runner reads). PERMIT_MCP_PERMIT_PDP_URL wins when both are set.",
	}, apply: envURLVar(func(s *envState, v string) { s.po.PDPURL = v })},
	{Var: Var{
		Name: "PERMIT_MCP_PERMIT_PDP_URL", Field: "PermitOptions.PDPURL", Default: defaultPDPURL,
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
	// An AuthZEN 1.0 decision point instead of Permit.
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_URL", Field: "AuthZENOptions.PDPURL", Default: "none (Permit is used)",
		Doc: "Base URL of an AuthZEN 1.0 PDP (https, or http on a loopback host); setting it chooses AuthZEN instead of Permit, " +
			"and setting a Permit URL or API key as well is an error.",
	}, apply: func(s *envState, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			// Not echoed: a URL may carry credentials.
			return errors.New("is not an absolute http or https URL without user info, query or fragment")
		}
		s.az.PDPURL = v
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP", Field: "AuthZENOptions.AllowInsecureHTTP", Default: "false",
		Doc: "Boolean; true accepts an http PERMIT_MCP_AUTHZEN_URL on a host that is not loopback (only on a network you trust).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.az.AllowInsecureHTTP = b })},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_DISCOVER", Field: "AuthZENOptions.Discover", Default: "false",
		Doc: "Boolean; true reads the endpoints from the PDP's /.well-known/authzen-configuration metadata.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.az.Discover = b })},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_METADATA_TTL", Field: "AuthZENOptions.MetadataTTL", Default: "1h0m0s",
		Doc: "How long discovered metadata is reused (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.az.MetadataTTL = d })},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_TOKEN", Field: "AuthZENOptions.BearerToken", Default: "none", Secret: true,
		Doc: "Bearer token sent to the AuthZEN PDP (such as the token of mcpauth policy serve).",
	}, apply: envString(func(s *envState, v string) { s.az.BearerToken = v })},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_API_KEY", Field: "AuthZENOptions.APIKey", Default: "none", Secret: true,
		Doc: "API key sent to the AuthZEN PDP in PERMIT_MCP_AUTHZEN_API_KEY_HEADER; at most one of it and PERMIT_MCP_AUTHZEN_TOKEN.",
	}, apply: envString(func(s *envState, v string) { s.az.APIKey = v })},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_API_KEY_HEADER", Field: "AuthZENOptions.APIKeyHeader", Default: "X-API-Key",
		Doc: "Header carrying PERMIT_MCP_AUTHZEN_API_KEY.",
	}, apply: func(s *envState, v string) error {
		if !validHeaderName(v) {
			return fmt.Errorf("%s is not a header name", quoteEnvValue(v))
		}
		s.az.APIKeyHeader = v
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_SUBJECT_TYPE", Field: "AuthZENOptions.SubjectType", Default: "user",
		Doc: "AuthZEN subject type of the checks.",
	}, apply: envString(func(s *envState, v string) { s.az.SubjectType = v })},
	{Var: Var{
		Name: "PERMIT_MCP_AUTHZEN_DISABLE_EVALUATIONS", Field: "AuthZENOptions.DisableEvaluations", Default: "false",
		Doc: "Boolean; true never uses the Access Evaluations (batch) API: list filtering sends one Access Evaluation per item.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.az.DisableEvaluations = b })},
	{Var: Var{
		Name: "PERMIT_MCP_ENABLE_AUDIT_LOGGING", Field: "Options.DisableAudit", Default: "true",
		Doc: "Boolean; false turns the per-decision audit record off (ignored by permit-fastmcp; honoured here).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.DisableAudit = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_MODE", Field: "Options.Identity", Default: "fixed",
		Doc: "fixed (FixedIdentity), header (HeaderIdentity), jwt (JWTIdentity) or context (ContextIdentity). " +
			"permit-fastmcp's \"source\" mode, whose user is always FastMCP's " +
			"constant source \"client\", is accepted and maps to fixed mode with user \"client\" " +
			"(PERMIT_MCP_IDENTITY_FIXED_VALUE is then ignored, as in the original).",
	}, apply: envChoiceVar(map[string]string{
		"fixed": "fixed", "header": "header", "jwt": "jwt", "context": "context", "source": "source",
	}, func(s *envState, m string) { s.identityMode = m })},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_HEADER", Field: "HeaderIdentity header, JWTOptions.Header", Default: "Authorization",
		Doc: "Request header read in header and jwt modes.",
	}, apply: envString(func(s *envState, v string) { s.header = v })},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_HEADER_REGEX", Field: "HeaderIdentity pattern, JWTOptions.HeaderRegex", Default: "`" + envFastMCPHeaderRegex + "` (jwt mode)",
		Doc: "Regular expression (Go RE2 syntax) extracting the credential from the header: its first group. " +
			"Like Python's re.match it is anchored at the start (^ is added when missing); it must have a capture group. " +
			"permit-fastmcp's default becomes `" + envBearerRegex + "`.",
	}, apply: func(s *envState, v string) error {
		if v == envFastMCPHeaderRegex {
			s.regex = envBearerRegex
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
		s.regex = v
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_JWT_SECRET", Field: "JWTOptions.Secret or .PublicKey", Default: "none", Secret: true,
		Doc: "HMAC secret, or a PEM public key or certificate when the value starts with \"-----BEGIN\" " +
			"(literal \\n sequences are accepted as line breaks). A private key is refused. Used in jwt mode only, " +
			"as in permit-fastmcp.",
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
		Name: "PERMIT_MCP_IDENTITY_JWT_FIELD", Field: "JWTOptions.Claim", Default: "sub",
		Doc: "JWT claim used as the user key.",
	}, apply: envString(func(s *envState, v string) { s.jwt.Claim = v })},
	{Var: Var{
		Name: "PERMIT_MCP_IDENTITY_FIXED_VALUE", Field: "FixedIdentity user", Default: "client",
		Doc: "User key in fixed mode.",
	}, apply: envString(func(s *envState, v string) { s.fixedUser = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_ALGORITHMS", Field: "JWTOptions.Algorithms",
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
		s.jwt.Algorithms = l
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME", Field: "Options.ResourcePrefix", Default: "true",
		Doc: "Boolean; false prefixes resource types with PERMIT_MCP_RESOURCE_PREFIX instead of the server name.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.noServerPrefix = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_FLATTEN_TOOL_ARGUMENTS", Field: "Options.NestedArguments (inverted)", Default: "true",
		Doc: "Boolean; false sends tool arguments as one nested \"arguments\" attribute.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.NestedArguments = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_TOOL_ARGUMENT_PREFIX", Field: "Options.ArgumentPrefix", Default: mcpauth.DefaultArgumentPrefix,
		Doc: "Prefix of flattened argument attributes; the empty string means no prefix (NoPrefix).",
	}, keepEmpty: true, apply: func(s *envState, v string) error {
		s.o.ArgumentPrefix = v
		if v == "" {
			s.o.ArgumentPrefix = mcpauth.NoPrefix
		}
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
		Name: "PERMIT_MCP_JWKS_URL", Field: "JWTOptions.JWKSURL", Default: "none",
		Doc: "URL of a JWKS to verify JWTs with (keys are cached and refreshed).",
	}, apply: envURLVar(func(s *envState, v string) { s.jwt.JWKSURL = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWKS_REFRESH", Field: "JWTOptions.JWKSRefresh", Default: "10m",
		Doc: "How long fetched JWKS keys are reused (Go duration such as 10m, or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.jwt.JWKSRefresh = d })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_ISSUER", Field: "JWTOptions.Issuer", Default: "none (not checked)",
		Doc: "Required value of the \"iss\" claim.",
	}, apply: envString(func(s *envState, v string) { s.jwt.Issuer = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_AUDIENCE", Field: "JWTOptions.Audience", Default: "none (not checked)",
		Doc: "Value the \"aud\" claim must contain.",
	}, apply: envString(func(s *envState, v string) { s.jwt.Audience = v })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_LEEWAY", Field: "JWTOptions.Leeway", Default: "30s",
		Doc: "Clock skew tolerated for exp, nbf and iat (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.jwt.Leeway = d })},
	{Var: Var{
		Name: "PERMIT_MCP_JWT_REQUIRE_EXPIRY", Field: "JWTOptions.AllowNoExpiry (inverted)", Default: "true",
		Doc: "Boolean; false accepts JWTs without an \"exp\" claim (they are rejected by default).",
	}, apply: envBoolVar(func(s *envState, b bool) { s.jwt.AllowNoExpiry = !b })},
	{Var: Var{
		Name: "PERMIT_MCP_ALLOW_UNKNOWN_USER", Field: "Options.AllowUnknownUser", Default: "false",
		Doc: "Boolean; true checks requests without a valid identity as user \"unknown\" (permit-fastmcp's behaviour) instead of answering 401.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AllowUnknownUser = b })},
	{Var: Var{
		Name: "PERMIT_MCP_RESOURCE_METADATA_URL", Field: "Options.ResourceMetadataURL", Default: "none",
		Doc: "Protected resource metadata URL (RFC 9728) advertised in 401 challenges.",
	}, apply: envURLVar(func(s *envState, v string) { s.o.ResourceMetadataURL = v })},
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
		Name: "PERMIT_MCP_MAX_BODY_BYTES", Field: "Options.Limits.MaxBodyBytes", Default: strconv.Itoa(4 << 20),
		Doc: "Largest request body read, in bytes (positive integer); larger bodies get HTTP 413.",
	}, apply: func(s *envState, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s is not a positive integer", quoteEnvValue(v))
		}
		s.o.Limits.MaxBodyBytes = n
		return nil
	}},
	{Var: Var{
		Name: "PERMIT_MCP_ALLOW_BATCH", Field: "Options.AllowBatch", Default: "false",
		Doc: "Boolean; true authorizes every element of JSON-RPC batches instead of rejecting them.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.o.AllowBatch = b })},
	{Var: Var{
		Name: "PERMIT_MCP_DENY_CODE", Field: "Options.Deny.Code", Default: "-32010",
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
		Name: "PERMIT_MCP_DENY_MESSAGE", Field: "Options.Deny.Message", Default: "Unauthorized",
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
		Name: "PERMIT_MCP_DECISION_CACHE_SIZE", Field: "Options.Cache.Size", Default: "10000",
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
		Name: "PERMIT_MCP_CACHE_ALLOW_TTL", Field: "Options.Cache.AllowTTL", Default: "1m0s",
		Doc: "How long an allow is reused (Go duration such as 30s, or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Cache.AllowTTL = d })},
	{Var: Var{
		Name: "PERMIT_MCP_CACHE_DENY_TTL", Field: "Options.Cache.DenyTTL", Default: "10s",
		Doc: "How long a deny is reused (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.o.Cache.DenyTTL = d })},
	{Var: Var{
		Name: "PERMIT_MCP_PDP_TIMEOUT", Field: "PermitOptions.Timeout, AuthZENOptions.Timeout and Options.Cache.PDPTimeout", Default: "5s",
		Doc: "Bound of one decision point request, Permit or AuthZEN (Go duration or seconds).",
	}, apply: envDurationVar(func(s *envState, d time.Duration) { s.po.Timeout, s.az.Timeout, s.o.Cache.PDPTimeout = d, d, d })},
	{Var: Var{
		Name: "PERMIT_MCP_DISABLE_LIST_FILTERING", Field: "Options.ListFiltering", Default: "false",
		Doc: "Boolean; true turns per-item filtering off (list requests are then checked as a whole, as with PERMIT_MCP_COARSE_LIST_CHECK): ListCheckOnly.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.noListFiltering = b })},
	{Var: Var{
		Name: "PERMIT_MCP_COARSE_LIST_CHECK", Field: "Options.ListFiltering", Default: "false",
		Doc: "Boolean; true also checks each list request as a whole ({server}_{kind} / list), as permit-fastmcp does: ListFilterAndCheck.",
	}, apply: envBoolVar(func(s *envState, b bool) { s.coarseListCheck = b })},
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
//
// The PERMIT_MCP_AUTHZEN_* variables are checked here too (an error is
// better than a setting silently ignored), and setting both
// PERMIT_MCP_AUTHZEN_URL and a Permit URL or API key is an error; their
// options come from [AuthZENFromLookup], and [AuthorizerFromLookup]
// builds whichever authorizer the variables choose.
func FromLookup(lookup func(string) (string, bool)) (*mcpauth.Options, *mcpauth.PermitOptions, error) {
	s, err := load(lookup)
	if err != nil {
		return nil, nil, err
	}
	return s.o, s.po, nil
}

// load applies every variable of the table.
func load(lookup func(string) (string, bool)) (*envState, error) {
	s := &envState{o: &mcpauth.Options{}, po: &mcpauth.PermitOptions{}, az: &mcpauth.AuthZENOptions{}}
	for _, v := range envTable {
		val, ok := lookup(v.Name)
		if !ok || (val == "" && !v.keepEmpty) {
			continue
		}
		if err := v.apply(s, val); err != nil {
			return nil, fmt.Errorf("mcpauthenv: %s %s", v.Name, err)
		}
		if strings.HasPrefix(v.Name, "PERMIT_MCP_AUTHZEN_") && v.Name != "PERMIT_MCP_AUTHZEN_URL" {
			s.authzenSet = append(s.authzenSet, v.Name)
		}
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	if err := s.finishAuthZEN(); err != nil {
		return nil, err
	}
	if s.knownMethodsIsSet {
		m, err := envKnownMethodsMapping(s.o, s.knownMethods)
		if err != nil {
			return nil, fmt.Errorf("mcpauthenv: PERMIT_MCP_KNOWN_METHODS %w", err)
		}
		s.o.Mapping = m
	}
	return s, nil
}

// finish sets what several variables decide together: the identity
// source, the resource prefix and the list mode.
func (s *envState) finish() error {
	switch s.identityMode {
	case "", "fixed":
		if s.fixedUser != "" {
			s.o.Identity = mcpauth.FixedIdentity(s.fixedUser)
		}
	case "source":
		s.o.Identity = mcpauth.FixedIdentity("client")
	case "header":
		s.o.Identity = mcpauth.HeaderIdentity(s.header, s.regex)
	case "context":
		s.o.Identity = mcpauth.ContextIdentity()
	case "jwt":
		j := s.jwt
		j.Header, j.HeaderRegex = s.header, s.regex
		j.Secret = s.jwtSecret
		if s.jwtPEM != nil {
			pub, err := jwtpolicy.ParsePublicKeyPEM(s.jwtPEM)
			if err != nil {
				// The variable is a secret: say what is wrong, not what it holds.
				return errors.New("mcpauthenv: PERMIT_MCP_IDENTITY_JWT_SECRET holds a PEM block that is not a public key or certificate")
			}
			j.PublicKey = pub
		}
		if err := envFitAlgorithms(&j); err != nil {
			return err
		}
		s.o.Identity = mcpauth.JWTIdentity(j)
	}
	if s.jwt.JWKSURL != "" && s.identityMode != "jwt" {
		// New refused a JWT key outside JWT mode; a JWKS URL that would be
		// silently ignored is still refused.
		return errors.New("mcpauthenv: PERMIT_MCP_JWKS_URL is set but PERMIT_MCP_IDENTITY_MODE is not jwt")
	}
	if s.noServerPrefix {
		switch {
		case !s.resourcePrefixIsSet:
			s.o.ResourcePrefix = defaultResourcePrefix
		case s.resourcePrefix == "":
			s.o.ResourcePrefix = mcpauth.NoPrefix
		default:
			s.o.ResourcePrefix = s.resourcePrefix
		}
	}
	switch {
	case s.noListFiltering:
		s.o.ListFiltering = mcpauth.ListCheckOnly
	case s.coarseListCheck:
		s.o.ListFiltering = mcpauth.ListFilterAndCheck
	}
	return nil
}

// envFitAlgorithms keeps, of the configured algorithms, those of the key's
// family: permit-fastmcp lists HS256 and RS256 for one key string, but a
// key serves either HMAC or public-key algorithms, never both.
func envFitAlgorithms(j *mcpauth.JWTOptions) error {
	if j.Algorithms == nil {
		return nil
	}
	hmac := j.Secret != nil
	if !hmac && j.PublicKey == nil && j.JWKSURL == "" {
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
	switch o.ResourcePrefix {
	case "":
	case mcpauth.NoPrefix:
		typePrefix = ""
	default:
		typePrefix = o.ResourcePrefix
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
