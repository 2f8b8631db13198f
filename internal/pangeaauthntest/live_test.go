// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeaauthntest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/internal/pangeaauthntest"
	"github.com/mcpauth/mcpauth/internal/pangeawire"
)

// outcome is what a probe compares: the HTTP code, the envelope's status
// and result.errors as code@source.
type outcome struct {
	HTTP   int
	Status string
	Errors []string
	Keys   bool // jwks: keys with kids of the form pvi_…|n
}

type authnTarget struct {
	name, base, serviceToken string
	client                   *http.Client
}

func (tg authnTarget) post(t *testing.T, path, serviceToken, body string) (outcome, json.RawMessage) {
	t.Helper()
	a, err := pangeawire.Post(t.Context(), tg.client, tg.base+path, serviceToken, []byte(body))
	if err != nil {
		t.Fatalf("%s: %v", tg.name, err)
	}
	return outcome{HTTP: a.HTTP, Status: a.Status, Errors: a.Codes()}, a.Result
}

// TestLive sends the same service API requests to the double and, when
// PANGEA_AUTHN_TOKEN (an AuthN service token) is set, to Pangea AuthN
// (PANGEA_AUTHN_BASE_URL, or https://authn.<PANGEA_DOMAIN>, default
// aws.us.pangea.cloud), and fails where their answers differ: the double
// must be no more lenient and no stricter than the service. Optional:
//
//   - PANGEA_AUTHN_TEST_ACCESS_TOKEN, an access token from a real login at
//     {issuer}/v2/oauth/token: the test checks whether the token check
//     accepts it and names the user (the provider's pangea_token_check
//     identity source depends on it);
//   - PANGEA_AUTHN_ISSUER_URL and PANGEA_AUTHN_CLIENT_ID: the test checks
//     that the hosted login refuses an unregistered redirect URI without
//     redirecting to it, and logs whether OpenID Connect discovery exists.
func TestLive(t *testing.T) {
	dbl := pangeaauthntest.New(t, nil)
	targets := []authnTarget{{"double", dbl.URL, dbl.ServiceToken, http.DefaultClient}}
	serviceToken := os.Getenv("PANGEA_AUTHN_TOKEN")
	if serviceToken != "" {
		base := os.Getenv("PANGEA_AUTHN_BASE_URL")
		if base == "" {
			domain := os.Getenv("PANGEA_DOMAIN")
			if domain == "" {
				domain = "aws.us.pangea.cloud"
			}
			base = "https://authn." + domain
		}
		targets = append(targets, authnTarget{"Pangea AuthN", strings.TrimRight(base, "/"), serviceToken, &http.Client{Timeout: time.Minute}})
	} else {
		t.Log("PANGEA_AUTHN_TOKEN is not set: probing the double only (set it to compare with Pangea AuthN)")
	}
	probes := []struct {
		name, path string
		wrongToken bool
		body       string
		want       outcome // the double's answer
	}{
		{"malformed token", "/v2/client/token/check", false, `{"token":"not-a-token"}`, outcome{HTTP: 400, Status: "ValidationError", Errors: []string{"DoesNotMatchPattern@/token"}}},
		{"unknown user token", "/v2/client/token/check", false, `{"token":"ptu_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`, outcome{HTTP: 400, Status: "ValidationError", Errors: []string{"DoesNotExist@/token"}}},
		{"no token", "/v2/client/token/check", false, `{}`, outcome{HTTP: 400, Status: "ValidationError", Errors: []string{"FieldRequired@/token"}}},
		{"extra member", "/v2/client/token/check", false, `{"token":"ptu_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","extra":1}`, outcome{HTTP: 400, Status: "ValidationError", Errors: []string{"UnexpectedProperty@/extra"}}},
		{"wrong service token", "/v2/client/token/check", true, `{"token":"ptu_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`, outcome{HTTP: 401, Status: "Unauthorized"}},
		{"jwks", "/v2/client/jwks", false, `{}`, outcome{HTTP: 200, Status: "Success", Keys: true}},
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			var got []outcome
			for _, tg := range targets {
				tok := tg.serviceToken
				if p.wrongToken {
					tok = "pts_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
				}
				o, res := tg.post(t, p.path, tok, p.body)
				if p.path == "/v2/client/jwks" && o.Status == "Success" {
					var set struct{ Keys []struct{ Kid string } }
					_ = json.Unmarshal(res, &set)
					o.Keys = len(set.Keys) > 0
					for _, k := range set.Keys {
						o.Keys = o.Keys && strings.HasPrefix(k.Kid, "pvi_") && strings.Contains(k.Kid, "|")
					}
				}
				got = append(got, o)
			}
			if diff := cmp.Diff(p.want, got[0]); diff != "" {
				t.Errorf("the double (-want +got):\n%s", diff)
			}
			if len(got) == 2 {
				if diff := cmp.Diff(got[0], got[1]); diff != "" {
					t.Errorf("the double and Pangea AuthN disagree (-double +AuthN):\n%s", diff)
				}
			}
		})
	}
	if serviceToken == "" {
		return
	}
	authn := targets[1]
	if at := os.Getenv("PANGEA_AUTHN_TEST_ACCESS_TOKEN"); at != "" {
		t.Run("OAuth access token", func(t *testing.T) {
			b, _ := json.Marshal(map[string]string{"token": at})
			o, res := authn.post(t, "/v2/client/token/check", serviceToken, string(b))
			var info struct{ Identity, Type string }
			_ = json.Unmarshal(res, &info)
			if o.Status != "Success" || !pangeaauthntest.UserIDPattern.MatchString(info.Identity) {
				t.Errorf("AuthN's token check of an OAuth access token: %+v, identity %q: the pangea_token_check identity source cannot work; use id_token or userinfo", o, info.Identity)
			} else {
				t.Logf("the token check accepts OAuth access tokens (type %q)", info.Type)
			}
		})
	}
	issuer, clientID := strings.TrimRight(os.Getenv("PANGEA_AUTHN_ISSUER_URL"), "/"), os.Getenv("PANGEA_AUTHN_CLIENT_ID")
	if issuer == "" || clientID == "" {
		return
	}
	t.Run("hosted login", func(t *testing.T) {
		noFollow := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		evil := "https://unregistered.invalid/cb"
		q := url.Values{"client_id": {clientID}, "redirect_uri": {evil}, "response_type": {"code"}, "scope": {"openid"}, "state": {"state-0123456789"}}
		resp, err := noFollow.Get(issuer + "/v2/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, evil) {
			t.Errorf("AuthN redirected to an unregistered redirect URI: %s", loc)
		}
		resp, err = noFollow.Get(issuer + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("GET %s/.well-known/openid-configuration: HTTP %d (the double serves no discovery document)", issuer, resp.StatusCode)
	})
}
