// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthenv_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/permittest"
	"github.com/mcpauth/mcpauth/mcpauthenv"
)

// mapLookup is a case-sensitive lookup over m, like os.LookupEnv.
func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func testPEMs(t *testing.T) (public, private string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}))
}

func TestFromLookupUnset(t *testing.T) {
	o, po, err := mcpauthenv.FromLookup(mapLookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&mcpauth.Options{}, o, cmpOptions); diff != "" {
		t.Errorf("Options (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&mcpauth.PermitOptions{}, po); diff != "" {
		t.Errorf("PermitOptions (-want +got):\n%s", diff)
	}
}

// cmpOptions compares Options, whose identity source is opaque and may
// hold an ECDSA key.
var cmpOptions = cmp.Options{
	cmp.AllowUnexported(mcpauth.IdentitySource{}),
	cmp.Comparer(func(a, b *ecdsa.PublicKey) bool { return a.Equal(b) }),
	cmpopts.IgnoreFields(mcpauth.Options{}, "Mapping"),
}

// pemKey parses the public key of a "PUBLIC KEY" PEM block.
func pemKey(t *testing.T, s string) *ecdsa.PublicKey {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		t.Fatal("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*ecdsa.PublicKey)
}

func TestFromLookupVariables(t *testing.T) {
	pubPEM, _ := testPEMs(t)
	pub := pemKey(t, pubPEM)
	tests := []struct {
		name   string
		env    map[string]string
		want   func(o *mcpauth.Options, po *mcpauth.PermitOptions)
		mapped bool // a Mapping is installed
	}{
		{"known methods default list changes nothing",
			map[string]string{"PERMIT_MCP_KNOWN_METHODS": `["tools/list","prompts/list","resources/list","tools/call","resources/read","prompts/get"]`},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, false},
		{"known methods extra method",
			map[string]string{"PERMIT_MCP_KNOWN_METHODS": `["tools/list","prompts/list","resources/list","tools/call","resources/read","prompts/get","logging/setLevel"]`},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, true},
		{"bypassed methods", map[string]string{"PERMIT_MCP_BYPASSED_METHODS": `["initialize","ping"]`},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.BypassMethods = []string{"initialize", "ping"} }, false},
		{"bypass nothing", map[string]string{"PERMIT_MCP_BYPASSED_METHODS": ` [] `},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.BypassMethods = []string{} }, false},
		{"action prefix", map[string]string{"PERMIT_MCP_ACTION_PREFIX": "mcp-"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ActionPrefix = "mcp-" }, false},
		{"resource prefix unused with the server prefix", map[string]string{"PERMIT_MCP_RESOURCE_PREFIX": "x_"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, false},
		{"resource prefix", map[string]string{"PERMIT_MCP_RESOURCE_PREFIX": "x_", "PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME": "false"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ResourcePrefix = "x_" }, false},
		{"empty resource prefix unused", map[string]string{"PERMIT_MCP_RESOURCE_PREFIX": ""},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, false},
		{"empty resource prefix", map[string]string{"PERMIT_MCP_RESOURCE_PREFIX": "", "PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME": "false"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ResourcePrefix = mcpauth.NoPrefix }, false},
		{"server name", map[string]string{"PERMIT_MCP_MCP_SERVER_NAME": "weather"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ServerName = "weather" }, false},
		{"runner pdp url and key", map[string]string{"PERMIT_PDP_URL": "http://pdp:7766", "PERMIT_API_KEY": "permit_key_a"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
				po.PDPURL, po.APIKey = "http://pdp:7766", "permit_key_a"
			}, false},
		{"prefixed pdp url and key", map[string]string{"PERMIT_MCP_PERMIT_PDP_URL": "https://cloudpdp.api.permit.io", "PERMIT_MCP_PERMIT_API_KEY": "permit_key_b"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
				po.PDPURL, po.APIKey = "https://cloudpdp.api.permit.io", "permit_key_b"
			}, false},
		{"prefixed names win", map[string]string{
			"PERMIT_PDP_URL": "http://a:1", "PERMIT_MCP_PERMIT_PDP_URL": "http://b:2",
			"PERMIT_API_KEY": "permit_key_a", "PERMIT_MCP_PERMIT_API_KEY": "permit_key_b",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			po.PDPURL, po.APIKey = "http://b:2", "permit_key_b"
		}, false},
		{"empty prefixed key counts as unset", map[string]string{"PERMIT_API_KEY": "permit_key_a", "PERMIT_MCP_PERMIT_API_KEY": ""},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { po.APIKey = "permit_key_a" }, false},
		{"audit logging off", map[string]string{"PERMIT_MCP_ENABLE_AUDIT_LOGGING": "false"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.DisableAudit = true }, false},
		{"audit logging on", map[string]string{"PERMIT_MCP_ENABLE_AUDIT_LOGGING": "on"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, false},
		{"header mode", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "header", "PERMIT_MCP_IDENTITY_HEADER": "X-User"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
				o.Identity = mcpauth.HeaderIdentity("X-User", "")
			}, false},
		{"context mode", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "Context"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.Identity = mcpauth.ContextIdentity() }, false},
		{"fixed mode", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "fixed", "PERMIT_MCP_IDENTITY_FIXED_VALUE": "svc"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.Identity = mcpauth.FixedIdentity("svc") }, false},
		{"source mode is the fixed user client", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "source", "PERMIT_MCP_IDENTITY_FIXED_VALUE": "svc"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.Identity = mcpauth.FixedIdentity("client") }, false},
		{"jwt mode with a secret", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_JWT_SECRET": "mysecretkey",
			"PERMIT_MCP_IDENTITY_JWT_FIELD": "email", "PERMIT_MCP_JWT_ALGORITHMS": `["HS256","HS512"]`,
			"PERMIT_MCP_IDENTITY_HEADER_REGEX": `[Tt]oken (.+)`,
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Identity = mcpauth.JWTIdentity(mcpauth.JWTOptions{
				Secret:      []byte("mysecretkey"),
				Claim:       "email",
				Algorithms:  []string{"HS256", "HS512"},
				HeaderRegex: `^(?:[Tt]oken (.+))`,
			})
		}, false},
		{"anchored regex kept", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "header", "PERMIT_MCP_IDENTITY_HEADER_REGEX": `^Bearer (.+)$`},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
				o.Identity = mcpauth.HeaderIdentity("", `^Bearer (.+)$`)
			}, false},
		{"regex ignored in fixed mode", map[string]string{"PERMIT_MCP_IDENTITY_HEADER_REGEX": `^Bearer (.+)$`},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, false},
		{"jwt secret as PEM", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "JWT", "PERMIT_MCP_IDENTITY_JWT_SECRET": pubPEM},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
				o.Identity = mcpauth.JWTIdentity(mcpauth.JWTOptions{PublicKey: pub})
			}, false},
		{"jwt secret as PEM with escaped newlines", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_JWT_SECRET": strings.ReplaceAll(strings.TrimSpace(pubPEM), "\n", `\n`),
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Identity = mcpauth.JWTIdentity(mcpauth.JWTOptions{PublicKey: pub})
		}, false},
		{"fastmcp algorithms with a secret keep HS256", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_JWT_SECRET": "mysecretkey", "PERMIT_MCP_JWT_ALGORITHMS": `["HS256","RS256"]`,
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Identity = mcpauth.JWTIdentity(mcpauth.JWTOptions{Secret: []byte("mysecretkey"), Algorithms: []string{"HS256"}})
		}, false},
		{"fastmcp algorithms with a PEM key keep RS256", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_JWT_SECRET": pubPEM, "PERMIT_MCP_JWT_ALGORITHMS": `["HS256","RS256","ES256"]`,
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Identity = mcpauth.JWTIdentity(mcpauth.JWTOptions{PublicKey: pub, Algorithms: []string{"RS256", "ES256"}})
		}, false},
		{"jwt secret ignored outside jwt mode", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "header", "PERMIT_MCP_IDENTITY_JWT_SECRET": "mysecretkey"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.Identity = mcpauth.HeaderIdentity("", "") }, false},
		{"permit-fastmcp's default regex", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "header", "PERMIT_MCP_IDENTITY_HEADER_REGEX": `[Bb]earer (.+)`},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
				o.Identity = mcpauth.HeaderIdentity("", `(?i)^bearer (.+)$`)
			}, false},
		{"no server prefix", map[string]string{"PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME": "False"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ResourcePrefix = "mcp_" }, false},
		{"nested arguments", map[string]string{"PERMIT_MCP_FLATTEN_TOOL_ARGUMENTS": "0"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.NestedArguments = true }, false},
		{"argument prefix", map[string]string{"PERMIT_MCP_TOOL_ARGUMENT_PREFIX": "a."},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ArgumentPrefix = "a." }, false},
		{"no argument prefix", map[string]string{"PERMIT_MCP_TOOL_ARGUMENT_PREFIX": ""},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ArgumentPrefix = mcpauth.NoPrefix }, false},
		{"tenant sources", map[string]string{
			"PERMIT_MCP_TENANT": "acme", "PERMIT_MCP_TENANT_CLAIM": "org", "PERMIT_MCP_TENANT_HEADER": "X-Tenant",
			"PERMIT_MCP_TENANT_REQUIRED": "yes",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Tenant = mcpauth.TenantOptions{Fixed: "acme", Claim: "org", Header: "X-Tenant", Required: true}
		}, false},
		{"jwt hardening", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_HEADER": "X-Token",
			"PERMIT_MCP_JWKS_URL": "https://issuer.example/jwks.json", "PERMIT_MCP_JWKS_REFRESH": "5m",
			"PERMIT_MCP_JWT_ISSUER": "https://issuer.example", "PERMIT_MCP_JWT_AUDIENCE": "mcp",
			"PERMIT_MCP_JWT_LEEWAY": "2.5", "PERMIT_MCP_JWT_REQUIRE_EXPIRY": "f",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Identity = mcpauth.JWTIdentity(mcpauth.JWTOptions{
				Header:        "X-Token",
				JWKSURL:       "https://issuer.example/jwks.json",
				JWKSRefresh:   5 * time.Minute,
				Issuer:        "https://issuer.example",
				Audience:      "mcp",
				Leeway:        2500 * time.Millisecond,
				AllowNoExpiry: true,
			})
		}, false},
		{"identity extras", map[string]string{
			"PERMIT_MCP_ALLOW_UNKNOWN_USER": "Y", "PERMIT_MCP_RESOURCE_METADATA_URL": "https://mcp.example/.well-known/oauth-protected-resource",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.AllowUnknownUser = true
			o.ResourceMetadataURL = "https://mcp.example/.well-known/oauth-protected-resource"
		}, false},
		{"mapping extras", map[string]string{
			"PERMIT_MCP_PUBLIC_TOOLS": `["login"]`, "PERMIT_MCP_UNKNOWN_METHODS": "access",
			"PERMIT_MCP_ARGUMENT_COLLISION": "rename", "PERMIT_MCP_LEGACY_RESOURCE_TYPES": "1",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.PublicTools = []string{"login"}
			o.UnknownMethods = mcpauth.UnknownCheckAccess
			o.ArgumentCollision = mcpauth.CollisionRename
			o.LegacyResourceTypes = true
		}, false},
		{"request handling", map[string]string{"PERMIT_MCP_MAX_BODY_BYTES": "1048576", "PERMIT_MCP_ALLOW_BATCH": "true"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.Limits.MaxBodyBytes, o.AllowBatch = 1<<20, true }, false},
		{"denials", map[string]string{
			"PERMIT_MCP_DENY_CODE": "-32003", "PERMIT_MCP_DENY_MESSAGE": "Forbidden", "PERMIT_MCP_TOOL_DENY": "HTTP403",
			"PERMIT_MCP_EXPOSE_DENY_REASON": "true", "PERMIT_MCP_AUDIT_ARGUMENTS": "true",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Deny = mcpauth.DenyOptions{Code: -32003, Message: "Forbidden", ToolCall: mcpauth.ToolDenyHTTP403, ExposeReason: true}
			o.AuditArguments = true
		}, false},
		{"tool deny error", map[string]string{"PERMIT_MCP_TOOL_DENY": "error"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.Deny.ToolCall = mcpauth.ToolDenyError }, false},
		{"cache", map[string]string{
			"PERMIT_MCP_DECISION_CACHE_SIZE": "500", "PERMIT_MCP_CACHE_ALLOW_TTL": "2m", "PERMIT_MCP_CACHE_DENY_TTL": "3",
			"PERMIT_MCP_PDP_TIMEOUT": "750ms",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {
			o.Cache = mcpauth.CacheOptions{Size: 500, AllowTTL: 2 * time.Minute, DenyTTL: 3 * time.Second, PDPTimeout: 750 * time.Millisecond}
			po.Timeout = 750 * time.Millisecond
		}, false},
		{"cache disabled", map[string]string{"PERMIT_MCP_DECISION_CACHE_SIZE": "0"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.Cache.Size = -1 }, false},
		{"lists", map[string]string{"PERMIT_MCP_DISABLE_LIST_FILTERING": "yes", "PERMIT_MCP_COARSE_LIST_CHECK": "on"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ListFiltering = mcpauth.ListCheckOnly }, false},
		{"lists unfiltered", map[string]string{"PERMIT_MCP_DISABLE_LIST_FILTERING": "yes"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ListFiltering = mcpauth.ListCheckOnly }, false},
		{"coarse list check", map[string]string{"PERMIT_MCP_COARSE_LIST_CHECK": "on"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.ListFiltering = mcpauth.ListFilterAndCheck }, false},
		// What they set is checked by TestAuthZENFromLookup.
		{"authzen settings leave Options and PermitOptions alone", map[string]string{
			"PERMIT_MCP_AUTHZEN_URL": "http://pdp.internal:8181", "PERMIT_MCP_AUTHZEN_ALLOW_INSECURE_HTTP": "true",
			"PERMIT_MCP_AUTHZEN_DISCOVER": "true", "PERMIT_MCP_AUTHZEN_METADATA_TTL": "5m",
			"PERMIT_MCP_AUTHZEN_API_KEY": "k", "PERMIT_MCP_AUTHZEN_API_KEY_HEADER": "X-Key",
			"PERMIT_MCP_AUTHZEN_SUBJECT_TYPE": "identity", "PERMIT_MCP_AUTHZEN_DISABLE_EVALUATIONS": "true",
		}, func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, false},
		{"authzen bearer token", map[string]string{"PERMIT_MCP_AUTHZEN_URL": "https://pdp", "PERMIT_MCP_AUTHZEN_TOKEN": "t"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) {}, false},
		{"ambiguous tools", map[string]string{"PERMIT_MCP_ALLOW_AMBIGUOUS_TOOLS": "true"},
			func(o *mcpauth.Options, po *mcpauth.PermitOptions) { o.AllowAmbiguousTools = true }, false},
	}
	used := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name := range tt.env {
				used[name] = true
			}
			o, po, err := mcpauthenv.FromLookup(mapLookup(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			wantO, wantPO := &mcpauth.Options{}, &mcpauth.PermitOptions{}
			tt.want(wantO, wantPO)
			if got := o.Mapping != nil; got != tt.mapped {
				t.Errorf("Mapping installed: got %v, want %v", got, tt.mapped)
			}
			if diff := cmp.Diff(wantO, o, cmpOptions); diff != "" {
				t.Errorf("Options (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantPO, po); diff != "" {
				t.Errorf("PermitOptions (-want +got):\n%s", diff)
			}
		})
	}
	for _, v := range mcpauthenv.Vars() {
		if !used[v.Name] {
			t.Errorf("%s is not exercised by this test", v.Name)
		}
	}
}

func TestVarsTable(t *testing.T) {
	name := regexp.MustCompile(`^PERMIT_[A-Z0-9_]+$`)
	seen := map[string]bool{}
	for _, v := range mcpauthenv.Vars() {
		if !name.MatchString(v.Name) || seen[v.Name] {
			t.Errorf("bad or duplicate name %q", v.Name)
		}
		seen[v.Name] = true
		if v.Field == "" || v.Default == "" || v.Doc == "" {
			t.Errorf("%s: Field, Default and Doc must be set: %+v", v.Name, v)
		}
	}
	// Every setting of permit-fastmcp, plus the example runner's names.
	for _, n := range []string{
		"KNOWN_METHODS", "BYPASSED_METHODS", "ACTION_PREFIX", "RESOURCE_PREFIX", "MCP_SERVER_NAME",
		"PERMIT_PDP_URL", "PERMIT_API_KEY", "ENABLE_AUDIT_LOGGING", "IDENTITY_MODE", "IDENTITY_HEADER",
		"IDENTITY_HEADER_REGEX", "IDENTITY_JWT_SECRET", "IDENTITY_JWT_FIELD", "IDENTITY_FIXED_VALUE",
		"JWT_ALGORITHMS", "PREFIX_RESOURCE_WITH_SERVER_NAME", "FLATTEN_TOOL_ARGUMENTS", "TOOL_ARGUMENT_PREFIX",
	} {
		if !seen["PERMIT_MCP_"+n] {
			t.Errorf("PERMIT_MCP_%s is missing", n)
		}
	}
	if !seen["PERMIT_PDP_URL"] || !seen["PERMIT_API_KEY"] {
		t.Error("PERMIT_PDP_URL or PERMIT_API_KEY is missing")
	}
	env := mcpauthenv.Vars()
	env[0].Name = "changed"
	if mcpauthenv.Vars()[0].Name == "changed" {
		t.Error("Vars returns the table itself, not a copy")
	}
}

func TestFromLookupErrors(t *testing.T) {
	_, privPEM := testPEMs(t)
	const secret = "s3cr3t-value-never-shown"
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"list not JSON", map[string]string{"PERMIT_MCP_BYPASSED_METHODS": "initialize,ping"},
			`mcpauthenv: PERMIT_MCP_BYPASSED_METHODS "initialize,ping" is not a JSON list of strings such as ["a","b"]`},
		{"list of numbers", map[string]string{"PERMIT_MCP_PUBLIC_TOOLS": "[1]"},
			`mcpauthenv: PERMIT_MCP_PUBLIC_TOOLS "[1]" is not a JSON list of strings such as ["a","b"]`},
		{"list null", map[string]string{"PERMIT_MCP_PUBLIC_TOOLS": "null"},
			`mcpauthenv: PERMIT_MCP_PUBLIC_TOOLS "null" is not a JSON list of strings such as ["a","b"]`},
		{"list with trailing data", map[string]string{"PERMIT_MCP_PUBLIC_TOOLS": `["a"] ["b"]`},
			`mcpauthenv: PERMIT_MCP_PUBLIC_TOOLS "[\"a\"] [\"b\"]" is not a JSON list of strings such as ["a","b"]`},
		{"list empty element", map[string]string{"PERMIT_MCP_BYPASSED_METHODS": `["ping",""]`},
			`mcpauthenv: PERMIT_MCP_BYPASSED_METHODS has an empty element`},
		{"bool", map[string]string{"PERMIT_MCP_ALLOW_BATCH": "maybe"},
			`mcpauthenv: PERMIT_MCP_ALLOW_BATCH "maybe" is not a boolean (true/false, 1/0, yes/no, on/off)`},
		{"identity mode", map[string]string{"PERMIT_MCP_IDENTITY_MODE": "oauth"},
			`mcpauthenv: PERMIT_MCP_IDENTITY_MODE "oauth" is not one of context, fixed, header, jwt, source`},
		{"tool deny", map[string]string{"PERMIT_MCP_TOOL_DENY": "403"},
			`mcpauthenv: PERMIT_MCP_TOOL_DENY "403" is not one of error, http403, result`},
		{"unknown methods", map[string]string{"PERMIT_MCP_UNKNOWN_METHODS": "allow"},
			`mcpauthenv: PERMIT_MCP_UNKNOWN_METHODS "allow" is not one of access, deny`},
		{"collision", map[string]string{"PERMIT_MCP_ARGUMENT_COLLISION": "overwrite"},
			`mcpauthenv: PERMIT_MCP_ARGUMENT_COLLISION "overwrite" is not one of deny, rename`},
		{"regex", map[string]string{"PERMIT_MCP_IDENTITY_HEADER_REGEX": `Bearer (.+`},
			"mcpauthenv: PERMIT_MCP_IDENTITY_HEADER_REGEX is not a valid regular expression: error parsing regexp: missing closing ): `^(?:Bearer (.+)`"},
		{"regex without group", map[string]string{"PERMIT_MCP_IDENTITY_HEADER_REGEX": `Bearer .+`},
			`mcpauthenv: PERMIT_MCP_IDENTITY_HEADER_REGEX has no capture group`},
		{"algorithms", map[string]string{"PERMIT_MCP_JWT_ALGORITHMS": `["HS256","none"]`},
			`mcpauthenv: PERMIT_MCP_JWT_ALGORITHMS has the unsupported algorithm "none"`},
		{"bad PEM", map[string]string{"PERMIT_MCP_IDENTITY_JWT_SECRET": "-----BEGIN PUBLIC KEY-----" + secret},
			`mcpauthenv: PERMIT_MCP_IDENTITY_JWT_SECRET starts like PEM but holds no valid PEM block`},
		{"private key PEM", map[string]string{"PERMIT_MCP_IDENTITY_JWT_SECRET": privPEM},
			`mcpauthenv: PERMIT_MCP_IDENTITY_JWT_SECRET holds a private key; give the public key or certificate`},
		{"pdp url", map[string]string{"PERMIT_PDP_URL": "localhost:7766"},
			`mcpauthenv: PERMIT_PDP_URL is not an absolute http or https URL`},
		{"pdp url with credentials is not echoed", map[string]string{"PERMIT_MCP_PERMIT_PDP_URL": "ftp://user:" + secret + "@pdp"},
			`mcpauthenv: PERMIT_MCP_PERMIT_PDP_URL is not an absolute http or https URL`},
		{"jwks url", map[string]string{"PERMIT_MCP_JWKS_URL": "/jwks.json"},
			`mcpauthenv: PERMIT_MCP_JWKS_URL is not an absolute http or https URL`},
		{"resource metadata url", map[string]string{"PERMIT_MCP_RESOURCE_METADATA_URL": "mcp.example"},
			`mcpauthenv: PERMIT_MCP_RESOURCE_METADATA_URL is not an absolute http or https URL`},
		{"max body", map[string]string{"PERMIT_MCP_MAX_BODY_BYTES": "4MiB"},
			`mcpauthenv: PERMIT_MCP_MAX_BODY_BYTES "4MiB" is not a positive integer`},
		{"max body zero", map[string]string{"PERMIT_MCP_MAX_BODY_BYTES": "0"},
			`mcpauthenv: PERMIT_MCP_MAX_BODY_BYTES "0" is not a positive integer`},
		{"deny code", map[string]string{"PERMIT_MCP_DENY_CODE": "x"},
			`mcpauthenv: PERMIT_MCP_DENY_CODE "x" is not a non-zero 32-bit integer`},
		{"cache size", map[string]string{"PERMIT_MCP_DECISION_CACHE_SIZE": "-1"},
			`mcpauthenv: PERMIT_MCP_DECISION_CACHE_SIZE "-1" is not a non-negative integer`},
		{"duration", map[string]string{"PERMIT_MCP_CACHE_ALLOW_TTL": "soon"},
			`mcpauthenv: PERMIT_MCP_CACHE_ALLOW_TTL "soon" is not a duration (such as 30s or 1m) or a number of seconds`},
		{"zero duration", map[string]string{"PERMIT_MCP_CACHE_DENY_TTL": "0"},
			`mcpauthenv: PERMIT_MCP_CACHE_DENY_TTL "0" is not a positive duration`},
		{"negative duration", map[string]string{"PERMIT_MCP_PDP_TIMEOUT": "-1s"},
			`mcpauthenv: PERMIT_MCP_PDP_TIMEOUT "-1s" is not a positive duration`},
		{"huge duration", map[string]string{"PERMIT_MCP_JWT_LEEWAY": "1e300"},
			`mcpauthenv: PERMIT_MCP_JWT_LEEWAY "1e300" is not a duration (such as 30s or 1m) or a number of seconds`},
		{"long value is shortened", map[string]string{"PERMIT_MCP_ALLOW_BATCH": strings.Repeat("x", 100)},
			`mcpauthenv: PERMIT_MCP_ALLOW_BATCH "` + strings.Repeat("x", 64) + `..." is not a boolean (true/false, 1/0, yes/no, on/off)`},
		{"JWKS outside jwt mode", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "header", "PERMIT_MCP_JWKS_URL": "https://issuer.example/jwks.json",
		}, `mcpauthenv: PERMIT_MCP_JWKS_URL is set but PERMIT_MCP_IDENTITY_MODE is not jwt`},
		{"PEM that is no public key", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_JWT_SECRET": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
		}, `mcpauthenv: PERMIT_MCP_IDENTITY_JWT_SECRET holds a PEM block that is not a public key or certificate`},
		{"no algorithm for the secret", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_JWT_SECRET": secret, "PERMIT_MCP_JWT_ALGORITHMS": `["RS256"]`,
		}, `mcpauthenv: PERMIT_MCP_JWT_ALGORITHMS has no algorithm for an HMAC secret`},
		{"no algorithm for the JWKS", map[string]string{
			"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_JWKS_URL": "https://issuer.example/jwks", "PERMIT_MCP_JWT_ALGORITHMS": `["HS256"]`,
		}, `mcpauthenv: PERMIT_MCP_JWT_ALGORITHMS has no algorithm for a public key`},
		{"known method with two slashes", map[string]string{"PERMIT_MCP_KNOWN_METHODS": `["a/b/c"]`},
			`mcpauthenv: PERMIT_MCP_KNOWN_METHODS has "a/b/c", which is not of the form component/verb`},
		{"known method without slash", map[string]string{"PERMIT_MCP_KNOWN_METHODS": `["ping"]`},
			`mcpauthenv: PERMIT_MCP_KNOWN_METHODS has "ping", which is not of the form component/verb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, po, err := mcpauthenv.FromLookup(mapLookup(tt.env))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error:\ngot  %v\nwant %s", err, tt.want)
			}
			if o != nil || po != nil {
				t.Errorf("got options %v, %v with the error, want nil", o, po)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "PRIVATE KEY-----") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

func TestKnownMethodsMapping(t *testing.T) {
	user := mcpauth.User{Key: "alice"}
	req := func(method string) *mcpauth.Request {
		return &mcpauth.Request{Method: method, Tenant: "default", Identity: &mcpauth.Identity{User: user}}
	}
	defaults := `"tools/list","prompts/list","resources/list","tools/call","resources/read"`
	tests := []struct {
		name    string
		env     map[string]string
		method  string
		want    *mcpauth.Check
		wantErr error
	}{
		{
			name:   "extra method maps as permit-fastmcp",
			env:    map[string]string{"PERMIT_MCP_KNOWN_METHODS": `[` + defaults + `,"prompts/get","logging/setLevel"]`, "PERMIT_MCP_ACTION_PREFIX": "do-"},
			method: "logging/setLevel",
			want: &mcpauth.Check{User: user, Action: "do-setLevel", Resource: mcpauth.Resource{
				Type: "mcp_server_logging", Tenant: "default",
				Attributes: map[string]any{"mcp_method": "logging/setLevel", "resource_type": "logging", "arguments": map[string]any{}},
			}},
		},
		{
			name:   "extra method with resource prefix",
			env:    map[string]string{"PERMIT_MCP_KNOWN_METHODS": `[` + defaults + `,"prompts/get","logging/setLevel"]`, "PERMIT_MCP_PREFIX_RESOURCE_WITH_SERVER_NAME": "false"},
			method: "logging/setLevel",
			want: &mcpauth.Check{User: user, Action: "setLevel", Resource: mcpauth.Resource{
				Type: "mcp_logging", Tenant: "default",
				Attributes: map[string]any{"mcp_method": "logging/setLevel", "resource_type": "logging", "arguments": map[string]any{}},
			}},
		},
		{
			name:    "dropped default method is unknown and denied",
			env:     map[string]string{"PERMIT_MCP_KNOWN_METHODS": `[` + defaults + `]`},
			method:  "prompts/get",
			wantErr: mcpauth.ErrNoMapping,
		},
		{
			name:   "dropped default method checked for access",
			env:    map[string]string{"PERMIT_MCP_KNOWN_METHODS": `[` + defaults + `]`, "PERMIT_MCP_UNKNOWN_METHODS": "access"},
			method: "prompts/get",
			want: &mcpauth.Check{User: user, Action: "access", Resource: mcpauth.Resource{
				Type: "mcp_server_method:prompts/get", Tenant: "default",
				Attributes: map[string]any{"mcp_method": "prompts/get", "resource_type": "unknown"},
			}},
		},
		{
			name:   "other methods use the built-in mapping",
			env:    map[string]string{"PERMIT_MCP_KNOWN_METHODS": `[` + defaults + `]`},
			method: "tools/list",
			want: &mcpauth.Check{User: user, Action: "list", Resource: mcpauth.Resource{
				Type: "mcp_server_tools", Tenant: "default",
				Attributes: map[string]any{"mcp_method": "tools/list", "resource_type": "tools"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, err := mcpauthenv.FromLookup(mapLookup(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if o.Mapping == nil {
				t.Fatal("no Mapping installed")
			}
			got, ok, err := o.Mapping(context.Background(), req(tt.method))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got %v, %v, %v, want error %v", got, ok, err, tt.wantErr)
				}
				return
			}
			if err != nil || !ok {
				t.Fatalf("got %v, %v, want a check", ok, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("check (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromEnvCaseInsensitive(t *testing.T) {
	t.Run("lower case", func(t *testing.T) {
		t.Setenv("permit_mcp_mcp_server_name", "weather")
		t.Setenv("Permit_Api_Key", "permit_key_x")
		o, po, err := mcpauthenv.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if o.ServerName != "weather" || po.APIKey != "permit_key_x" {
			t.Errorf("got server %q key %q, want weather, permit_key_x", o.ServerName, po.APIKey)
		}
	})
	t.Run("upper case wins", func(t *testing.T) {
		t.Setenv("permit_mcp_mcp_server_name", "lower")
		t.Setenv("PERMIT_MCP_MCP_SERVER_NAME", "upper")
		o, _, err := mcpauthenv.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if o.ServerName != "upper" {
			t.Errorf("got %q, want upper", o.ServerName)
		}
	})
	t.Run("ambiguous spellings", func(t *testing.T) {
		t.Setenv("permit_mcp_tenant", "a")
		t.Setenv("Permit_Mcp_Tenant", "b")
		_, _, err := mcpauthenv.FromEnv()
		re := regexp.MustCompile(`^mcpauthenv: environment variables (permit_mcp_tenant|Permit_Mcp_Tenant) and (permit_mcp_tenant|Permit_Mcp_Tenant) are both set, with different values$`)
		if err == nil || !re.MatchString(err.Error()) {
			t.Errorf("got %v, want an error naming both variables", err)
		}
	})
	t.Run("bad value", func(t *testing.T) {
		t.Setenv("permit_mcp_allow_batch", "sometimes")
		_, _, err := mcpauthenv.FromEnv()
		if want := `mcpauthenv: PERMIT_MCP_ALLOW_BATCH "sometimes" is not a boolean (true/false, 1/0, yes/no, on/off)`; err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFile(t *testing.T) {
	pubPEM, _ := testPEMs(t)
	content := "\xef\xbb\xbf# permit-fastmcp settings\n" +
		"\n" +
		"PERMIT_MCP_MCP_SERVER_NAME=weather   # trailing comment\n" +
		"export permit_mcp_identity_mode = jwt\n" +
		"PERMIT_MCP_ACTION_PREFIX='from file'\n" +
		"PERMIT_MCP_BYPASSED_METHODS='[\"initialize\", \"ping\"]'\n" +
		"PERMIT_MCP_DENY_MESSAGE=\"Not \\\"allowed\\\"#1\" # comment\n" +
		"PERMIT_MCP_TENANT=acme#not-a-comment\r\n" +
		"PERMIT_MCP_IDENTITY_JWT_SECRET=\"" + pubPEM + "\"\n" +
		"PERMIT_API_KEY=from-file\n" +
		"PERMIT_MCP_TOOL_ARGUMENT_PREFIX=\n" +
		"PERMIT_MCP_JWT_AUDIENCE='literal\\n $HOME'\n"
	t.Setenv("PERMIT_API_KEY", "from-env")
	t.Setenv("PERMIT_MCP_ACTION_PREFIX", "")
	lookup, err := mcpauthenv.LoadFile(writeFile(t, content))
	if err != nil {
		t.Fatal(err)
	}
	o, po, err := mcpauthenv.FromLookup(lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := &mcpauth.Options{
		ServerName: "weather",
		// The environment's empty PERMIT_MCP_ACTION_PREFIX hides the file's.
		BypassMethods:  []string{"initialize", "ping"},
		ArgumentPrefix: mcpauth.NoPrefix,
		Tenant:         mcpauth.TenantOptions{Fixed: "acme#not-a-comment"},
		Deny:           mcpauth.DenyOptions{Message: `Not "allowed"#1`},
		Identity:       mcpauth.JWTIdentity(mcpauth.JWTOptions{PublicKey: pemKey(t, pubPEM), Audience: `literal\n $HOME`}),
	}
	if diff := cmp.Diff(want, o, cmpOptions); diff != "" {
		t.Errorf("Options (-want +got):\n%s", diff)
	}
	if po.APIKey != "from-env" {
		t.Errorf("APIKey: got %q, want the environment's from-env", po.APIKey)
	}
	if v, ok := lookup("permit_mcp_mcp_server_name"); !ok || v != "weather" {
		t.Errorf("case-insensitive lookup: got %q, %v", v, ok)
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"no equals", "A=1\nPERMIT_MCP_TENANT\n", "line 2: not NAME=value"},
		{"bad name", "1ABC=x\n", "line 1: not NAME=value"},
		{"unterminated", "A=1\nB=\"secret\nstill secret\n", "line 2: unterminated quoted value"},
		{"text after quote", "B='x' y\n", "line 1: text after the closing quote"},
		{"ambiguous spellings", "permit_mcp_tenant=a\nPermit_MCP_Tenant=b\n", "environment variables permit_mcp_tenant and Permit_MCP_Tenant are both set, with different values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			_, err := mcpauthenv.LoadFile(path)
			if err == nil || !strings.HasSuffix(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "mcpauthenv: ") {
				t.Fatalf("got %v, want an error ending in %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows a value: %v", err)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := mcpauthenv.LoadFile(filepath.Join(t.TempDir(), ".env"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want an error wrapping fs.ErrNotExist", err)
		}
	})
}

// ExampleFromLookup configures the middleware from permit-fastmcp's
// variable names, here from a map instead of the process environment.
func ExampleFromLookup() {
	env := map[string]string{
		"PERMIT_MCP_MCP_SERVER_NAME":         "weather",
		"PERMIT_MCP_IDENTITY_MODE":           "jwt",
		"PERMIT_MCP_IDENTITY_JWT_SECRET":     "mysecretkey",
		"PERMIT_MCP_BYPASSED_METHODS":        `["initialize","ping","notifications/*"]`,
		"PERMIT_MCP_FLATTEN_TOOL_ARGUMENTS":  "true",
		"PERMIT_MCP_PERMIT_PDP_URL":          "http://pdp.internal:7766",
		"PERMIT_API_KEY":                     "permit_key_example",
		"PERMIT_MCP_PUBLIC_TOOLS":            `["login"]`,
		"PERMIT_MCP_CACHE_DENY_TTL":          "5",
		"PERMIT_MCP_IDENTITY_HEADER_REGEX":   `[Bb]earer (.+)`,
		"PERMIT_MCP_ENABLE_AUDIT_LOGGING":    "yes",
		"PERMIT_MCP_DISABLE_LIST_FILTERING":  "false",
		"PERMIT_MCP_PREFIX_RESOURCE_WITH_SE": "ignored: not a known name",
	}
	opts, pdp, err := mcpauthenv.FromLookup(func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("server:", opts.ServerName)
	fmt.Println("items filtered:", opts.ListFiltering == mcpauth.ListFilterItems)
	fmt.Println("bypass:", opts.BypassMethods)
	fmt.Println("public tools:", opts.PublicTools)
	fmt.Println("deny TTL:", opts.Cache.DenyTTL)
	fmt.Println("pdp:", pdp.PDPURL)
	// Output:
	// server: weather
	// items filtered: true
	// bypass: [initialize ping notifications/*]
	// public tools: [login]
	// deny TTL: 5s
	// pdp: http://pdp.internal:7766
}

// FuzzLoadFile checks that the .env parser never panics and that a
// double-quoted value written with the documented escapes reads back
// unchanged.
func FuzzLoadFile(f *testing.F) {
	f.Add([]byte("A=1\n# c\nexport B='x y'\nC=\"l1\nl2\" # c\n"), "plain")
	f.Add([]byte("A=\"unterminated\n"), "with \"quotes\" and \\ back\\slash")
	f.Add([]byte("\xef\xbb\xbfA = b # c\r\n=x\n"), "multi\nline\r\nvalue\t#x")
	f.Add([]byte("B='it''s'\nexport\nexport=1\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, value string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "any.env")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if lookup, err := mcpauthenv.LoadFile(path); err == nil {
			lookup("A")
		}

		if strings.ContainsRune(value, 0) {
			return
		}
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", `\r`)
		content := "PERMIT_MCP_FUZZ_VALUE=\"" + r.Replace(value) + "\" # end\n"
		path = filepath.Join(dir, "round.env")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		lookup, err := mcpauthenv.LoadFile(path)
		if err != nil {
			t.Fatalf("LoadFile(%q): %v", content, err)
		}
		if got, ok := lookup("permit_mcp_fuzz_value"); !ok || got != value {
			t.Errorf("round trip of %q: got %q, %v", value, got, ok)
		}
	})
}

// ExampleVars lists variables with their option, as a README table
// would; here only those configuring the Permit decision point.
func ExampleVars() {
	for _, v := range mcpauthenv.Vars() {
		if strings.HasPrefix(v.Field, "PermitOptions.") {
			fmt.Printf("%s -> %s (default %s, secret %v)\n", v.Name, v.Field, v.Default, v.Secret)
		}
	}
	// Output:
	// PERMIT_PDP_URL -> PermitOptions.PDPURL (default http://localhost:7766, secret false)
	// PERMIT_MCP_PERMIT_PDP_URL -> PermitOptions.PDPURL (default http://localhost:7766, secret false)
	// PERMIT_API_KEY -> PermitOptions.APIKey (default none (required by NewPermit), secret true)
	// PERMIT_MCP_PERMIT_API_KEY -> PermitOptions.APIKey (default none (required by NewPermit), secret true)
	// PERMIT_MCP_PDP_TIMEOUT -> PermitOptions.Timeout, AuthZENOptions.Timeout and Options.Cache.PDPTimeout (default 5s, secret false)
}

// hs256 signs claims as a compact HS256 JWT.
func hs256(t *testing.T, secret string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// TestFromEnvEndToEnd configures the middleware and the Permit
// client from variables only, and checks what the PDP receives.
func TestFromEnvEndToEnd(t *testing.T) {
	type sent struct {
		User, Action, Type, Tenant string
		Attributes                 map[string]any
	}
	tests := []struct {
		name    string
		env     map[string]string
		method  string
		params  string
		headers map[string]string
		want    sent
	}{
		{
			name: "permit-fastmcp example server",
			env: map[string]string{
				"PERMIT_MCP_IDENTITY_MODE": "jwt", "PERMIT_MCP_IDENTITY_JWT_SECRET": "mysecretkey",
				"PERMIT_MCP_JWT_ALGORITHMS": `["HS256","RS256"]`,
			},
			method: "tools/call", params: `{"name":"conditional-greet","arguments":{"name":"A","number":12}}`,
			headers: map[string]string{"Authorization": "Bearer " + hs256(t, "mysecretkey", map[string]any{
				"sub": "admin", "iat": time.Now().Unix(), "exp": time.Now().Add(100 * time.Hour).Unix(),
			})},
			want: sent{User: "admin", Action: "conditional-greet", Type: "mcp_server", Tenant: "default", Attributes: map[string]any{
				"tool_name": "conditional-greet", "mcp_method": "tools/call", "arg_name": "A", "arg_number": json.Number("12"),
			}},
		},
		{
			name: "header identity, tenant header, no argument prefix",
			env: map[string]string{
				"PERMIT_MCP_IDENTITY_MODE": "header", "PERMIT_MCP_IDENTITY_HEADER": "X-User",
				"PERMIT_MCP_TENANT_HEADER": "X-Tenant", "PERMIT_MCP_MCP_SERVER_NAME": "weather",
				"PERMIT_MCP_TOOL_ARGUMENT_PREFIX": "",
			},
			method: "tools/call", params: `{"name":"forecast","arguments":{"city":"Oslo"}}`,
			headers: map[string]string{"X-User": "bob", "X-Tenant": "acme"},
			want: sent{User: "bob", Action: "forecast", Type: "weather", Tenant: "acme", Attributes: map[string]any{
				"tool_name": "forecast", "mcp_method": "tools/call", "city": "Oslo",
			}},
		},
		{
			// logging/setLevel is bypassed by default: checking it takes it
			// out of the bypass list as well as adding it to the mapping.
			name: "known methods extend the mapping",
			env: map[string]string{
				"PERMIT_MCP_KNOWN_METHODS":        `["tools/list","prompts/list","resources/list","tools/call","resources/read","prompts/get","logging/setLevel"]`,
				"PERMIT_MCP_BYPASSED_METHODS":     `["initialize","ping","notifications/*","server/discover"]`,
				"PERMIT_MCP_ACTION_PREFIX":        "mcp:",
				"PERMIT_MCP_IDENTITY_MODE":        "fixed",
				"PERMIT_MCP_IDENTITY_FIXED_VALUE": "svc",
			},
			method: "logging/setLevel", params: `{"level":"debug"}`,
			want: sent{User: "svc", Action: "mcp:setLevel", Type: "mcp_server_logging", Tenant: "default", Attributes: map[string]any{
				"mcp_method": "logging/setLevel", "resource_type": "logging", "arguments": map[string]any{},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdp := permittest.New(t)
			pdp.AllowAll()
			env := map[string]string{"PERMIT_PDP_URL": pdp.URL, "PERMIT_API_KEY": pdp.APIKey}
			for k, v := range tt.env {
				env[k] = v
			}
			opts, popts, err := mcpauthenv.FromLookup(mapLookup(env))
			if err != nil {
				t.Fatal(err)
			}
			authz, err := mcpauth.NewPermit(popts)
			if err != nil {
				t.Fatal(err)
			}
			mw, err := mcpauth.New(authz, opts)
			if err != nil {
				t.Fatalf("New rejects the options read from the environment: %v", err)
			}
			body := `{"jsonrpc":"2.0","id":1,"method":"` + tt.method + `","params":` + tt.params + `}`
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			d, err := mw.Check(r)
			if err != nil || !d.Allowed {
				t.Fatalf("Check: got %+v, %v, want allowed", d, err)
			}
			checks := pdp.Checks()
			if len(checks) != 1 {
				t.Fatalf("PDP got %d checks, want 1: %+v", len(checks), checks)
			}
			c := checks[0]
			got := sent{c.User.Key, c.Action, c.Resource.Type, c.Resource.Tenant, c.Resource.Attributes}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("check sent to the PDP (-want +got):\n%s", diff)
			}
		})
	}
}
