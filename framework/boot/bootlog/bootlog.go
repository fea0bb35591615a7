// SPDX-License-Identifier: Apache-2.0

// Package bootlog is the init's boot log: every line is kept in memory with
// its time since the log began, echoed to the console (debug lines only when
// debugging is on), and saved to a file — /run/osr/boot.log in the initrd,
// which the init moves into the new root with /run so the log survives
// switch_root.
//
// Usage:
//
//	log := bootlog.New(os.Stderr)
//	log.SetStep("network")
//	log.Infof("eth0: %s", addr)
//	_ = log.Save("/run/osr/boot.log")
package bootlog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// Level is the weight of a log line.
type Level int

// The levels, from least to most important.
const (
	Debug Level = iota
	Info
	Warn
	Error
)

// String returns the level's short name as it appears in the log.
func (l Level) String() string {
	switch l {
	case Debug:
		return "debug"
	case Info:
		return "info"
	case Warn:
		return "warn"
	default:
		return "error"
	}
}

// Entry is one line of the boot log.
type Entry struct {
	// Since is the time since the log began.
	Since time.Duration
	// Level is how important the line is.
	Level Level
	// Step is the boot step that was running ("" before the first).
	Step string
	// Msg is the text, without a trailing newline.
	Msg string
}

// String formats the entry as the log file and the console show it.
func (e Entry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%8.3f] ", e.Since.Seconds())
	if e.Level != Info {
		b.WriteString(e.Level.String())
		b.WriteString(": ")
	}
	if e.Step != "" {
		b.WriteString(e.Step)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Log is the boot log. It is safe for use by several goroutines.
type Log struct {
	mu      sync.Mutex
	start   time.Time
	now     func() time.Time
	console io.Writer
	debug   bool
	step    string
	entries []Entry
}

// New starts a boot log that echoes to console (nil: no echo).
func New(console io.Writer) *Log {
	return &Log{start: time.Now(), now: time.Now, console: console}
}

// SetDebug turns the echo of debug lines to the console on or off; they are
// always kept in the log.
func (l *Log) SetDebug(on bool) {
	l.mu.Lock()
	l.debug = on
	l.mu.Unlock()
}

// SetConsole changes where lines are echoed (nil: nowhere), e.g. once
// /dev/console is open.
func (l *Log) SetConsole(w io.Writer) {
	l.mu.Lock()
	l.console = w
	l.mu.Unlock()
}

// SetStep names the step that following lines belong to.
func (l *Log) SetStep(step string) {
	l.mu.Lock()
	l.step = step
	l.mu.Unlock()
}

// Add appends a line (several lines when msg holds newlines) at a level.
func (l *Log) Add(level Level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	since := l.now().Sub(l.start)
	for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		e := Entry{Since: since, Level: level, Step: l.step, Msg: line}
		l.entries = append(l.entries, e)
		if l.console != nil && (level > Debug || l.debug) {
			fmt.Fprintln(l.console, "osr: "+e.String())
		}
	}
}

// Debugf logs a debug line: kept, shown on the console only when debugging.
func (l *Log) Debugf(format string, args ...any) { l.Add(Debug, fmt.Sprintf(format, args...)) }

// Infof logs an informational line.
func (l *Log) Infof(format string, args ...any) { l.Add(Info, fmt.Sprintf(format, args...)) }

// Printf logs an informational line; it lets the log stand in wherever a
// Printf-style logger is asked for.
func (l *Log) Printf(format string, args ...any) { l.Add(Info, fmt.Sprintf(format, args...)) }

// Warnf logs a warning.
func (l *Log) Warnf(format string, args ...any) { l.Add(Warn, fmt.Sprintf(format, args...)) }

// Errorf logs an error line.
func (l *Log) Errorf(format string, args ...any) { l.Add(Error, fmt.Sprintf(format, args...)) }

// Writer returns an io.Writer whose writes become informational lines of the
// log: loggers that want a writer (hclog for the drivers) log into the boot log
// through it.
func (l *Log) Writer() io.Writer { return lineWriter{l} }

type lineWriter struct{ log *Log }

func (w lineWriter) Write(p []byte) (int, error) {
	w.log.Add(Info, string(p))
	return len(p), nil
}

// Entries returns a copy of every line so far.
func (l *Log) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Entry(nil), l.entries...)
}

// WriteTo writes the whole log, one entry a line.
func (l *Log) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	for _, e := range l.Entries() {
		buf.WriteString(e.String())
		buf.WriteByte('\n')
	}
	return buf.WriteTo(w)
}

// Save writes the whole log to path, creating its directory, atomically
// (internal/atomicfile), so a reader never sees half a log.
func (l *Log) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save boot log: %w", err)
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		return fmt.Errorf("save boot log to %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("save boot log: %w", err)
	}
	return nil
}
