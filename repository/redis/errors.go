// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package redis

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/mcpauth/mcpauth/internal/storeerr"
	goredis "github.com/redis/go-redis/v9"
)

// ErrUnavailable is wrapped by errors for calls that did not reach a
// working server: the connection was refused, broke or timed out, the pool
// had no free connection in time, or the server answered that it cannot
// serve yet (LOADING, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, READONLY during a
// failover). Such a call may or may not have taken effect.
var ErrUnavailable = errors.New("mcpauth/redis: server unavailable")

// ErrPermissionDenied is wrapped by errors for calls the server refused
// for lack of authentication or of an ACL permission (NOAUTH, WRONGPASS,
// NOPERM).
var ErrPermissionDenied = errors.New("mcpauth/redis: permission denied")

// ErrClosed is returned by calls on a Store after [Store.Close], and by
// calls through a go-redis client that has been closed.
var ErrClosed = errors.New("mcpauth/redis: store closed")

// prefix starts the message of every error the store returns.
const prefix = "mcpauth/redis: "

// opError returns the error of a failed call op that has no cause to
// classify. Errors never name the key, the value or the server's error
// text (Redis 7.2 and later quote key names in NOPERM errors); see
// [storeerr.Op].
func opError(op string, kind error, msg string) error {
	return &storeerr.Op{Prefix: prefix, Name: op, Kind: kind, Msg: msg}
}

// classify turns an error from go-redis into a *storeerr.Op. The original
// error stays reachable through errors.As.
func classify(ctx context.Context, op string, err error) error {
	e := storeerr.New(ctx, prefix, op, err)
	var rerr goredis.Error
	var nerr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil:
		e.Msg = storeerr.ContextMessage(errors.Join(err, ctx.Err()))
	case errors.Is(err, goredis.ErrClosed), errors.Is(err, ErrClosed):
		e.Kind, e.Msg = ErrClosed, "client closed"
	case errors.As(err, &rerr):
		e.Kind, e.Msg = classifyReply(rerr.Error())
	case errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrPoolExhausted):
		e.Kind, e.Msg = ErrUnavailable, "no free connection in the pool"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &nerr):
		// Network errors name addresses and the failing system call, never
		// keys or credentials.
		e.Kind, e.Msg = ErrUnavailable, err.Error()
	default:
		e.Msg = "unexpected error"
	}
	return e
}

// classifyReply maps an error reply of the server to a sentinel and a
// message made of the reply's error code only.
func classifyReply(reply string) (error, string) {
	code, _, _ := strings.Cut(reply, " ")
	switch code {
	case "NOAUTH", "WRONGPASS", "NOPERM":
		return ErrPermissionDenied, "permission denied (" + code + ")"
	case "LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "BUSY":
		return ErrUnavailable, "server cannot serve now (" + code + ")"
	case "ERR":
		if strings.HasPrefix(reply, "ERR unknown command") {
			return nil, "the server lacks a command this store needs (GETDEL needs Redis 6.2 or later)"
		}
	}
	if code == "" || len(code) > 32 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		code = "ERR"
	}
	return nil, "server error (" + code + ")"
}
