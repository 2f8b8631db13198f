// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcpauth/mcpauth/internal/pangeavaulttest"
	"github.com/mcpauth/mcpauth/internal/pangeawire"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/pangeavault"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// TestLive runs the conformance suite against the real Pangea Vault when
// PANGEA_VAULT_TOKEN is set (PANGEA_DOMAIN optional, default
// aws.us.pangea.cloud). Each store gets its own folder under
// "mcpauth-livetest/", emptied afterwards. The store runs with WithTake,
// so the suite's concurrent Takes test delete exclusivity for real. Expiry uses a fake clock: the
// expiry instant lives in the record, so the suite needs no sleeps even
// against the real service.
func TestLive(t *testing.T) {
	token := os.Getenv("PANGEA_VAULT_TOKEN")
	if token == "" {
		t.Skip("PANGEA_VAULT_TOKEN is not set: skipping the live Pangea Vault test (set it, and optionally PANGEA_DOMAIN, to run it)")
	}
	domain := os.Getenv("PANGEA_DOMAIN")
	clock := repositorytest.NewClock(time.Now())
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			s, err := pangeavault.New(&pangeavault.Options{
				Token:  token,
				Domain: domain,
				Folder: "mcpauth-livetest/" + hex.EncodeToString(b),
				Clock:  clock.Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { emptyStore(t, s) })
			// WithTake: the suite's concurrent Takes check, against the
			// real service, the delete exclusivity Take relies on.
			return s.WithTake()
		},
		Advance:      clock.Advance,
		Concurrency:  2,
		MaxValueSize: pangeavault.MaxValueSize,
	})
}

// emptyStore deletes every record the store holds.
func emptyStore(t *testing.T, s *pangeavault.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	keys, err := s.List(ctx, "")
	if err != nil {
		t.Logf("cleanup: List: %v", err)
		return
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			t.Logf("cleanup: Delete: %v", err)
		}
	}
}

// TestLiveAPIRules sends the same raw requests to the double and, when
// PANGEA_VAULT_TOKEN is set, to the real Pangea Vault, and checks that both
// answer as this package and the double assume: the 10,240-character
// secret limit and its error, and a folder given without the leading "/"
// stored and found as "/a/b".
func TestLiveAPIRules(t *testing.T) {
	dbl := pangeavaulttest.New(t, nil)
	type target struct {
		name, base, token string
		client            *http.Client
	}
	targets := []target{{"double", dbl.URL, dbl.Token(), dbl.Client()}}
	if token := os.Getenv("PANGEA_VAULT_TOKEN"); token != "" {
		domain := os.Getenv("PANGEA_DOMAIN")
		if domain == "" {
			domain = pangeavault.DefaultDomain
		}
		targets = append(targets, target{"Pangea Vault", "https://vault." + domain, token, &http.Client{Timeout: time.Minute}})
	} else {
		t.Log("PANGEA_VAULT_TOKEN is not set: probing the double only")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	folder := "mcpauth-livetest/" + hex.EncodeToString(b)
	type outcome struct {
		HTTP   int
		Status string
		Errors []string // code@source
		Folder string
		Items  int
	}
	var got []map[string]outcome
	for _, tg := range targets {
		post := func(path string, body any) (outcome, json.RawMessage) {
			t.Helper()
			raw, _ := json.Marshal(body)
			a, err := pangeawire.Post(t.Context(), tg.client, tg.base+path, tg.token, raw)
			if err != nil {
				t.Fatalf("%s: %v", tg.name, err)
			}
			return outcome{HTTP: a.HTTP, Status: a.Status, Errors: a.Codes()}, a.Result
		}
		res := map[string]outcome{}
		res["store 10241"], _ = post("/v2/secret/store", map[string]any{"type": "secret", "secret": strings.Repeat("x", pangeavault.MaxSecretLength+1), "name": "mcpauth_limit", "folder": folder})
		o, raw := post("/v2/secret/store", map[string]any{"type": "secret", "secret": strings.Repeat("x", pangeavault.MaxSecretLength), "name": "mcpauth_limit", "folder": folder})
		var item struct {
			ID     string `json:"id"`
			Folder string `json:"folder"`
		}
		_ = json.Unmarshal(raw, &item)
		o.Folder = item.Folder
		res["store 10240"] = o
		o, raw = post("/v2/get_bulk", map[string]any{"filter": map[string]any{"type": "secret", "folder": "/" + folder}, "size": 10})
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(raw, &page)
		o.Items = len(page.Items)
		res["get_bulk /folder"] = o
		if item.ID != "" {
			if o, _ := post("/v2/delete", map[string]any{"id": item.ID}); o.Status != "Success" {
				t.Errorf("%s: cleanup of %s: %s", tg.name, item.ID, o.Status)
			}
		}
		got = append(got, res)
	}
	if len(got) == 2 {
		if diff := cmp.Diff(got[0], got[1]); diff != "" {
			t.Errorf("the double and Pangea Vault disagree (-double +Pangea Vault):\n%s", diff)
		}
	}
	want := map[string]outcome{
		"store 10241":      {HTTP: 400, Status: "ValidationError", Errors: []string{"AboveMaxLength@/secret"}},
		"store 10240":      {HTTP: 200, Status: "Success", Folder: "/" + folder},
		"get_bulk /folder": {HTTP: 200, Status: "Success", Items: 1},
	}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("the double (-want +got):\n%s", diff)
	}
}
