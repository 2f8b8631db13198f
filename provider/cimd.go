// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// errBlockedAddress is returned when a CIMD host resolves to an address the
// SSRF guard refuses.
var errBlockedAddress = errors.New("provider: address not allowed")

// cimdFetcher fetches and caches Client ID Metadata Documents.
type cimdFetcher struct {
	opts   CIMDOptions
	scopes []string
	client *http.Client
	now    func() time.Time
	// cache holds fetched documents for at most opts.CacheTTL; each entry
	// also keeps the document's own lifetime (Cache-Control), checked
	// against now. Its LRU runs one goroutine for the life of the
	// process, so a fetcher is made once per Provider.
	cache *expirable.LRU[string, cimdEntry]
}

type cimdEntry struct {
	c   *clientRecord
	exp time.Time
}

func newCIMDFetcher(o CIMDOptions, scopes []string, now func() time.Time) *cimdFetcher {
	o.Timeout = orDuration(o.Timeout, DefaultCIMDTimeout)
	o.CacheTTL = orDuration(o.CacheTTL, DefaultCIMDCacheTTL)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultCIMDMaxBytes
	}
	if o.Scopes != nil {
		scopes = o.Scopes
	}
	dialer := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowPrivate {
		dialer.Control = guardAddress
	}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSClientConfig:       o.TLSConfig,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
		// Proxy stays nil: a proxy would resolve the host itself and bypass
		// the address guard.
	}
	return &cimdFetcher{
		opts:   o,
		scopes: scopes,
		client: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("provider: redirects are not followed for client metadata documents")
			},
		},
		now:   now,
		cache: expirable.NewLRU[string, cimdEntry](DefaultCIMDCacheSize, nil, o.CacheTTL),
	}
}

// guardAddress refuses connections to non-public addresses. It runs after
// DNS resolution, on the address actually dialled, so a public name that
// resolves to a private address is refused too.
func guardAddress(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errBlockedAddress, address)
	}
	if !publicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", errBlockedAddress, ap.Addr())
	}
	return nil
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	benchmark = netip.MustParsePrefix("198.18.0.0/15")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
)

// publicAddr reports whether a is a globally routable unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		var v4 [4]byte
		b := a.As16()
		copy(v4[:], b[12:])
		a = netip.AddrFrom4(v4)
	}
	switch {
	case !a.IsValid(), a.IsUnspecified(), a.IsLoopback(), a.IsPrivate(),
		a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(),
		a.IsMulticast(), cgnat.Contains(a), benchmark.Contains(a):
		return false
	}
	if a.Is4() && (a.As4()[0] == 0 || a.As4()[0] >= 240) {
		return false
	}
	return true
}

// cimdDocument is the subset of client metadata the provider uses.
type cimdDocument struct {
	ClientID                string   `json:"client_id"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	Scope                   string   `json:"scope"`
}

// checkClientIDURL validates a CIMD client_id: an https URL with a path,
// no fragment, no user info and no dot segments.
func (f *cimdFetcher) checkClientIDURL(id string) error {
	u, err := url.Parse(id)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("client ID is not an https URL")
	}
	if u.Path == "" || u.Path == "/" || u.Fragment != "" || u.User != nil {
		return errors.New("client ID URL must have a path and no fragment or user info")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return errors.New("client ID URL must not contain dot segments")
		}
	}
	if len(f.opts.AllowedHosts) > 0 && !slices.ContainsFunc(f.opts.AllowedHosts, func(h string) bool { return strings.EqualFold(h, u.Hostname()) }) {
		return errors.New("client ID host is not allowed")
	}
	return nil
}

// get returns the client described by the document at id.
func (f *cimdFetcher) get(ctx context.Context, id string) (*clientRecord, error) {
	e, ok := f.cache.Get(id)
	now := f.now()
	if ok && now.Before(e.exp) {
		return e.c, nil
	}
	c, ttl, err := f.fetch(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%w: client metadata document: %v", errUnknownClient, err)
	}
	if ttl <= 0 {
		return c, nil
	}
	f.cache.Add(id, cimdEntry{c: c, exp: now.Add(ttl)})
	return c, nil
}

// fetch downloads and validates the document at id and says how long it
// may be cached.
func (f *cimdFetcher) fetch(ctx context.Context, id string) (*clientRecord, time.Duration, error) {
	if err := f.checkClientIDURL(id); err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(body)) > f.opts.MaxBytes {
		return nil, 0, fmt.Errorf("document larger than %d bytes", f.opts.MaxBytes)
	}
	var doc cimdDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, errors.New("document is not a JSON object")
	}
	if doc.ClientID != id {
		return nil, 0, fmt.Errorf("document client_id %q does not equal its URL", doc.ClientID)
	}
	if len(doc.RedirectURIs) == 0 {
		return nil, 0, errors.New("document has no redirect_uris")
	}
	for _, u := range doc.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return nil, 0, err
		}
	}
	switch doc.TokenEndpointAuthMethod {
	case "", AuthMethodNone:
	default:
		return nil, 0, fmt.Errorf("token_endpoint_auth_method %q: CIMD clients are public", doc.TokenEndpointAuthMethod)
	}
	for _, rt := range doc.ResponseTypes {
		if rt != "code" {
			return nil, 0, fmt.Errorf("response type %q is not supported", rt)
		}
	}
	grants := []string{"authorization_code", "refresh_token"}
	if len(doc.GrantTypes) > 0 {
		if !slices.Contains(doc.GrantTypes, "authorization_code") {
			return nil, 0, errors.New("grant_types must include authorization_code")
		}
		grants = []string{"authorization_code"}
		if slices.Contains(doc.GrantTypes, "refresh_token") {
			grants = append(grants, "refresh_token")
		}
	}
	scopes := f.scopes
	if doc.Scope != "" {
		scopes = nil
		for _, s := range strings.Fields(doc.Scope) {
			if slices.Contains(f.scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	return &clientRecord{
		ClientID:     id,
		AuthMethod:   AuthMethodNone,
		Name:         doc.ClientName,
		ClientURI:    doc.ClientURI,
		RedirectURIs: doc.RedirectURIs,
		GrantTypes:   grants,
		Scopes:       slices.Clone(scopes),
		Kind:         "cimd",
	}, cacheTTL(resp.Header, f.opts.CacheTTL), nil
}

// cacheTTL reads Cache-Control: no-store and no-cache mean no caching,
// max-age=N caps the lifetime; max is the upper bound.
func cacheTTL(h http.Header, max time.Duration) time.Duration {
	ttl := max
	for _, cc := range h.Values("Cache-Control") {
		for _, d := range strings.Split(cc, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			switch {
			case d == "no-store" || d == "no-cache":
				return 0
			case strings.HasPrefix(d, "max-age="):
				n, err := strconv.Atoi(strings.TrimPrefix(d, "max-age="))
				if err != nil || n < 0 {
					return 0
				}
				if age := time.Duration(n) * time.Second; age < ttl {
					ttl = age
				}
			}
		}
	}
	return ttl
}
