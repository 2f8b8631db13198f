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
// Options.AllowUnknownUser is set, as in permit-fastmcp.
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

// IdentitySource says how the middleware identifies callers; set it as
// [Options.Identity]. Build one with [FixedIdentity], [HeaderIdentity],
// [JWTIdentity], [ContextIdentity] or [FuncIdentity]. The zero value is
// FixedIdentity("client"). [New] validates it.
type IdentitySource struct {
	kind   identityKind
	user   string       // fixed
	header string       // header
	regex  string       // header
	jwt    *JWTOptions  // jwt, a copy
	fn     IdentityFunc // func
}

type identityKind int

const (
	identityFixed identityKind = iota
	identityHeader
	identityJWT
	identityContext
	identityFunc
)

// FixedIdentity identifies every caller as user (default "client"): for
// servers that authenticate nobody, or behind a gateway that already did.
func FixedIdentity(user string) IdentitySource {
	return IdentitySource{kind: identityFixed, user: user}
}

// HeaderIdentity uses the value of the request header (default
// "Authorization") as the user key, as an API key. pattern, when not
// empty, is a regular expression whose first capture group is the key; by
// default the whole value is used, except for Authorization, where
// `(?i)^bearer (.+)$` takes the key out of a bearer credential. The value
// is not verified: use it only behind something that does.
func HeaderIdentity(header, pattern string) IdentitySource {
	return IdentitySource{kind: identityHeader, header: header, regex: pattern}
}

// JWTIdentity verifies a JWT from a request header and uses one of its
// claims as the user key; see [JWTOptions].
func JWTIdentity(opts JWTOptions) IdentitySource {
	o := opts
	o.Secret = slices.Clone(opts.Secret)
	o.Algorithms = slices.Clone(opts.Algorithms)
	return IdentitySource{kind: identityJWT, jwt: &o}
}

// ContextIdentity uses the [Principal] an authentication layer in front of
// the middleware stored in the request context with [ContextWithPrincipal].
func ContextIdentity() IdentitySource {
	return IdentitySource{kind: identityContext}
}

// FuncIdentity identifies callers with f. A nil f is refused by [New].
func FuncIdentity(f IdentityFunc) IdentitySource {
	return IdentitySource{kind: identityFunc, fn: f}
}

// credentialHeader is the request header the caller's identity comes from,
// or "" when it comes from none.
func (s IdentitySource) credentialHeader() string {
	switch s.kind {
	case identityHeader:
		return cmpOr(s.header, defaultIdentityHeader)
	case identityJWT:
		return cmpOr(s.jwt.Header, defaultIdentityHeader)
	}
	return ""
}

// identifier identifies callers according to IdentitySource and picks
// their tenant according to TenantOptions. It is built once by New and is
// safe for concurrent use.
type identifier struct {
	mode         identityKind
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
func newIdentifier(id IdentitySource, allowUnknown bool, tenant TenantOptions, logger *slog.Logger) (*identifier, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	i := &identifier{
		mode:         id.kind,
		allowUnknown: allowUnknown,
		logger:       logger,
		now:          time.Now,
		fixedAttrs:   map[string]any{"type": attrFixedIdentity},
	}
	switch id.kind {
	case identityFixed:
		i.fixedUser = cmpOr(id.user, defaultFixedUser)
	case identityHeader, identityJWT:
		header, pattern := id.header, id.regex
		if id.kind == identityJWT {
			header, pattern = id.jwt.Header, id.jwt.HeaderRegex
		}
		i.headerName = cmpOr(header, defaultIdentityHeader)
		i.headerAttrs = map[string]any{"header": i.headerName}
		i.header = http.CanonicalHeaderKey(i.headerName)
		if pattern == "" && (id.kind == identityJWT || i.header == "Authorization") {
			pattern = defaultHeaderRegex
		}
		extract, err := extractor(pattern)
		if err != nil {
			return nil, err
		}
		i.extract = extract
		if id.kind == identityJWT {
			if err := i.setupJWT(*id.jwt); err != nil {
				return nil, err
			}
		}
	case identityContext:
	case identityFunc:
		if id.fn == nil {
			return nil, errors.New("mcpauth: Options.Identity: FuncIdentity with a nil IdentityFunc")
		}
		i.fn = id.fn
	}

	i.tenantFixed = cmpOr(tenant.Fixed, DefaultTenant)
	i.tenantClaim = tenant.Claim
	i.tenantRequired = tenant.Required
	if tenant.Header != "" {
		i.tenantHeader = http.CanonicalHeaderKey(tenant.Header)
	}
	switch {
	case tenant.Claim != "" && tenant.Header != "":
		return nil, errors.New("mcpauth: Options.Tenant: set at most one of Claim and Header")
	case tenant.Claim != "" && id.kind != identityJWT && id.kind != identityContext:
		return nil, errors.New("mcpauth: Options.Tenant.Claim needs JWTIdentity or ContextIdentity")
	case tenant.Required && tenant.Claim == "" && tenant.Header == "":
		return nil, errors.New("mcpauth: Options.Tenant.Required needs Claim or Header")
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
	case defaultHeaderRegex:
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
		return nil, fmt.Errorf("mcpauth: Options.Identity: HeaderRegex: %w", err)
	}
	if re.NumSubexp() < 1 {
		return nil, fmt.Errorf("mcpauth: Options.Identity: HeaderRegex %q has no capture group", pattern)
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
	for _, set := range []bool{o.Secret != nil, o.PublicKey != nil, o.JWKSURL != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources == 1 && o.Secret != nil && len(o.Secret) == 0:
		return errors.New("mcpauth: Options.Identity: JWTOptions.Secret is empty")
	case sources != 1:
		return errors.New("mcpauth: Options.Identity: JWTOptions: set exactly one of Secret, PublicKey, JWKSURL")
	case o.Leeway < 0:
		return errors.New("mcpauth: Options.Identity: JWTOptions.Leeway is negative")
	case o.JWKSRefresh < 0:
		return errors.New("mcpauth: Options.Identity: JWTOptions.JWKSRefresh is negative")
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
	case o.PublicKey != nil:
		pub := o.PublicKey
		algs, err := jwtpolicy.KeyAlgorithms(pub)
		if err != nil {
			return fmt.Errorf("mcpauth: Options.Identity: JWTOptions.PublicKey: %s", strings.TrimPrefix(err.Error(), "jwt: "))
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
			return fmt.Errorf("mcpauth: Options.Identity: JWTOptions.JWKSURL: %s", strings.TrimPrefix(err.Error(), "jwt: "))
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
			return fmt.Errorf("mcpauth: Options.Identity: JWTOptions.Algorithms: unknown algorithm %q", a)
		case key != nil && !key.Fits(a):
			return fmt.Errorf("mcpauth: Options.Identity: JWTOptions.Algorithms: %s does not fit the %s", a, jwtpolicy.KeyType(key))
		case key == nil && jwtpolicy.IsHMAC(a):
			return fmt.Errorf("mcpauth: Options.Identity: JWTOptions.Algorithms: %s needs JWTOptions.Secret, not a JWKS", a)
		}
	}
	if key != nil && key.Secret != nil {
		// Short secrets still verify (see jwtpolicy.Key), as in
		// permit-fastmcp, but deserve a warning.
		if need := jwtpolicy.MinSecretSize(algs); len(key.Secret) < need {
			i.logger.Warn(fmt.Sprintf("mcpauth: Options.Identity: JWTOptions.Secret is shorter than %d bytes; RFC 7518 requires at least the hash size", need))
		}
	}
	v, err := jwtpolicy.NewVerifier(jwtpolicy.Config{
		Keys:          keys,
		Algorithms:    algs,
		Issuer:        o.Issuer,
		Audience:      o.Audience,
		Leeway:        cmpOrDuration(o.Leeway, defaultJWTLeeway),
		RequireExpiry: !o.AllowNoExpiry,
		Now:           now,
		CacheSize:     verifiedTokenCacheSize,
		// A cached token must not outlive the key set it was checked
		// against by more than one refresh.
		CacheTTL: min(jwtpolicy.DefaultCacheTTL, cmpOrDuration(o.JWKSRefresh, jwtpolicy.DefaultJWKSRefresh)),
	})
	if err != nil {
		return fmt.Errorf("mcpauth: Options.Identity: JWTOptions: %s", strings.TrimPrefix(err.Error(), "jwt: "))
	}
	if o.Audience == "" {
		i.logger.Warn("mcpauth: Options.Identity: JWTOptions.Audience is empty: tokens issued for any audience are accepted; " +
			"the MCP authorization spec requires servers to check that tokens were issued for them")
	}
	i.verifier = v
	i.claim = cmpOr(o.Claim, defaultJWTClaim)
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
		return fmt.Errorf("mcpauth: Options.Identity: JWTOptions.JWKSURL %q is not an absolute URL", s)
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
	return errors.New("mcpauth: Options.Identity: JWTOptions.JWKSURL must use https (http only for loopback hosts)")
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
	case identityHeader, identityJWT:
		if vals := r.Header[i.header]; len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
			return i.anonymous(r)
		}
	case identityContext:
		if p, ok := PrincipalFromContext(r.Context()); !ok || p.Subject == "" {
			return i.anonymous(r)
		}
	case identityFunc:
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
	return jwt && i.mode == identityJWT
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
	case identityFixed:
		return &Identity{User: User{Key: i.fixedUser, Attributes: i.fixedAttrs}}, nil, nil
	case identityHeader:
		cred, err := i.credential(r, attrMissingIdentityHeader, attrInvalidIdentityHeader)
		if err != nil {
			return nil, nil, err
		}
		return &Identity{User: User{Key: cred, Attributes: i.headerAttrs}}, nil, nil
	case identityJWT:
		return i.identifyJWT(r)
	case identityContext:
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
		return nil, fmt.Errorf("mcpauth: identity func: %w", err)
	}
	if id == nil || id.User.Key == "" {
		return nil, errors.New("mcpauth: identity func returned no user and no error")
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
