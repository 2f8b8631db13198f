// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/redis"
	"github.com/mcpauth/mcpauth/repository/redis/redisserver"
	"github.com/mcpauth/mcpauth/repository/repositorytest"
)

// aclRule returns the rule the package documentation gives, without the
// user name and password.
func aclRule(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	const lead = "ACL SETUSER mcpauth on >password "
	_, rule, ok := strings.Cut(string(doc), lead)
	if !ok {
		t.Fatalf("doc.go lacks %q", lead)
	}
	rule, _, _ = strings.Cut(rule, "\n")
	return rule
}

// TestACL runs the suite as a user that has exactly the documented
// permissions, on the default prefix, and checks that refusals read as
// ErrPermissionDenied without the server's text (which can quote keys).
func TestACL(t *testing.T) {
	srv := redisserver.Start(t, nil)
	admin := newClient(t, srv.Addr())
	ctx := t.Context()
	args := []any{"acl", "setuser", "mcpauth", "on", ">s3cret"}
	for _, f := range strings.Fields(aclRule(t)) {
		args = append(args, f)
	}
	if err := admin.Do(ctx, args...).Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	// The default user is the admin's; every store below uses mcpauth.
	user := func() *goredis.Client {
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), Username: "mcpauth", Password: "s3cret", MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	repositorytest.Run(t, repositorytest.Harness{
		New: func(t *testing.T) repository.Store {
			s := newStore(t, redis.Options{Client: user()})
			keys, err := s.List(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys { // the default prefix is shared: start empty
				if err := s.Delete(t.Context(), k); err != nil {
					t.Fatal(err)
				}
			}
			return s
		},
		Advance: func(d time.Duration) { shiftTTLs(t, admin, d) },
	})

	// Notifications work under the rule too.
	s := newStore(t, redis.Options{Client: user()})
	rec := repositorytest.NewRecorder(s)
	subscribeRec(t, rec, "t")
	wantGap(t, rec, "subscription in place")
	if err := s.Publish(ctx, "t", []byte("m")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	wantMsg(t, rec, "m")

	other := newStore(t, redis.Options{Client: user(), Prefix: "other"})
	err := other.Set(ctx, "k", []byte("v"), 0)
	if !errors.Is(err, redis.ErrPermissionDenied) || strings.Contains(err.Error(), "other") {
		t.Errorf("Set outside the allowed keys: got %v, want ErrPermissionDenied without the key", err)
	}
	if err := other.Publish(ctx, "t", nil); !errors.Is(err, redis.ErrPermissionDenied) {
		t.Errorf("Publish outside the allowed channels: got %v, want ErrPermissionDenied", err)
	}
	wrong := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), Username: "mcpauth", Password: "wrong", MaxRetries: -1})
	t.Cleanup(func() { wrong.Close() })
	if _, err := newStore(t, redis.Options{Client: wrong}).Get(ctx, "k"); !errors.Is(err, redis.ErrPermissionDenied) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("Get with a wrong password: got %v, want ErrPermissionDenied", err)
	}
}
