// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpauth/mcpauth"
)

// DefaultWatchInterval is how often a [Watcher] looks at its file when
// [WatchOptions.Interval] is zero.
const DefaultWatchInterval = 2 * time.Second

// WatchOptions configures a [Watcher]. The zero value (or nil) polls every
// [DefaultWatchInterval] and logs nothing.
type WatchOptions struct {
	// Interval is how often the file is polled. Default 2 s. A negative
	// interval disables polling: the policy changes only on Reload.
	Interval time.Duration
	// Logger receives reload records: Info when a new policy is in force,
	// Error (with the file, line and problem) when a changed file is
	// invalid and the previous policy is kept. Nil discards them.
	Logger *slog.Logger
	// OnReload, when set, is called after every reload attempt (a changed
	// file seen by the poller, or a Reload call) with the policy in force
	// afterwards and the load error, if any. It runs on the poller's
	// goroutine or Reload's caller and must not block for long.
	OnReload func(p *Policy, err error)
}

// Watcher is an [mcpauth.Authorizer] deciding with the policy in a file
// and picking up changes to it without a restart.
//
// It polls the file (standard library only: no inotify): every Interval it
// compares the file's modification time and size with what it saw last,
// and when either changed, it reads the file and compares its SHA-256 with
// the policy in force. A changed, valid file replaces the policy
// atomically: a check runs entirely against the old policy or entirely
// against the new one. A changed, invalid file (or one that cannot be
// read) is logged and the previous policy stays in force. An edit that
// keeps both the size and the modification time (possible on file systems
// with coarse timestamps) is only seen by Reload. Replacing the file by
// renaming a new one over it, as editors and configuration tools do, is
// seen like any other change.
//
// The middleware's decision cache may keep answering from decisions of the
// previous policy for up to its allow and deny TTLs; purge the cache from
// WatchOptions.OnReload when a change must take effect at once.
//
// A Watcher is safe for concurrent use. Close stops the poller.
type Watcher struct {
	path     string
	log      *slog.Logger
	onReload func(*Policy, error)
	cur      atomic.Pointer[Policy]

	mu      sync.Mutex // guards the fields below and serializes reloads
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
	lastErr string // the last logged polling error, to log each once

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var _ mcpauth.Authorizer = (*Watcher)(nil)

// NewWatcher loads the policy file at path and, unless
// opts.Interval is negative, starts polling it for changes. An invalid file
// is an error here: a Watcher always has a valid policy.
func NewWatcher(path string, opts *WatchOptions) (*Watcher, error) {
	var o WatchOptions
	if opts != nil {
		o = *opts
	}
	if o.Interval == 0 {
		o.Interval = DefaultWatchInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{path: path, log: o.Logger, onReload: o.OnReload, stop: make(chan struct{}), done: make(chan struct{})}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	w.cur.Store(p)
	w.modTime, w.size, w.sum = fi.ModTime(), fi.Size(), sha256.Sum256(data)
	if o.Interval < 0 {
		close(w.done)
		return w, nil
	}
	go w.poll(o.Interval)
	return w, nil
}

// Policy returns the policy in force.
func (w *Watcher) Policy() *Policy { return w.cur.Load() }

// Allowed decides c with the policy in force.
func (w *Watcher) Allowed(ctx context.Context, c mcpauth.Check) (bool, error) {
	return w.cur.Load().Allowed(ctx, c)
}

// AllowedBulk decides cs with the policy in force (one policy for all).
func (w *Watcher) AllowedBulk(ctx context.Context, cs []mcpauth.Check) ([]bool, error) {
	return w.cur.Load().AllowedBulk(ctx, cs)
}

// Explain explains c with the policy in force.
func (w *Watcher) Explain(c mcpauth.Check) Explanation {
	return w.cur.Load().Explain(c)
}

// Reload reads and compiles the file now, whether or not it looks changed.
// A valid file replaces the policy in force; an invalid one leaves it in
// place, is logged, and its error is returned.
func (w *Watcher) Reload() error {
	w.mu.Lock()
	p, err := w.reloadLocked(true)
	w.mu.Unlock()
	if w.onReload != nil {
		w.onReload(p, err)
	}
	return err
}

// Close stops polling and waits for the poller to return. It is safe to
// call more than once; the Watcher keeps deciding with its last policy.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() { close(w.stop) })
	<-w.done
	return nil
}

func (w *Watcher) poll(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		w.mu.Lock()
		fi, err := os.Stat(w.path)
		if err != nil {
			err = fmt.Errorf("policy: %w", err)
			fresh := w.logOnce(err)
			p := w.cur.Load()
			w.mu.Unlock()
			if fresh && w.onReload != nil {
				w.onReload(p, err)
			}
			continue
		}
		if fi.ModTime().Equal(w.modTime) && fi.Size() == w.size {
			w.mu.Unlock()
			continue
		}
		p, err := w.reloadLocked(false)
		w.mu.Unlock()
		if w.onReload != nil && (p != nil || err != nil) {
			w.onReload(p, err)
		}
	}
}

// logOnce logs a polling error unless it is the one logged last, and
// reports whether it logged.
func (w *Watcher) logOnce(err error) bool {
	msg := err.Error()
	if msg == w.lastErr {
		return false
	}
	w.lastErr = msg
	w.log.Error("policy: cannot read the policy file, keeping the previous policy", "file", w.path, "error", err)
	return true
}

// reloadLocked reads the file and swaps in its policy when it is valid and
// different from the one in force. It returns the policy in force
// afterwards and the error, or (nil, nil) when the poller found the content
// unchanged. w.mu must be held.
func (w *Watcher) reloadLocked(forced bool) (*Policy, error) {
	fi, err := os.Stat(w.path)
	if err == nil {
		var data []byte
		data, err = os.ReadFile(w.path)
		if err == nil {
			w.modTime, w.size, w.lastErr = fi.ModTime(), fi.Size(), ""
			sum := sha256.Sum256(data)
			if sum == w.sum && !forced {
				return nil, nil
			}
			var p *Policy
			p, err = Parse(w.path, data)
			if err == nil {
				w.sum = sum
				w.cur.Store(p)
				s := p.Stats()
				w.log.Info("policy: reloaded", "file", w.path, "roles", s.Roles, "users", s.Users, "set_rules", s.SetRules)
				return p, nil
			}
			w.lastErr = err.Error()
			w.log.Error("policy: invalid policy file, keeping the previous policy", "file", w.path, "error", err)
			return w.cur.Load(), err
		}
	}
	err = fmt.Errorf("policy: %w", err)
	w.logOnce(err)
	return w.cur.Load(), err
}
