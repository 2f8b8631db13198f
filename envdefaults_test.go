// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/mcpspec"
	"github.com/mcpauth/mcpauth/mcpauthenv"
)

// TestEnvDefaults checks the Default of every variable mcpauthenv
// documents against the value the middleware and the authorizers really
// use, so that changing a default on one side only fails. A value is a
// string (equal to Default), a time.Duration (equal to Default parsed) or,
// for defaults that describe an absence, the literal text.
func TestEnvDefaults(t *testing.T) {
	var zero mcpauth.Options
	jsonList := func(l []string) string {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := map[string]any{
		"PERMIT_MCP_KNOWN_METHODS":                    jsonList(mcpspec.Names(func(m mcpspec.Method) bool { return m.FastMCPKnown })),
		"PERMIT_MCP_BYPASSED_METHODS":                 jsonList(mcpauth.DefaultBypassMethods),
		"PERMIT_MCP_ACTION_PREFIX":                    strconv.Quote(zero.ActionPrefix),
		"PERMIT_MCP_RESOURCE_PREFIX":                  mcpauth.DefaultResourcePrefix,
		"PERMIT_MCP_MCP_SERVER_NAME":                  mcpauth.DefaultServerName,
		"PERMIT_PDP_URL":                              mcpauth.DefaultPermitPDPURL,
		"PERMIT_MCP_PERMIT_PDP_URL":                   mcpauth.DefaultPermitPDPURL,
		"PERMIT_API_KEY":                              "none (required by NewPermit)",
		"PERMIT_MCP_PERMIT_API_KEY":                   "none (required by NewPermit)",
		"PERMIT_MCP_AUTHZEN_URL":                      "none (Permit is used)",
		"PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP":      strconv.FormatBool(mcpauth.AuthZENOptions{}.AllowInsecureHTTP),
		"PERMIT_MCP_AUTHZEN_DISCOVER":                 strconv.FormatBool(mcpauth.AuthZENOptions{}.Discover),
		"PERMIT_MCP_AUTHZEN_METADATA_TTL":             mcpauth.DefaultAuthZENMetadataTTL,
		"PERMIT_MCP_AUTHZEN_TOKEN":                    "none",
		"PERMIT_MCP_AUTHZEN_API_KEY":                  "none",
		"PERMIT_MCP_AUTHZEN_API_KEY_HEADER":           authzenDefaults(t).APIKeyHeader(),
		"PERMIT_MCP_AUTHZEN_SUBJECT_TYPE":             mcpauth.DefaultAuthZENSubjectType,
		"PERMIT_MCP_AUTHZEN_DISABLE_EVALUATIONS":      strconv.FormatBool(mcpauth.AuthZENOptions{}.DisableEvaluations),
		"PERMIT_MCP_ENABLE_AUDIT_LOGGING":             strconv.FormatBool(!zero.DisableAudit),
		"PERMIT_MCP_IDENTITY_MODE":                    "fixed",
		"PERMIT_MCP_IDENTITY_HEADER":                  mcpauth.DefaultIdentityHeader,
		"PERMIT_MCP_IDENTITY_HEADER_REGEX":            "`[Bb]earer (.+)` (jwt mode)", // see TestEnvHeaderRegexDefault
		"PERMIT_MCP_IDENTITY_JWT_SECRET":              "none",
		"PERMIT_MCP_IDENTITY_JWT_FIELD":               mcpauth.DefaultJWTClaim,
		"PERMIT_MCP_IDENTITY_FIXED_VALUE":             mcpauth.DefaultFixedUser,
		"PERMIT_MCP_JWT_ALGORITHMS":                   "HS256 for a secret; the algorithms of the key type for a public key",
		"PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME": "true",
		"PERMIT_MCP_FLATTEN_TOOL_ARGUMENTS":           strconv.FormatBool(!zero.NestedArguments),
		"PERMIT_MCP_TOOL_ARGUMENT_PREFIX":             mcpauth.DefaultArgumentPrefix,
		"PERMIT_MCP_TENANT":                           mcpauth.DefaultTenant,
		"PERMIT_MCP_TENANT_CLAIM":                     "none",
		"PERMIT_MCP_TENANT_HEADER":                    "none",
		"PERMIT_MCP_TENANT_REQUIRED":                  strconv.FormatBool(zero.Tenant.Required),
		"PERMIT_MCP_JWKS_URL":                         "none",
		"PERMIT_MCP_JWKS_REFRESH":                     mcpauth.DefaultJWKSRefresh,
		"PERMIT_MCP_JWT_ISSUER":                       "none (not checked)",
		"PERMIT_MCP_JWT_AUDIENCE":                     "none (not checked)",
		"PERMIT_MCP_JWT_LEEWAY":                       mcpauth.DefaultJWTLeeway,
		"PERMIT_MCP_JWT_REQUIRE_EXPIRY":               strconv.FormatBool(!mcpauth.JWTOptions{}.AllowNoExpiry),
		"PERMIT_MCP_ALLOW_UNKNOWN_USER":               strconv.FormatBool(zero.AllowUnknownUser),
		"PERMIT_MCP_RESOURCE_METADATA_URL":            "none",
		"PERMIT_MCP_PUBLIC_TOOLS":                     "[]",
		"PERMIT_MCP_UNKNOWN_METHODS":                  "deny", // see TestEnvDefaultIsUnset
		"PERMIT_MCP_ARGUMENT_COLLISION":               "deny",
		"PERMIT_MCP_LEGACY_RESOURCE_TYPES":            strconv.FormatBool(zero.LegacyResourceTypes),
		"PERMIT_MCP_MAX_BODY_BYTES":                   strconv.Itoa(mcpauth.DefaultMaxBodyBytes),
		"PERMIT_MCP_ALLOW_BATCH":                      strconv.FormatBool(zero.AllowBatch),
		"PERMIT_MCP_DENY_CODE":                        strconv.Itoa(mcpauth.DefaultDenyCode),
		"PERMIT_MCP_DENY_MESSAGE":                     mcpauth.DefaultDenyMessage,
		"PERMIT_MCP_TOOL_DENY":                        "result",
		"PERMIT_MCP_EXPOSE_DENY_REASON":               strconv.FormatBool(zero.Deny.ExposeReason),
		"PERMIT_MCP_AUDIT_ARGUMENTS":                  strconv.FormatBool(zero.AuditArguments),
		"PERMIT_MCP_DECISION_CACHE_SIZE":              strconv.Itoa(mcpauth.DefaultCacheSize),
		"PERMIT_MCP_CACHE_ALLOW_TTL":                  mcpauth.DefaultAllowTTL,
		"PERMIT_MCP_CACHE_DENY_TTL":                   mcpauth.DefaultDenyTTL,
		"PERMIT_MCP_PDP_TIMEOUT":                      mcpauth.DefaultPDPTimeout,
		"PERMIT_MCP_DISABLE_LIST_FILTERING":           strconv.FormatBool(zero.ListFiltering == mcpauth.ListCheckOnly),
		"PERMIT_MCP_COARSE_LIST_CHECK":                strconv.FormatBool(zero.ListFiltering == mcpauth.ListFilterAndCheck),
		"PERMIT_MCP_ALLOW_AMBIGUOUS_TOOLS":            strconv.FormatBool(zero.AllowAmbiguousTools),
	}
	seen := map[string]bool{}
	for _, v := range mcpauthenv.Vars() {
		seen[v.Name] = true
		w, ok := want[v.Name]
		if !ok {
			t.Errorf("%s: no real default to compare Default %q with: add it to this test", v.Name, v.Default)
			continue
		}
		switch w := w.(type) {
		case string:
			if v.Default != w {
				t.Errorf("%s: Default is %q, the real default %q", v.Name, v.Default, w)
			}
		case time.Duration:
			if d, err := time.ParseDuration(v.Default); err != nil || d != w {
				t.Errorf("%s: Default is %q, the real default %v", v.Name, v.Default, w)
			}
		default:
			t.Fatalf("%s: want of type %T", v.Name, w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s is not a variable of mcpauthenv.Vars", name)
		}
	}
}

// TestEnvHeaderRegexDefault checks the regular expression default: the
// table gives permit-fastmcp's spelling, which must read as the
// middleware's default.
func TestEnvHeaderRegexDefault(t *testing.T) {
	for _, v := range mcpauthenv.Vars() {
		if v.Name == "PERMIT_MCP_IDENTITY_HEADER_REGEX" && !strings.Contains(v.Doc, "`"+mcpauth.DefaultHeaderRegex+"`") {
			t.Errorf("the doc of %s does not name the middleware's default %s: %s", v.Name, mcpauth.DefaultHeaderRegex, v.Doc)
		}
	}
	env := map[string]string{"PERMIT_MCP_IDENTITY_MODE": "header", "PERMIT_MCP_IDENTITY_HEADER_REGEX": "[Bb]earer (.+)"}
	o, _, err := mcpauthenv.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mcpauth.HeaderIdentity("", mcpauth.DefaultHeaderRegex), o.Identity, cmp.AllowUnexported(mcpauth.IdentitySource{})); diff != "" {
		t.Errorf("the fastmcp default (-want +got):\n%s", diff)
	}
}

// TestEnvDefaultIsUnset sets each variable to its documented Default and
// checks the middleware options come out as with nothing set, after New's
// defaults: the behavioural side of TestEnvDefaults. Defaults that
// describe an absence ("none ...") are not values and are skipped, as are
// variables the options do not show (identity, Permit and AuthZEN
// settings, checked by TestEnvDefaults and TestEnvAuthorizerDefaults).
func TestEnvDefaultIsUnset(t *testing.T) {
	// The value is resolved where Options cannot show it.
	elsewhere := map[string]string{
		"PERMIT_MCP_TOOL_ARGUMENT_PREFIX": "the mapping resolves ArgumentPrefix",
		"PERMIT_MCP_TENANT":               "the identifier resolves Tenant.Fixed",
		"PERMIT_MCP_IDENTITY_FIXED_VALUE": "the identity source is opaque",
		"PERMIT_PDP_URL":                  "a PermitOptions field",
		"PERMIT_MCP_PERMIT_PDP_URL":       "a PermitOptions field",
	}
	lookup := func(env map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	base, _, err := mcpauthenv.FromLookup(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := mcpauth.Normalize(base); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, v := range mcpauthenv.Vars() {
		if strings.HasPrefix(v.Default, "none") || elsewhere[v.Name] != "" || strings.HasPrefix(v.Name, "PERMIT_MCP_AUTHZEN_") {
			continue
		}
		val := v.Default
		if u, err := strconv.Unquote(val); err == nil {
			val = u // `""`: the empty string
		}
		o, _, err := mcpauthenv.FromLookup(lookup(map[string]string{v.Name: val}))
		if err != nil {
			continue // a description rather than a value, such as the algorithms
		}
		if err := mcpauth.Normalize(o); err != nil {
			t.Errorf("%s=%s: %v", v.Name, v.Default, err)
			continue
		}
		checked++
		if diff := cmp.Diff(base, o, cmpopts.IgnoreFields(mcpauth.Options{}, "Mapping"), cmp.AllowUnexported(mcpauth.IdentitySource{})); diff != "" {
			t.Errorf("%s set to its Default %q changes the options (-unset +set):\n%s", v.Name, v.Default, diff)
		}
	}
	if checked < 25 {
		t.Errorf("checked %d variables, want at least 25", checked)
	}
}

// authzenDefaults returns an AuthZEN authorizer built from the environment
// with only the variables it requires.
func authzenDefaults(t *testing.T) *mcpauth.AuthZEN {
	t.Helper()
	env := map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp.example.com", "PERMIT_MCP_AUTHZEN_API_KEY": "k"}
	a, err := mcpauthenv.AuthorizerFromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.(*mcpauth.AuthZEN)
}

// TestEnvAuthorizerDefaults checks the table's decision point defaults
// against the authorizers built from an environment that leaves them
// unset.
func TestEnvAuthorizerDefaults(t *testing.T) {
	def := map[string]string{}
	for _, v := range mcpauthenv.Vars() {
		def[v.Name] = v.Default
	}
	duration := func(name string) time.Duration {
		d, err := time.ParseDuration(def[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return d
	}
	az := authzenDefaults(t)
	if got := az.SubjectType(); got != def["PERMIT_MCP_AUTHZEN_SUBJECT_TYPE"] {
		t.Errorf("AuthZEN subject type %q, documented %q", got, def["PERMIT_MCP_AUTHZEN_SUBJECT_TYPE"])
	}
	if got := az.MetadataTTL(); got != duration("PERMIT_MCP_AUTHZEN_METADATA_TTL") {
		t.Errorf("AuthZEN metadata TTL %v, documented %s", got, def["PERMIT_MCP_AUTHZEN_METADATA_TTL"])
	}
	if got := az.Timeout(); got != duration("PERMIT_MCP_PDP_TIMEOUT") {
		t.Errorf("AuthZEN timeout %v, documented %s", got, def["PERMIT_MCP_PDP_TIMEOUT"])
	}
	env := map[string]string{"PERMIT_API_KEY": "k"}
	a, err := mcpauthenv.AuthorizerFromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := a.(*mcpauth.Permit)
	for _, name := range []string{"PERMIT_PDP_URL", "PERMIT_MCP_PERMIT_PDP_URL"} {
		if got := p.PDPURL(); got != def[name] {
			t.Errorf("Permit PDP URL %q, documented for %s as %q", got, name, def[name])
		}
	}
	if got := p.Timeout(); got != duration("PERMIT_MCP_PDP_TIMEOUT") {
		t.Errorf("Permit timeout %v, documented %s", got, def["PERMIT_MCP_PDP_TIMEOUT"])
	}
}
