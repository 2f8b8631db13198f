// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"log/slog"
	"time"
)

// pdpLog writes the records of decision point requests for [Permit] and
// [AuthZEN]: Debug per request, Warn per failure. Callers pass messages
// that hold no credential.
type pdpLog struct {
	logger *slog.Logger
	name   string // "permit pdp", "authzen pdp"
	url    string // the decision point, with any password redacted
}

func (l pdpLog) request(ctx context.Context, path string, checks int, start time.Time) {
	if l.logger.Enabled(ctx, slog.LevelDebug) {
		l.logger.LogAttrs(ctx, slog.LevelDebug, l.name+" request",
			slog.String("pdp", l.url), slog.String("path", path), slog.Int("checks", checks),
			slog.Duration("latency", time.Since(start)))
	}
}

func (l pdpLog) failure(ctx context.Context, path string, checks int, start time.Time, msg string) {
	if l.logger.Enabled(ctx, slog.LevelWarn) {
		l.logger.LogAttrs(ctx, slog.LevelWarn, l.name+" request failed",
			slog.String("pdp", l.url), slog.String("path", path), slog.Int("checks", checks),
			slog.Duration("latency", time.Since(start)), slog.String("error", msg))
	}
}
