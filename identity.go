// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/internal/jwtpolicy"
)

// verifiedTokenCacheSize bounds the JWT verifier's cache of verified tokens
// (see internal/jwtpolicy): MCP clients send the same bearer token with every
// request, and an ES256 or RS256 verification costs far more than the rest
// of identification. Entries never outlive the token's exp and are reused
// for at most jwtpolicy.DefaultCacheTTL.
const verifiedTokenCacheSize = 1024

// unknownUser is the user key of a caller without a valid identity when
// IdentityOptions.AllowUnknown is set, as in permit-fastmcp.
const unknownUser = "unknown"

// Values of the "type" user attribute of the unknown user (and of the fixed
// user), as permit-fastmcp sends them. attrInvalidIdentityHeader,
// attrMissingPrincipal and attrIdentityFuncError are this package's
// additions for what permit-fastmcp does not have (a header regex in header
// mode, context mode, custom functions).
const (
	attrMissingJWTHeader      = "missing_jwt_header"
	attrInvalidJWTHeader      = "invalid_jwt_header_format"
	attrJWTError              = "jwt_error"
	attrMissingIdentityHeader = "missing_identity_header"
	attrInvalidIdentityHeader = "invalid_identity_header_format"
	attrMissingPrincipal      = "missing_principal"
	attrIdentityFuncError     = "identity_func_error"
	attrFixedIdentity         = "fixed_identity"
)

// identifier identifies callers according to IdentityOptions and picks
// their tenant according to TenantOptions. It is built once by New and is
// safe for concurrent use.
type identifier struct {
	mode         IdentityMode
	allowUnknown bool
	fixedUser    string
	header       string // canonical name of the credential header
	headerName   string // the name as configured, for user attributes
	// fixedAttrs and headerAttrs are the user attributes of the fixed and
	// header modes, built once and shared by every request (read-only).
	fixedAttrs  map[string]any
	headerAttrs map[string]any
	extract     func(string) (string, bool)
	verifier    *jwtpolicy.Verifier
	claim       string
	fn          IdentityFunc

	tenantFixed    string
	tenantClaim    string
	tenantHeader   string // canonical
	tenantRequired bool

	logger *slog.Logger
	now    func() time.Time
}

// identityError is an identification failure: it wraps ErrUnauthenticated
// and the cause, and records the permit-fastmcp "type" attribute used when
// AllowUnknown turns the failure into the unknown user.
type identityError struct {
	kind  string
	msg   string
	cause error // may be nil
}

func (e *identityError) Error() string {
	if e.msg == "" {
		return e.cause.Error()
	}
	if e.cause != nil {
		return ErrUnauthenticated.Error() + ": " + e.msg + ": " + e.cause.Error()
	}
	return ErrUnauthenticated.Error() + ": " + e.msg
}

func (e *identityError) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrUnauthenticated, e.cause}
	}
	return []error{ErrUnauthenticated}
}

// invalidCredential reports whether err, from identify, means that a
// credential was presented but rejected (as opposed to missing). RFC 6750
// §3.1 answers the first with error="invalid_token" in WWW-Authenticate and
// the second without an error code.
func invalidCredential(err error) bool {
	var ie *identityError
	if !errors.As(err, &ie) {
		return false
	}
	switch ie.kind {
	case attrMissingJWTHeader, attrMissingIdentityHeader, attrMissingPrincipal:
		return false
	}
	return true
}

// newIdentifier validates id and tenant and builds an identifier. Errors
// name the offending field.
func newIdentifier(id IdentityOptions, tenant TenantOptions, logger *slog.Logger) (*identifier, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	i := &identifier{
		mode:         id.Mode,
		allowUnknown: id.AllowUnknown,
		logger:       logger,
		now:          time.Now,
		fixedAttrs:   map[string]any{"type": attrFixedIdentity},
	}
	jwtKeySet := id.JWT.Secret != nil || id.JWT.PublicKey != nil || len(id.JWT.PublicKeyPEM) > 0 || id.JWT.JWKSURL != ""
	if jwtKeySet && id.Mode != IdentityJWT {
		return nil, errors.New("mcpauth: Identity.JWT has a key but Identity.Mode is not IdentityJWT")
	}
	if id.Func != nil && id.Mode != IdentityCustom {
		return nil, errors.New("mcpauth: Identity.Func is set but Identity.Mode is not IdentityCustom")
	}
	switch id.Mode {
	case IdentityFixed:
		i.fixedUser = cmpOr(id.FixedUser, DefaultFixedUser)
	case IdentityHeader, IdentityJWT:
		i.headerName = cmpOr(id.Header, DefaultIdentityHeader)
		i.headerAttrs = map[string]any{"header": i.headerName}
		i.header = http.CanonicalHeaderKey(i.headerName)
		pattern := id.HeaderRegex
		if pattern == "" && (id.Mode == IdentityJWT || i.header == "Authorization") {
			pattern = DefaultHeaderRegex
		}
		extract, err := extractor(pattern)
		if err != nil {
			return nil, err
		}
		i.extract = extract
		if id.Mode == IdentityJWT {
			if err := i.setupJWT(id.JWT); err != nil {
				return nil, err
			}
		}
	case IdentityContext:
	case IdentityCustom:
		if id.Func == nil {
			return nil, errors.New("mcpauth: Identity.Func is nil in IdentityCustom mode")
		}
		i.fn = id.Func
	default:
		return nil, fmt.Errorf("mcpauth: Identity.Mode %d is not a known IdentityMode", int(id.Mode))
	}

	i.tenantFixed = cmpOr(tenant.Fixed, DefaultTenant)
	i.tenantClaim = tenant.Claim
	i.tenantRequired = tenant.Required
	if tenant.Header != "" {
		i.tenantHeader = http.CanonicalHeaderKey(tenant.Header)
	}
	switch {
	case tenant.Claim != "" && tenant.Header != "":
		return nil, errors.New("mcpauth: Tenant: set at most one of Claim and Header")
	case tenant.Claim != "" && id.Mode != IdentityJWT && id.Mode != IdentityContext:
		return nil, errors.New("mcpauth: Tenant.Claim needs Identity.Mode IdentityJWT or IdentityContext")
	case tenant.Required && tenant.Claim == "" && tenant.Header == "":
		return nil, errors.New("mcpauth: Tenant.Required needs Tenant.Claim or Tenant.Header")
	}
	return i, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// extractor returns the function that takes the credential out of a header
// value: the whole value for an empty pattern, otherwise the first capture
// group of pattern, which must be non-empty.
func extractor(pattern string) (func(string) (string, bool), error) {
	switch pattern {
	case "":
		return func(v string) (string, bool) { return v, v != "" }, nil
	case DefaultHeaderRegex:
		// `(?i)^bearer (.+)$` without the regexp machinery on the hot path:
		// the scheme is case-insensitive (RFC 7235 §2.1).
		return func(v string) (string, bool) {
			if len(v) < 8 || !strings.EqualFold(v[:7], "bearer ") {
				return "", false
			}
			cred := v[7:]
			return cred, cred != "" && strings.IndexByte(cred, '\n') < 0
		}, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("mcpauth: Identity.HeaderRegex: %w", err)
	}
	if re.NumSubexp() < 1 {
		return nil, fmt.Errorf("mcpauth: Identity.HeaderRegex %q has no capture group", pattern)
	}
	return func(v string) (string, bool) {
		m := re.FindStringSubmatch(v)
		if m == nil || m[1] == "" {
			return "", false
		}
		return m[1], true
	}, nil
}

// setupJWT validates o and builds the verifier.
func (i *identifier) setupJWT(o JWTOptions) error {
	sources := 0
	for _, set := range []bool{o.Secret != nil, o.PublicKey != nil, len(o.PublicKeyPEM) > 0, o.JWKSURL != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources == 1 && o.Secret != nil && len(o.Secret) == 0:
		return errors.New("mcpauth: Identity.JWT.Secret is empty")
	case sources != 1:
		return errors.New("mcpauth: Identity.JWT: set exactly one of Secret, PublicKey, PublicKeyPEM, JWKSURL")
	case o.Leeway < 0:
		return errors.New("mcpauth: Identity.JWT.Leeway is negative")
	case o.JWKSRefresh < 0:
		return errors.New("mcpauth: Identity.JWT.JWKSRefresh is negative")
	}
	now := func() time.Time { return i.now() }

	var (
		keys     jwtpolicy.KeySource
		key      *jwtpolicy.Key // the static key, if any
		defaults []string
	)
	switch {
	case o.Secret != nil:
		key = &jwtpolicy.Key{Secret: slices.Clone(o.Secret)}
		defaults = []string{"HS256"}
	case o.PublicKey != nil, len(o.PublicKeyPEM) > 0:
		field, pub := "PublicKey", o.PublicKey
		if pub == nil {
			field = "PublicKeyPEM"
			var err error
			if pub, err = jwtpolicy.ParsePublicKeyPEM(o.PublicKeyPEM); err != nil {
				return fmt.Errorf("mcpauth: Identity.JWT.%s: %s", field, strings.TrimPrefix(err.Error(), "jwt: "))
			}
		}
		algs, err := jwtpolicy.KeyAlgorithms(pub)
		if err != nil {
			return fmt.Errorf("mcpauth: Identity.JWT.%s: %s", field, strings.TrimPrefix(err.Error(), "jwt: "))
		}
		key = &jwtpolicy.Key{Public: pub}
		defaults = algs
	default:
		if err := checkJWKSURL(o.JWKSURL); err != nil {
			return err
		}
		set, err := jwtpolicy.NewJWKS(jwtpolicy.JWKSOptions{
			URL:     o.JWKSURL,
			Client:  o.HTTPClient,
			Refresh: o.JWKSRefresh,
			Now:     now,
			Logger:  i.logger,
		})
		if err != nil {
			return fmt.Errorf("mcpauth: Identity.JWT.JWKSURL: %s", strings.TrimPrefix(err.Error(), "jwt: "))
		}
		keys = set
		defaults = jwtpolicy.AsymmetricAlgorithms()
	}
	if key != nil {
		keys = jwtpolicy.StaticKey(*key)
	}

	algs := o.Algorithms
	if len(algs) == 0 {
		algs = defaults
	}
	for _, a := range algs {
		switch {
		case !jwtpolicy.Supported(a):
			return fmt.Errorf("mcpauth: Identity.JWT.Algorithms: unknown algorithm %q", a)
		case key != nil && !key.Fits(a):
			return fmt.Errorf("mcpauth: Identity.JWT.Algorithms: %s does not fit the %s", a, jwtpolicy.KeyType(key))
		case key == nil && jwtpolicy.IsHMAC(a):
			return fmt.Errorf("mcpauth: Identity.JWT.Algorithms: %s needs Identity.JWT.Secret, not a JWKS", a)
		}
	}
	if key != nil && key.Secret != nil {
		// Short secrets still verify (see jwtpolicy.Key), as in
		// permit-fastmcp, but deserve a warning.
		if need := jwtpolicy.MinSecretSize(algs); len(key.Secret) < need {
			i.logger.Warn(fmt.Sprintf("mcpauth: Identity.JWT.Secret is shorter than %d bytes; RFC 7518 requires at least the hash size", need))
		}
	}
	v, err := jwtpolicy.NewVerifier(jwtpolicy.Config{
		Keys:          keys,
		Algorithms:    algs,
		Issuer:        o.Issuer,
		Audience:      o.Audience,
		Leeway:        cmpOrDuration(o.Leeway, DefaultJWTLeeway),
		RequireExpiry: !o.AllowNoExpiry,
		Now:           now,
		CacheSize:     verifiedTokenCacheSize,
		// A cached token must not outlive the key set it was checked
		// against by more than one refresh.
		CacheTTL: min(jwtpolicy.DefaultCacheTTL, cmpOrDuration(o.JWKSRefresh, jwtpolicy.DefaultJWKSRefresh)),
	})
	if err != nil {
		return fmt.Errorf("mcpauth: Identity.JWT: %s", strings.TrimPrefix(err.Error(), "jwt: "))
	}
	if o.Audience == "" {
		i.logger.Warn("mcpauth: Identity.JWT.Audience is empty: tokens issued for any audience are accepted; " +
			"the MCP authorization spec requires servers to check that tokens were issued for them")
	}
	i.verifier = v
	i.claim = cmpOr(o.Claim, DefaultJWTClaim)
	return nil
}

func cmpOrDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// checkJWKSURL accepts https URLs, and http URLs of loopback hosts (for
// development and tests).
func checkJWKSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("mcpauth: Identity.JWT.JWKSURL %q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return errors.New("mcpauth: Identity.JWT.JWKSURL must use https (http only for loopback hosts)")
}

// identify returns the caller's identity with Tenant set.
//
// When the request has no valid credential the error wraps
// ErrUnauthenticated (answer 401 with WWW-Authenticate: Bearer), unless
// AllowUnknown is set: then the identity is the user "unknown" with
// permit-fastmcp's attributes saying why. A missing required tenant is an
// error wrapping ErrForbidden. Any other error (an IdentityFunc's own
// failure) must also deny.
func (i *identifier) identify(r *http.Request) (*Identity, error) {
	id, claims, err := i.identifyUser(r)
	if err != nil {
		var ie *identityError
		if !errors.As(err, &ie) {
			return nil, err
		}
		i.logger.DebugContext(r.Context(), "mcpauth: no valid identity", "reason", ie.kind, "error", err)
		if !i.allowUnknown {
			return nil, err
		}
		attrs := map[string]any{"type": ie.kind}
		if ie.kind == attrJWTError {
			// A closed vocabulary: never token text or key server details.
			attrs["error"] = jwtpolicy.Reason(ie.cause)
		}
		id = &Identity{User: User{Key: unknownUser, Attributes: attrs}}
	}
	if id.Tenant == "" {
		t, err := i.tenant(r, claims)
		if err != nil {
			return nil, err
		}
		id.Tenant = t
	}
	return id, nil
}

// identifyPresented identifies the caller of r if r presents a credential
// (for the fixed mode, always). It returns nil and no error for a request
// that presents none, so that methods needing no identity stay open to it;
// in AllowUnknown mode such a request is the unknown user instead. A custom
// IdentityFunc decides alone what a credential is: its ErrUnauthenticated
// counts as none presented.
func (i *identifier) identifyPresented(r *http.Request) (*Identity, error) {
	switch i.mode {
	case IdentityHeader, IdentityJWT:
		if vals := r.Header[i.header]; len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
			return i.anonymous(r)
		}
	case IdentityContext:
		if p, ok := PrincipalFromContext(r.Context()); !ok || p.Subject == "" {
			return i.anonymous(r)
		}
	case IdentityCustom:
		id, err := i.identify(r)
		if err != nil && errors.Is(err, ErrUnauthenticated) && !errors.Is(err, ErrForbidden) {
			return i.anonymous(r)
		}
		return id, err
	}
	return i.identify(r)
}

// isUnknown reports whether id is the unknown user that AllowUnknown makes
// of a caller without a valid identity.
func (i *identifier) isUnknown(id *Identity) bool {
	if !i.allowUnknown || id.User.Key != unknownUser {
		return false
	}
	switch id.User.Attributes["type"] {
	case attrMissingJWTHeader, attrInvalidJWTHeader, attrJWTError, attrMissingIdentityHeader,
		attrInvalidIdentityHeader, attrMissingPrincipal, attrIdentityFuncError:
		return true
	}
	// A valid JWT without the user claim is the unknown user too.
	_, jwt := id.User.Attributes["jwt"]
	return jwt && i.mode == IdentityJWT
}

// anonymous is the identity of a request without a credential: none, or the
// unknown user in AllowUnknown mode.
func (i *identifier) anonymous(r *http.Request) (*Identity, error) {
	if !i.allowUnknown {
		return nil, nil
	}
	return i.identify(r)
}

// identifyUser identifies the caller. It also returns the verified JWT
// claims in JWT mode, for the tenant claim.
func (i *identifier) identifyUser(r *http.Request) (*Identity, map[string]any, error) {
	switch i.mode {
	case IdentityFixed:
		return &Identity{User: User{Key: i.fixedUser, Attributes: i.fixedAttrs}}, nil, nil
	case IdentityHeader:
		cred, err := i.credential(r, attrMissingIdentityHeader, attrInvalidIdentityHeader)
		if err != nil {
			return nil, nil, err
		}
		return &Identity{User: User{Key: cred, Attributes: i.headerAttrs}}, nil, nil
	case IdentityJWT:
		return i.identifyJWT(r)
	case IdentityContext:
		return i.identifyContext(r)
	default:
		id, err := i.identifyCustom(r)
		return id, nil, err
	}
}

// credential reads the credential header: exactly one non-empty value that
// the extractor accepts.
func (i *identifier) credential(r *http.Request, missing, invalid string) (string, error) {
	vals := r.Header[i.header]
	if len(vals) == 0 || vals[0] == "" {
		return "", &identityError{kind: missing, msg: "missing " + i.headerName + " header"}
	}
	if len(vals) > 1 {
		return "", &identityError{kind: invalid, msg: "more than one " + i.headerName + " header"}
	}
	cred, ok := i.extract(vals[0])
	if !ok {
		return "", &identityError{kind: invalid, msg: "malformed " + i.headerName + " header"}
	}
	return cred, nil
}

func (i *identifier) identifyJWT(r *http.Request) (*Identity, map[string]any, error) {
	cred, err := i.credential(r, attrMissingJWTHeader, attrInvalidJWTHeader)
	if err != nil {
		return nil, nil, err
	}
	tok, err := i.verifier.Verify(r.Context(), cred)
	if err != nil {
		return nil, nil, &identityError{kind: attrJWTError, msg: "invalid token", cause: err}
	}
	key, ok := claimString(tok.Claims[i.claim])
	if !ok {
		if !i.allowUnknown {
			return nil, nil, &identityError{kind: attrJWTError, msg: fmt.Sprintf("token has no string %q claim", i.claim)}
		}
		// permit-fastmcp: a valid token without the claim is the
		// unknown user, still with the token's claims.
		key = unknownUser
	}
	return &Identity{
		User:   User{Key: key, Attributes: map[string]any{"jwt": tok.Claims}},
		Scopes: tokenScopes(tok.Claims),
		Expiry: tok.Expiry,
	}, tok.Claims, nil
}

// claimString returns a non-empty string claim, or a number claim as its
// decimal text.
func claimString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case json.Number:
		return string(v), true
	}
	return "", false
}

// tokenScopes reads "scope" (RFC 8693/9068: space-separated) or, failing
// that, "scp" (an array or a string, as some issuers send).
func tokenScopes(claims map[string]any) []string {
	if s, ok := claims["scope"].(string); ok {
		return strings.Fields(s)
	}
	switch scp := claims["scp"].(type) {
	case string:
		return strings.Fields(scp)
	case []any:
		out := make([]string, 0, len(scp))
		for _, v := range scp {
			if s, ok := v.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func (i *identifier) identifyContext(r *http.Request) (*Identity, map[string]any, error) {
	p, ok := PrincipalFromContext(r.Context())
	if !ok || p.Subject == "" {
		return nil, nil, &identityError{kind: attrMissingPrincipal, msg: "no principal in the request context"}
	}
	attrs := make(map[string]any, len(p.Attributes)+2)
	for k, v := range p.Attributes {
		attrs[k] = v
	}
	if p.Email != "" {
		attrs["email"] = p.Email
	}
	if p.ClientID != "" {
		attrs["client_id"] = p.ClientID
	}
	return &Identity{
		User:      User{Key: p.Subject, Attributes: attrs},
		Scopes:    slices.Clone(p.Scopes),
		Expiry:    p.Expiry,
		Principal: p,
	}, p.Attributes, nil
}

func (i *identifier) identifyCustom(r *http.Request) (*Identity, error) {
	id, err := i.fn(r)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			return nil, &identityError{kind: attrIdentityFuncError, cause: err}
		}
		return nil, fmt.Errorf("mcpauth: Identity.Func: %w", err)
	}
	if id == nil || id.User.Key == "" {
		return nil, errors.New("mcpauth: Identity.Func returned no user and no error")
	}
	cp := *id
	return &cp, nil
}

// tenant picks the tenant for a request from the configured source.
func (i *identifier) tenant(r *http.Request, claims map[string]any) (string, error) {
	switch {
	case i.tenantClaim != "":
		if t, ok := claimString(claims[i.tenantClaim]); ok {
			return t, nil
		}
		if i.tenantRequired {
			return "", fmt.Errorf("%w: tenant claim %q is missing", ErrForbidden, i.tenantClaim)
		}
	case i.tenantHeader != "":
		vals := r.Header[i.tenantHeader]
		if len(vals) > 1 {
			return "", fmt.Errorf("%w: more than one %s header", ErrForbidden, i.tenantHeader)
		}
		if len(vals) == 1 && vals[0] != "" {
			return vals[0], nil
		}
		if i.tenantRequired {
			return "", fmt.Errorf("%w: tenant header %s is missing", ErrForbidden, i.tenantHeader)
		}
	}
	return i.tenantFixed, nil
}
