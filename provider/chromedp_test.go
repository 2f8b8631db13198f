// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

//go:build linux

package provider_test

// Headless Chromium for the consent page tests, driven through chromedp:
// start the browser, navigate, evaluate JavaScript, click with real mouse
// events and wait for the page the click loads.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is one headless Chromium with one page.
type chromium struct {
	ctx context.Context // the chromedp context of the page
}

// startChromium starts headless Chromium with a fresh profile and returns
// its page. It skips the test if Chromium is missing, except under CI,
// where it fails. When ctx ends, the browser is stopped, so every later
// action fails instead of hanging.
func startChromium(t *testing.T, ctx context.Context) *chromium {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium is not installed (apt-get install chromium); CI installs it")
		}
		t.Fatalf("chromium is required in CI: %v", err)
	}
	// No user-data-dir option: chromedp creates a fresh temporary profile
	// for this browser and removes it (after killing every process still
	// using it) when the browser stops. The network is closed: nothing
	// may call home.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	stop := context.AfterFunc(ctx, cancelBrowser)
	t.Cleanup(func() {
		stop()
		cancelBrowser()
		cancelAlloc()
	})
	// The first action starts the browser; it must run on the browser's
	// own context, which lives until the cleanup.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &chromium{ctx: bctx}
}

// run runs a on the page until it is done or ctx ends.
func run[T any](ctx context.Context, b *chromium, a chromedp.Action[T]) (T, error) {
	rctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	return chromedp.Run(rctx, a)
}

// eval evaluates a JavaScript expression and decodes its value into out
// (nil discards it).
func (b *chromium) eval(ctx context.Context, expr string, out any) error {
	raw, err := run(ctx, b, chromedp.Evaluate[[]byte](expr))
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// navigate loads u and waits for the load event.
func (b *chromium) navigate(ctx context.Context, u string) error {
	_, err := run(ctx, b, chromedp.Navigate(u))
	return err
}

// click presses and releases the left mouse button in the middle of the
// element matched by the CSS selector (scrolled into view first), then
// waits for the page the click loads.
func (b *chromium) click(ctx context.Context, selector string) error {
	rctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	_, err := chromedp.RunResponse(rctx, chromedp.Click(chromedp.CSS(selector)))
	return err
}

// browserTimeout bounds a whole browser test; it is a failure deadline, not
// a wait.
const browserTimeout = 60 * time.Second
