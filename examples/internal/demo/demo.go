// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package demo

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/mcpauthenv"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TokenLifetime is the lifetime of the tokens login mints, as in the
// original.
const TokenLifetime = 100 * time.Hour

// Audience is the "aud" claim of the tokens login mints; servers check it
// (mcpauth.JWTOptions.Audience) so that tokens minted for another service
// with the same secret are refused.
const Audience = "mcpauth-demo"

// DecisionKey is the auth.TokenInfo.Extra key under which [WithTokenInfo]
// stores the *mcpauth.Decision of the request.
const DecisionKey = "mcpauth.decision"

// ErrInvalidCredentials is the login tool's error for a wrong username or
// password.
var ErrInvalidCredentials = errors.New("demo: invalid username or password")

// users are the demo accounts: username → password.
var users = map[string]string{"admin": "password", "client": "client"}

// Options configures [NewServer].
type Options struct {
	// Secret signs the tokens of the login tool. Required.
	Secret []byte
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives conditional-greet's log_message. Nil discards it.
	Logger *slog.Logger
	// OmitLogin leaves the login tool out, for servers whose users log in
	// with OAuth. Secret is then not needed.
	OmitLogin bool
}

type greetIn struct {
	Name string `json:"name" jsonschema:"who to greet"`
}

type loginIn struct {
	Username string `json:"username" jsonschema:"admin or client"`
	Password string `json:"password" jsonschema:"password for admin, client for client"`
}

type conditionalIn struct {
	Name       string `json:"name" jsonschema:"who to greet"`
	Number     int    `json:"number" jsonschema:"picks the tone: 0..10 casual, 11..20 formal, anything else enthusiastic"`
	LogMessage string `json:"log_message,omitempty" jsonschema:"a message for the server log"`
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

// NewServer returns the demo MCP server with the tools greet, login,
// greet-jwt and conditional-greet.
func NewServer(o Options) *mcp.Server {
	if len(o.Secret) == 0 && !o.OmitLogin {
		panic("demo: Options.Secret is empty")
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "mcpauth-demo", Version: "1.0.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "greet", Description: "Greet someone by name."},
		func(_ context.Context, _ *mcp.CallToolRequest, in greetIn) (*mcp.CallToolResult, any, error) {
			return text("Hello, " + in.Name + "!"), nil, nil
		})
	if !o.OmitLogin {
		mcp.AddTool(s, &mcp.Tool{Name: "login", Description: "Log in; returns a JWT to send as \"Authorization: Bearer <token>\"."},
			func(_ context.Context, _ *mcp.CallToolRequest, in loginIn) (*mcp.CallToolResult, any, error) {
				tok, err := Login(o.Secret, in.Username, in.Password, now())
				if err != nil {
					return nil, nil, err
				}
				return text(tok), nil, nil
			})
	}
	mcp.AddTool(s, &mcp.Tool{Name: "greet-jwt", Description: "Greet the verified caller."},
		func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			user, ok := Caller(req)
			if !ok {
				return nil, nil, errors.New("demo: greet-jwt needs a verified caller")
			}
			return text("Hello, " + user + "! (secure)"), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "conditional-greet", Description: "Greet in a tone chosen by number (the ABAC demo)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in conditionalIn) (*mcp.CallToolResult, any, error) {
			if in.LogMessage != "" {
				logger.LogAttrs(ctx, slog.LevelInfo, "conditional-greet", slog.String("log_message", in.LogMessage))
			}
			return text(ConditionalGreeting(in.Name, in.Number)), nil, nil
		})
	return s
}

// ConditionalGreeting is conditional-greet's answer: casual for 0..10,
// formal for 11..20, enthusiastic for every other number (negative ones
// included).
func ConditionalGreeting(name string, number int) string {
	switch {
	case number >= 0 && number <= 10:
		return fmt.Sprintf("Hey %s, number %d. Nice to see you.", name, number)
	case number >= 11 && number <= 20:
		return fmt.Sprintf("Good day, %s. Your number is %d.", name, number)
	default:
		return fmt.Sprintf("WOW %s, number %d! What a pleasure!", name, number)
	}
}

// Caller returns the user the authentication layer verified for req: the
// UserID of the go-sdk token info.
func Caller(req *mcp.CallToolRequest) (string, bool) {
	if req.Extra == nil || req.Extra.TokenInfo == nil || req.Extra.TokenInfo.UserID == "" {
		return "", false
	}
	return req.Extra.TokenInfo.UserID, true
}

// Login checks a demo account and returns a token for it, signed with
// secret, issued at now and valid for [TokenLifetime].
func Login(secret []byte, username, password string, now time.Time) (string, error) {
	want, known := users[username]
	if !known {
		want = "\x00" // still compare, so unknown users take as long
	}
	if subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 || !known {
		return "", ErrInvalidCredentials
	}
	return SignToken(secret, username, now, now.Add(TokenLifetime)), nil
}

// SignToken returns an HS256 JWT {sub, aud: [Audience], iat, exp}.
func SignToken(secret []byte, sub string, iat, exp time.Time) string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(struct {
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}{sub, Audience, iat.Unix(), exp.Unix()})
	signed := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}

// NewSecret returns a random 32-byte secret, hex-encoded.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// WithTokenInfo hands the caller identified by the mcpauth middleware to
// go-sdk tool handlers: for a request whose [mcpauth.Decision] has an
// identity, it stores an auth.TokenInfo (UserID = the user key, Scopes =
// the credential's scopes, Extra[DecisionKey] = the decision) where the
// go-sdk finds it, so tools read it as req.Extra.TokenInfo. The go-sdk keeps
// its context key private; its RequireBearerToken middleware is the only way
// to set it, so this is meant for JWT identity, where the identity came
// from the bearer token. Other requests pass unchanged.
//
// Place it between the mcpauth middleware and the go-sdk handler.
func WithTokenInfo(next http.Handler) http.Handler {
	withInfo := auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		d, ok := mcpauth.DecisionFromContext(ctx)
		if !ok || d.Identity == nil {
			return nil, auth.ErrInvalidToken
		}
		// No Expiration: the middleware has checked the token's already.
		return &auth.TokenInfo{
			UserID: d.Identity.User.Key,
			Scopes: d.Identity.Scopes,
			Extra:  map[string]any{DecisionKey: d},
		}, nil
	}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := mcpauth.DecisionFromContext(r.Context()); ok && d.Identity != nil {
			withInfo.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Authorizer returns the decision point the environment chooses, as
// mcpauthenv reads it: an AuthZEN PDP when PERMIT_MCP_AUTHZEN_URL is set,
// the Permit PDP when PERMIT_API_KEY (and PERMIT_PDP_URL) is, and the
// embedded demo policy when neither is. It also returns a description for
// the start-up banner.
func Authorizer(getenv func(string) string, logger *slog.Logger) (mcpauth.Authorizer, string, error) {
	lookup := func(name string) (string, bool) {
		v := getenv(name)
		return v, v != ""
	}
	authz, err := mcpauthenv.AuthorizerFromLookup(lookup, logger)
	switch {
	case errors.Is(err, mcpauthenv.ErrNoDecisionPoint):
		return policy.Demo(), "the embedded demo policy (set PERMIT_MCP_AUTHZEN_URL for an AuthZEN PDP, or PERMIT_PDP_URL and PERMIT_API_KEY for Permit)", nil
	case err != nil:
		return nil, "", err
	}
	if _, ok := authz.(*mcpauth.AuthZEN); ok {
		return authz, "the AuthZEN PDP at " + getenv("PERMIT_MCP_AUTHZEN_URL"), nil
	}
	return authz, "the Permit PDP at " + cmp.Or(getenv("PERMIT_PDP_URL"), "http://localhost:7766"), nil
}

// NewHTTPServer returns an http.Server for h with the timeouts and limits a
// production MCP server needs (see the README's production checklist):
// headers within 10 s, the whole request within 30 s (the mcpauth
// middleware lifts this once it has read a POST body, and for GET, so SSE
// streams run as long as they need), idle keep-alive connections closed
// after 2 minutes, and headers capped at 64 KiB.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves h on ln with [NewHTTPServer] until ctx is done, then shuts the
// server down, waiting up to 5 s for requests in flight.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := NewHTTPServer(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
