// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/internal/loopback"
)

// Defaults for [Options].
const (
	// DefaultDomain is the Pangea domain when neither Domain nor BaseURL is
	// set; the Vault base URL is then "https://vault." + DefaultDomain.
	DefaultDomain = "aws.us.pangea.cloud"
	// DefaultMaxRetries is how many times a call answered 429 or 5xx is
	// retried.
	DefaultMaxRetries = 3
	// DefaultRetryBackoff is the first wait before a retry; each further
	// retry doubles it, up to DefaultMaxRetryBackoff.
	DefaultRetryBackoff = 250 * time.Millisecond
	// DefaultMaxRetryBackoff caps a single wait before a retry, including a
	// Retry-After header.
	DefaultMaxRetryBackoff = 5 * time.Second
	// DefaultMaxPolls is how many times a request answered 202 Accepted is
	// polled before the call fails with ErrPending.
	DefaultMaxPolls = 10
	// DefaultPollInterval is the wait between polls.
	DefaultPollInterval = time.Second
	// DefaultHTTPTimeout is the timeout of the HTTP client built when
	// HTTPClient is nil.
	DefaultHTTPTimeout = 30 * time.Second
	// DefaultUserAgent is the User-Agent header.
	DefaultUserAgent = "mcpauth-pangeavault"
	// DefaultRotationState is the state Set gives an item's previous
	// version when it rotates in a new one.
	DefaultRotationState = "deactivated"
)

// folderPattern is the pattern Pangea Vault folder names must match.
var folderPattern = regexp.MustCompile(`^[0-9a-zA-Z_.\-/ ]*$`)

// Options configures a [Store]. Token is required; every other zero field
// takes the default shown.
type Options struct {
	// Token is the Pangea Vault service token ("pts_…"). Required. It is
	// sent only in the Authorization header and never logged or put in
	// an error.
	Token string

	// BaseURL is the Vault API base URL, such as
	// "https://vault.aws.us.pangea.cloud". It overrides Domain. Plain
	// http is accepted only for loopback hosts (test doubles).
	BaseURL string
	// Domain is the Pangea domain; the base URL is "https://vault." +
	// Domain. Default DefaultDomain.
	Domain string

	// Folder is the Vault folder that holds this store's items, such as
	// "mcpauth/tokens". Empty means none: items are stored without a
	// folder and looked up in every folder. Use one folder per store. It
	// must match `^[0-9a-zA-Z_.\-/ ]*$` (vault-folder), and is sent with a
	// leading "/" and no trailing one ("/mcpauth/tokens"), the form of
	// the Vault API's examples, so that items are stored and filtered
	// under one spelling however the service compares folders.
	Folder string

	// RotationState is the state Set gives the previous version when it
	// overwrites a key: "deactivated" (default, what the Python original
	// does: old versions stay readable in Vault) or "destroyed" (old
	// plaintext is dropped).
	RotationState string

	// HTTPClient sends the requests. Nil means a client with
	// DefaultHTTPTimeout.
	HTTPClient *http.Client
	// UserAgent is the User-Agent header. Default DefaultUserAgent.
	UserAgent string
	// Logger receives debug lines per call and warnings on retries. Nil
	// means no logging.
	Logger *slog.Logger

	// MaxRetries is how many times a call answered 429 or 5xx is retried.
	// Zero means DefaultMaxRetries; negative means no retries.
	MaxRetries int
	// RetryBackoff is the first wait before a retry. Zero means
	// DefaultRetryBackoff.
	RetryBackoff time.Duration
	// MaxRetryBackoff caps one wait. Zero means DefaultMaxRetryBackoff.
	MaxRetryBackoff time.Duration
	// MaxPolls is how many times a 202 Accepted request is polled. Zero
	// means DefaultMaxPolls; negative means a 202 fails at once with
	// ErrPending.
	MaxPolls int
	// PollInterval is the wait between polls. Zero means
	// DefaultPollInterval.
	PollInterval time.Duration

	// SweepInterval, when > 0, starts a goroutine that calls
	// [Store.Sweep] every SweepInterval until [Store.Close]; failures are
	// logged. Zero (the default) means no sweeper. One replica sweeping is
	// enough; more only repeat the work.
	SweepInterval time.Duration

	// Clock returns the current time, which decides expiry. Nil means
	// time.Now.
	Clock func() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error in that
	// case. It paces retries, polls and the sweeper. Nil means a timer.
	// Tests inject one that does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// config is Options with defaults applied.
type config struct {
	Options
	baseURL string
}

func (o *Options) config() (*config, error) {
	c := &config{}
	if o != nil {
		c.Options = *o
	}
	if c.Token == "" {
		return nil, errors.New("pangeavault: Options.Token is required")
	}
	if strings.ContainsAny(c.Token, " \t\r\n") {
		return nil, errors.New("pangeavault: Options.Token contains whitespace")
	}
	if c.Folder != "" && !folderPattern.MatchString(c.Folder) {
		return nil, fmt.Errorf("pangeavault: Options.Folder %q does not match %s", c.Folder, folderPattern)
	}
	if c.Folder != "" {
		c.Folder = "/" + strings.Trim(c.Folder, "/")
	}
	switch c.RotationState {
	case "":
		c.RotationState = DefaultRotationState
	case "deactivated", "destroyed":
	default:
		return nil, fmt.Errorf("pangeavault: Options.RotationState %q: want deactivated or destroyed", c.RotationState)
	}
	base, err := baseURL(c.BaseURL, c.Domain)
	if err != nil {
		return nil, err
	}
	c.baseURL = base
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.MaxRetryBackoff <= 0 {
		c.MaxRetryBackoff = DefaultMaxRetryBackoff
	}
	switch {
	case c.MaxPolls == 0:
		c.MaxPolls = DefaultMaxPolls
	case c.MaxPolls < 0:
		c.MaxPolls = 0
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	return c, nil
}

// baseURL resolves BaseURL or Domain into a base URL without a trailing
// slash.
func baseURL(raw, domain string) (string, error) {
	if raw == "" {
		if domain == "" {
			domain = DefaultDomain
		}
		if strings.ContainsAny(domain, "/:@?# ") {
			return "", fmt.Errorf("pangeavault: Options.Domain %q is not a domain name", domain)
		}
		raw = "https://vault." + domain
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("pangeavault: Options.BaseURL: %w", err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("pangeavault: Options.BaseURL %q: want scheme://host[:port][/path]", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback.Host(u.Hostname()) {
			return "", fmt.Errorf("pangeavault: Options.BaseURL %q: plain http is allowed only for loopback hosts (the token would travel in clear)", raw)
		}
	default:
		return "", fmt.Errorf("pangeavault: Options.BaseURL %q: scheme must be https", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
