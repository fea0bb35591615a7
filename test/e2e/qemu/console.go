// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Line is one line of console output and when it arrived, measured from
// the start of the boot.
type Line struct {
	At   time.Duration
	Text string
}

// Console collects a guest's serial output: it copies every byte to a log
// writer, splits the stream into lines (dropping carriage returns) and
// lets callers wait for text to appear. The last, unterminated line (a
// shell prompt, say) takes part in searches too.
type Console struct {
	mu      sync.Mutex
	start   time.Time
	log     io.Writer
	lines   []Line
	partial []byte
	partAt  time.Duration
	closed  bool
	changed chan struct{}
}

// NewConsole returns a console whose times count from start and which
// copies its input to log (nil: nowhere).
func NewConsole(start time.Time, log io.Writer) *Console {
	if log == nil {
		log = io.Discard
	}
	return &Console{start: start, log: log, changed: make(chan struct{})}
}

// Write implements io.Writer for qemu's stdout.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Since(c.start)
	if _, err := c.log.Write(p); err != nil {
		return 0, fmt.Errorf("write console log: %w", err)
	}
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			c.partial = append(c.partial, rest...)
			c.partAt = now
			break
		}
		c.partial = append(c.partial, rest[:i]...)
		c.lines = append(c.lines, Line{At: now, Text: cleanLine(c.partial)})
		c.partial = c.partial[:0]
		rest = rest[i+1:]
	}
	c.notify()
	return len(p), nil
}

// Close marks the end of the output: waiters that have not found their
// text stop waiting.
func (c *Console) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.notify()
}

// notify wakes every waiter; c.mu is held.
func (c *Console) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func cleanLine(b []byte) string {
	return strings.ReplaceAll(string(b), "\r", "")
}

// snapshot returns the lines so far, the partial line last (if any).
func (c *Console) snapshotLocked() []Line {
	out := append([]Line(nil), c.lines...)
	if len(c.partial) > 0 {
		out = append(out, Line{At: c.partAt, Text: cleanLine(c.partial)})
	}
	return out
}

// Lines returns every line seen so far, including an unterminated last one.
func (c *Console) Lines() []Line {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshotLocked()
}

// Find returns the first line containing text.
func (c *Console) Find(text string) (Line, bool) {
	for _, l := range c.Lines() {
		if strings.Contains(l.Text, text) {
			return l, true
		}
	}
	return Line{}, false
}

// Tail returns the last n lines joined by newlines.
func (c *Console) Tail(n int) string {
	lines := c.Lines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	texts := make([]string, len(lines))
	for i, l := range lines {
		texts[i] = l.Text
	}
	return strings.Join(texts, "\n")
}

// ErrConsoleClosed is returned by WaitFor when the output ended without
// the text.
var ErrConsoleClosed = errors.New("console output ended")

// WaitFor blocks until a line containing text has arrived and returns it.
// It fails when ctx ends or the output ends first.
func (c *Console) WaitFor(ctx context.Context, text string) (Line, error) {
	seen := 0
	for {
		c.mu.Lock()
		for ; seen < len(c.lines); seen++ {
			if strings.Contains(c.lines[seen].Text, text) {
				l := c.lines[seen]
				c.mu.Unlock()
				return l, nil
			}
		}
		if len(c.partial) > 0 && strings.Contains(cleanLine(c.partial), text) {
			l := Line{At: c.partAt, Text: cleanLine(c.partial)}
			c.mu.Unlock()
			return l, nil
		}
		closed, changed := c.closed, c.changed
		c.mu.Unlock()
		if closed {
			return Line{}, fmt.Errorf("waiting for %q: %w", text, ErrConsoleClosed)
		}
		select {
		case <-ctx.Done():
			return Line{}, fmt.Errorf("waiting for %q: %w", text, ctx.Err())
		case <-changed:
		}
	}
}
