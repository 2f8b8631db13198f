// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package providertest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The users of the [OP]. Both log in with [OPPassword]; the first one's
// username is "test-user@" followed by the OP's host name (without port),
// so that a browser on the OP's host can compute it.
const (
	OPPassword  = "verysecure"
	OPUser1     = "id1" // subject of test-user@<host>, email test-user@zitadel.ch
	OPUser2     = "id2" // subject of test-user2, email test-user2@zitadel.ch
	OPUser2Name = "test-user2"
)

const (
	opLoginPath  = "/login/username"
	opAuthReqIDQ = "authRequestID"
	opAuthPath   = "auth"
	opAccessTTL  = 5 * time.Minute
	opRefreshTTL = 5 * time.Hour
	opIDTokenTTL = time.Hour
	opAuthReqTTL = 10 * time.Minute
)

// NewOPHandler returns the handler of an OpenID Provider built on zitadel's
// op package for issuer (an http URL is allowed), with one confidential
// client ([UpstreamClientID], [UpstreamClientSecret], client_secret_basic
// or client_secret_post) that may redirect to redirectURIs, the two users
// described at [OPPassword], the authorization code flow with PKCE (S256),
// refresh tokens for the offline_access scope, an RS256 signing key,
// userinfo and ID tokens. Its authorization endpoint is /auth and its login
// form is /login/username?authRequestID=…, which posts id, username and
// password back to /login/username. Everything is kept in memory.
func NewOPHandler(issuer string, redirectURIs ...string) (http.Handler, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil, errors.New("providertest: the OP issuer must be an absolute URL")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	s := &opStorage{
		client: &opClient{id: UpstreamClientID, secret: UpstreamClientSecret, redirects: slices.Clone(redirectURIs)},
		users: []opUser{
			{id: OPUser1, username: "test-user@" + u.Hostname(), email: "test-user@zitadel.ch", given: "Test", family: "User"},
			{id: OPUser2, username: OPUser2Name, email: "test-user2@zitadel.ch", given: "Test", family: "User2"},
		},
		key:      opKey{id: randomID(), priv: key},
		requests: map[string]*opAuthRequest{},
		codes:    map[string]string{},
		access:   map[string]*opToken{},
		refresh:  map[string]*opToken{},
	}
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	p, err := op.NewOpenIDProvider(issuer, &op.Config{
		CryptoKey:             cryptoKey,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
	}, s, op.WithAllowInsecure(), op.WithCustomAuthEndpoint(op.NewEndpoint(opAuthPath)))
	if err != nil {
		return nil, err
	}
	login := &opLogin{s: s, callback: op.AuthCallbackURL(p)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+opLoginPath, login.form)
	mux.Handle("POST "+opLoginPath, op.NewIssuerInterceptor(p.IssuerFromRequest).HandlerFunc(login.submit))
	mux.Handle("/", p)
	return mux, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// opLogin is the OP's login form: a username and a password.
type opLogin struct {
	s        *opStorage
	callback func(context.Context, string) string
}

var opLoginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Login</title></head>
<body><form method="POST" action="/login/username">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">Username</label> <input id="username" name="username">
<label for="password">Password</label> <input id="password" name="password" type="password">
{{if .Failed}}<p id="error">Wrong username or password.</p>{{end}}
<button type="submit">Login</button>
</form></body></html>
`))

func (l *opLogin) form(w http.ResponseWriter, r *http.Request) {
	l.render(w, http.StatusOK, r.URL.Query().Get(opAuthReqIDQ), false)
}

func (l *opLogin) render(w http.ResponseWriter, status int, id string, failed bool) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = opLoginPage.Execute(w, struct {
		ID     string
		Failed bool
	}{id, failed})
}

func (l *opLogin) submit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("id")
	if !l.s.login(id, r.PostForm.Get("username"), r.PostForm.Get("password")) {
		l.render(w, http.StatusUnauthorized, id, true)
		return
	}
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}

type opUser struct {
	id, username, email, given, family string
}

// opStorage implements [op.Storage] in memory for one client.
type opStorage struct {
	client *opClient
	users  []opUser
	key    opKey

	mu       sync.Mutex                // guards the maps below
	requests map[string]*opAuthRequest // by id
	codes    map[string]string         // code → request id
	access   map[string]*opToken       // by token id
	refresh  map[string]*opToken       // by refresh token
}

var _ op.Storage = (*opStorage)(nil)

// opToken is an access or refresh token.
type opToken struct {
	id, subject, clientID string
	scopes                []string
	amr                   []string
	authTime, expiry      time.Time
}

var errOPNotFound = errors.New("providertest: not found")

func (s *opStorage) user(id string) *opUser {
	for i := range s.users {
		if s.users[i].id == id {
			return &s.users[i]
		}
	}
	return nil
}

// login completes the auth request id if username and password match.
func (s *opStorage) login(id, username, password string) bool {
	var user *opUser
	for i := range s.users {
		if s.users[i].username == username {
			user = &s.users[i]
		}
	}
	if user == nil || subtle.ConstantTimeCompare([]byte(password), []byte(OPPassword)) != 1 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok || req.done || time.Now().After(req.expiry) {
		return false
	}
	req.subject, req.done, req.authTime = user.id, true, time.Now()
	return true
}

func (s *opStorage) CreateAuthRequest(_ context.Context, ar *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired()
	}
	req := &opAuthRequest{
		id: randomID(), clientID: ar.ClientID, redirectURI: ar.RedirectURI, state: ar.State, nonce: ar.Nonce,
		scopes: slices.Clone(ar.Scopes), responseType: ar.ResponseType, responseMode: ar.ResponseMode,
		expiry: time.Now().Add(opAuthReqTTL),
	}
	if ar.CodeChallenge != "" {
		req.challenge = &oidc.CodeChallenge{Challenge: ar.CodeChallenge, Method: ar.CodeChallengeMethod}
	}
	s.mu.Lock()
	s.requests[req.id] = req
	s.mu.Unlock()
	return req.copy(), nil
}

func (s *opStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req, ok := s.requests[id]; ok {
		return req.copy(), nil
	}
	return nil, errOPNotFound
}

func (s *opStorage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req, ok := s.requests[s.codes[code]]; ok {
		return req.copy(), nil
	}
	return nil, errOPNotFound
}

func (s *opStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requests[id]; !ok {
		return errOPNotFound
	}
	s.codes[code] = id
	return nil
}

func (s *opStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// newAccess stores an access token for the grant of req.
func (s *opStorage) newAccess(req op.TokenRequest) *opToken {
	t := &opToken{id: randomID(), subject: req.GetSubject(), scopes: slices.Clone(req.GetScopes()), expiry: time.Now().Add(opAccessTTL)}
	switch r := req.(type) {
	case *opAuthRequest:
		t.clientID, t.amr, t.authTime = r.clientID, r.GetAMR(), r.authTime
	case *opRefreshRequest:
		t.clientID, t.amr, t.authTime = r.t.clientID, r.t.amr, r.t.authTime
	}
	s.access[t.id] = t
	return t
}

func (s *opStorage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newAccess(req)
	return t.id, t.expiry, nil
}

func (s *opStorage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		// Rotation: the refresh token used is spent.
		if _, ok := s.refresh[current]; !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refresh, current)
	}
	t := s.newAccess(req)
	rt := *t
	rt.id, rt.expiry = randomID(), time.Now().Add(opRefreshTTL)
	s.refresh[rt.id] = &rt
	return t.id, rt.id, t.expiry, nil
}

func (s *opStorage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[token]
	if !ok || time.Now().After(t.expiry) {
		return nil, op.ErrInvalidRefreshToken
	}
	c := *t
	return &opRefreshRequest{t: &c}, nil
}

func (s *opStorage) TerminateSession(context.Context, string, string) error { return nil }

func (s *opStorage) RevokeToken(_ context.Context, token, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.refresh[token]; ok && t.clientID == clientID {
		delete(s.refresh, token)
	}
	if t, ok := s.access[token]; ok && t.clientID == clientID {
		delete(s.access, token)
	}
	return nil
}

func (s *opStorage) GetRefreshTokenInfo(_ context.Context, clientID, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[token]
	if !ok || t.clientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, t.id, nil
}

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{opPublicKey{s.key}}, nil
}

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errOPNotFound
	}
	return s.client, nil
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || subtle.ConstantTimeCompare([]byte(secret), []byte(s.client.secret)) != 1 {
		return errors.New("providertest: invalid client credentials")
	}
	return nil
}

func (s *opStorage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, scopes []string) error {
	return s.setUserinfo(info, userID, scopes)
}

func (s *opStorage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.access[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expiry) {
		return errors.New("providertest: access token invalid or expired")
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

// setUserinfo fills the claims that scopes ask for.
func (s *opStorage) setUserinfo(info *oidc.UserInfo, userID string, scopes []string) error {
	u := s.user(userID)
	if u == nil {
		return errOPNotFound
	}
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeOpenID:
			info.Subject = u.id
		case oidc.ScopeEmail:
			info.Email, info.EmailVerified = u.email, true
		case oidc.ScopeProfile:
			info.PreferredUsername, info.Name = u.username, u.given+" "+u.family
			info.GivenName, info.FamilyName = u.given, u.family
		}
	}
	return nil
}

func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("providertest: introspection is not supported")
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("providertest: JWT profile is not supported")
}

func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("providertest: JWT profile is not supported")
}

func (s *opStorage) Health(context.Context) error { return nil }

// opAuthRequest is an authorization request and, once the user logged
// in, its result. The storage hands out copies, so op never sees it change.
type opAuthRequest struct {
	id, clientID, redirectURI, state, nonce string
	scopes                                  []string
	responseType                            oidc.ResponseType
	responseMode                            oidc.ResponseMode
	challenge                               *oidc.CodeChallenge
	expiry                                  time.Time

	subject  string
	done     bool
	authTime time.Time
}

func (r *opAuthRequest) copy() *opAuthRequest {
	c := *r
	c.scopes = slices.Clone(r.scopes)
	return &c
}

func (r *opAuthRequest) GetID() string         { return r.id }
func (r *opAuthRequest) GetACR() string        { return "" }
func (r *opAuthRequest) GetAudience() []string { return []string{r.clientID} }
func (r *opAuthRequest) GetAuthTime() time.Time {
	return r.authTime
}
func (r *opAuthRequest) GetClientID() string                   { return r.clientID }
func (r *opAuthRequest) GetCodeChallenge() *oidc.CodeChallenge { return r.challenge }
func (r *opAuthRequest) GetNonce() string                      { return r.nonce }
func (r *opAuthRequest) GetRedirectURI() string                { return r.redirectURI }
func (r *opAuthRequest) GetResponseType() oidc.ResponseType    { return r.responseType }
func (r *opAuthRequest) GetResponseMode() oidc.ResponseMode    { return r.responseMode }
func (r *opAuthRequest) GetScopes() []string                   { return r.scopes }
func (r *opAuthRequest) GetState() string                      { return r.state }
func (r *opAuthRequest) GetSubject() string                    { return r.subject }
func (r *opAuthRequest) Done() bool                            { return r.done }
func (r *opAuthRequest) GetAMR() []string {
	if r.done {
		return []string{"pwd"}
	}
	return nil
}

// opRefreshRequest is the grant behind a refresh token.
type opRefreshRequest struct{ t *opToken }

func (r *opRefreshRequest) GetAMR() []string             { return r.t.amr }
func (r *opRefreshRequest) GetAudience() []string        { return []string{r.t.clientID} }
func (r *opRefreshRequest) GetAuthTime() time.Time       { return r.t.authTime }
func (r *opRefreshRequest) GetClientID() string          { return r.t.clientID }
func (r *opRefreshRequest) GetScopes() []string          { return r.t.scopes }
func (r *opRefreshRequest) GetSubject() string           { return r.t.subject }
func (r *opRefreshRequest) SetCurrentScopes(sc []string) { r.t.scopes = sc }

// opClient is the OP's one confidential web client.
type opClient struct {
	id, secret string
	redirects  []string
}

func (c *opClient) GetID() string                       { return c.id }
func (c *opClient) RedirectURIs() []string              { return c.redirects }
func (c *opClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *opClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *opClient) IDTokenLifetime() time.Duration       { return opIDTokenTTL }
func (c *opClient) DevMode() bool                        { return false }
func (c *opClient) IsScopeAllowed(string) bool           { return false }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
func (c *opClient) LoginURL(id string) string {
	return opLoginPath + "?" + url.Values{opAuthReqIDQ: {id}}.Encode()
}
func (c *opClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// opKey is the OP's RS256 signing key.
type opKey struct {
	id   string
	priv *rsa.PrivateKey
}

func (k opKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k opKey) Key() any                                    { return k.priv }
func (k opKey) ID() string                                  { return k.id }

// opPublicKey is the public half of opKey, published in the JWKS.
type opPublicKey struct{ k opKey }

func (k opPublicKey) ID() string                         { return k.k.id }
func (k opPublicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k opPublicKey) Use() string                        { return "sig" }
func (k opPublicKey) Key() any                           { return &k.k.priv.PublicKey }
