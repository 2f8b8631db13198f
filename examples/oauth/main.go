// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"

	"github.com/hashicorp/vault/api"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/examples/internal/demo"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/hcvault"
	"github.com/mcpauth/mcpauth/repository/pangeavault"
	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

//go:embed policy.json
var policyJSON []byte

// Development OpenID Provider client credentials (-dev-idp only): the one
// client of providertest's OP.
const (
	devClientID     = providertest.UpstreamClientID
	devClientSecret = providertest.UpstreamClientSecret
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "oauth:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, baseURL, policyFile, storeURL string
	devIDP                              bool
}

// run serves until ctx is done; ready, when not nil, receives the MCP URL
// once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(mcpURL string)) (err error) {
	var c config
	fs := flag.NewFlagSet("oauth", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.StringVar(&c.addr, "addr", or(getenv("ADDR"), demo.DefaultAddr), "listen `address` (env ADDR)")
	fs.StringVar(&c.baseURL, "base-url", getenv("BASE_URL"), "external `URL` of the server (env BASE_URL; default http://<addr>)")
	fs.StringVar(&c.policyFile, "policy", getenv("POLICY_FILE"), "policy `file` for the embedded decision point (env POLICY_FILE)")
	fs.BoolVar(&c.devIDP, "dev-idp", false, "use a local OpenID Provider as the upstream, instead of Pangea AuthN")
	fs.StringVar(&c.storeURL, "store", getenv("REDIS_URL"), "store the provider's records in Redis at this redis://, rediss:// or unix:// `URL` (env REDIS_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))

	authz, source, closeAuthz, err := authorizer(c.policyFile, getenv, logger)
	if err != nil {
		return err
	}
	defer closeAuthz()
	store, storeName, err := newStore(c.storeURL, getenv, logger)
	if err != nil {
		return err
	}
	if store != nil {
		defer func() { err = errors.Join(err, store.(io.Closer).Close()) }()
	}
	var key []byte
	if v := getenv("MCP_ENCRYPTION_KEY"); v != "" {
		if key, err = hex.DecodeString(v); err != nil || len(key) != 32 {
			return errors.New("MCP_ENCRYPTION_KEY must be 64 hex digits (32 bytes)")
		}
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if c.baseURL == "" {
		c.baseURL = "http://" + ln.Addr().String()
	}

	var upstream provider.UpstreamOptions
	var devIDP *devProvider
	if c.devIDP {
		if devIDP, err = listenDevProvider(); err != nil {
			return err
		}
		defer devIDP.ln.Close()
		upstream = provider.UpstreamOptions{Issuer: devIDP.issuer, ClientID: devClientID, ClientSecret: devClientSecret}
	} else {
		upstream, err = pangeaUpstream(getenv)
		if err != nil {
			return err
		}
	}

	p, err := provider.New(&provider.Options{
		BaseURL:       c.baseURL,
		Upstream:      upstream,
		Store:         store,
		EncryptionKey: key,
		ResourceName:  "mcpauth OAuth example",
		Logger:        logger,
	})
	if err != nil {
		return err
	}
	defer p.Close()

	// With a store that is a Notifier (Redis), the replicas share
	// decision-cache purges; the provider finds it on the store by itself.
	notifier, _ := store.(repository.Notifier)
	mw, err := mcpauth.New(authz, &mcpauth.Options{
		Identity:            mcpauth.ContextIdentity(),
		ResourceMetadataURL: p.ResourceMetadataURL(),
		Logger:              logger,
		Notifier:            notifier,
	})
	if err != nil {
		return err
	}
	defer mw.Close()
	server := demo.NewServer(demo.Options{OmitLogin: true, Logger: logger})
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	mux := http.NewServeMux()
	p.Mount(mux)
	mux.Handle("/mcp", p.RequireBearer(mw.Handler(mcpHandler)))

	serveCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	if devIDP != nil {
		go func() { errc <- devIDP.serve(serveCtx, p.CallbackURL()) }()
	}

	mcpURL := p.Resource()
	p2 := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	p2("mcpauth OAuth example: MCP server at %s", mcpURL)
	p2("Authorization server (issuer): %s", p.Issuer())
	if devIDP != nil {
		p2("Upstream: the development OpenID Provider at %s;", devIDP.issuer)
		p2("  log in as test-user@127.0.0.1 / verysecure (user id1) or test-user2 / verysecure (user id2).")
	} else {
		p2("Upstream: Pangea AuthN at %s; its redirect URI must be %s", getenv("PANGEA_AUTHN_ISSUER_URL"), p.CallbackURL())
		if strings.Contains(getenv("PANGEA_AUTHN_IDENTITY"), provider.IdentitySourceNone) {
			p2("  PANGEA_AUTHN_IDENTITY allows none: a login that no other source identifies carries no user, and its calls are refused.")
		}
	}
	p2("Decisions: %s.", source)
	p2("Storage: %s.", storeName)
	p2("Connect an MCP client that supports OAuth (for example the MCP Inspector: npx @modelcontextprotocol/inspector) to the MCP URL.")
	p2("")
	if ready != nil {
		ready(mcpURL)
	}
	go func() { errc <- demo.Serve(serveCtx, ln, mux) }()
	err = <-errc
	cancel()
	if devIDP != nil {
		err = errors.Join(err, <-errc)
	}
	return err
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// authorizer returns Permit when PERMIT_PDP_URL and PERMIT_API_KEY are set,
// otherwise the policy file (reloaded when it changes) or the embedded
// policy.
func authorizer(file string, getenv func(string) string, logger *slog.Logger) (mcpauth.Authorizer, string, func(), error) {
	none := func() {}
	if getenv("PERMIT_PDP_URL") != "" || getenv("PERMIT_API_KEY") != "" {
		a, source, err := demo.Authorizer(getenv, logger)
		return a, source, none, err
	}
	if file != "" {
		w, err := policy.NewWatcher(file, &policy.WatchOptions{Logger: logger})
		if err != nil {
			return nil, "", none, err
		}
		return w, "the policy file " + file + " (reloaded when it changes)", func() { _ = w.Close() }, nil
	}
	p, err := policy.Parse("policy.json", policyJSON)
	if err != nil {
		return nil, "", none, err
	}
	return p, "the embedded policy.json (id1: Client, id2: Admin; set -policy, or PERMIT_PDP_URL and PERMIT_API_KEY)", none, nil
}

// newStore returns the provider's store chosen by -store and the
// environment: Redis, Pangea Vault, HashiCorp Vault, or nil for the
// provider's in-memory default.
func newStore(storeURL string, getenv func(string) string, logger *slog.Logger) (repository.Store, string, error) {
	pangea := getenv("PANGEA_VAULT_TOKEN")
	vaultAddr, vaultToken := getenv("VAULT_ADDR"), getenv("VAULT_TOKEN")
	switch {
	case storeURL != "" && (pangea != "" || vaultAddr != "" || vaultToken != ""):
		return nil, "", errors.New("set -store (REDIS_URL), PANGEA_VAULT_TOKEN, or VAULT_ADDR and VAULT_TOKEN, not more than one")
	case pangea != "" && (vaultAddr != "" || vaultToken != ""):
		return nil, "", errors.New("set PANGEA_VAULT_TOKEN or VAULT_ADDR and VAULT_TOKEN, not both")
	case storeURL != "":
		return redisStore(storeURL)
	case pangea != "":
		s, err := pangeavault.New(&pangeavault.Options{
			Token:   pangea,
			Domain:  getenv("PANGEA_DOMAIN"),
			BaseURL: getenv("PANGEA_VAULT_BASE_URL"),
			Folder:  "mcpauth/oauth-example",
			Logger:  logger,
		})
		if err != nil {
			return nil, "", err
		}
		return s.WithTake(), "Pangea Vault, folder mcpauth/oauth-example", nil
	case vaultAddr != "" || vaultToken != "":
		if vaultAddr == "" || vaultToken == "" {
			return nil, "", errors.New("set both VAULT_ADDR and VAULT_TOKEN")
		}
		cfg := api.DefaultConfig()
		cfg.Address = vaultAddr
		client, err := api.NewClient(cfg)
		if err != nil {
			return nil, "", err
		}
		client.SetToken(vaultToken)
		s, err := hcvault.New(&hcvault.Options{Client: client, Logger: logger})
		if err != nil {
			return nil, "", err
		}
		return s, "HashiCorp Vault at VAULT_ADDR (KV v2 mount " + hcvault.DefaultMount + ")", nil
	}
	return nil, "memory (lost on restart; set -store redis://…, PANGEA_VAULT_TOKEN, or VAULT_ADDR and VAULT_TOKEN to persist)", nil
}

// redisStore returns a Redis store for a redis://, rediss:// (TLS) or
// unix:// URL, which redis.ParseURL reads (user, password, database and
// client options such as ?dial_timeout=3s). The store owns its client and
// closes it with the store. New makes no call: an unreachable server shows
// up at the first request.
func redisStore(storeURL string) (repository.Store, string, error) {
	u, err := url.Parse(storeURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		// The URL may hold a password: do not quote it.
		return nil, "", errors.New("-store must be a redis://, rediss:// or unix:// URL")
	}
	s, err := redis.New(&redis.Options{URL: storeURL, Prefix: "mcpauth-oauth-example"})
	if err != nil {
		return nil, "", err
	}
	return s, "Redis at " + u.Redacted() + ", key prefix mcpauth-oauth-example", nil
}

// pangeaUpstream returns the Pangea AuthN upstream from the environment.
func pangeaUpstream(getenv func(string) string) (provider.UpstreamOptions, error) {
	list := func(k string) []string {
		return strings.FieldsFunc(getenv(k), func(r rune) bool { return r == ',' || r == ' ' })
	}
	o := provider.PangeaOptions{
		IssuerURL:    getenv("PANGEA_AUTHN_ISSUER_URL"),
		ClientID:     getenv("PANGEA_AUTHN_CLIENT_ID"),
		ClientSecret: getenv("PANGEA_AUTHN_CLIENT_SECRET"),
		Scopes:       list("PANGEA_AUTHN_SCOPES"),
		Identity:     list("PANGEA_AUTHN_IDENTITY"),
		AuthNToken:   getenv("PANGEA_AUTHN_TOKEN"),
		AuthNBaseURL: getenv("PANGEA_AUTHN_BASE_URL"),
		JWKSURL:      getenv("PANGEA_AUTHN_JWKS_URL"),
		UserinfoURL:  getenv("PANGEA_AUTHN_USERINFO_URL"),
	}
	if len(o.Identity) == 0 {
		o.Identity = nil // the default sources
	}
	if o.IssuerURL == "" || o.ClientID == "" || o.ClientSecret == "" || len(o.Scopes) == 0 {
		return provider.UpstreamOptions{}, errors.New("set PANGEA_AUTHN_ISSUER_URL, PANGEA_AUTHN_CLIENT_ID, PANGEA_AUTHN_CLIENT_SECRET and PANGEA_AUTHN_SCOPES, or run with -dev-idp")
	}
	return provider.Pangea(o), nil
}

// devProvider is the in-process OpenID Provider of providertest (built on
// zitadel's op package) on a loopback port.
type devProvider struct {
	ln     net.Listener
	issuer string
}

func listenDevProvider() (*devProvider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &devProvider{ln: ln, issuer: "http://" + ln.Addr().String()}, nil
}

// serve runs the OP with one confidential client whose redirect URI is the
// provider's callback, until ctx is done.
func (d *devProvider) serve(ctx context.Context, callbackURL string) error {
	h, err := providertest.NewOPHandler(d.issuer, callbackURL)
	if err != nil {
		return err
	}
	return demo.Serve(ctx, d.ln, h)
}
