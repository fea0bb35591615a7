// SPDX-License-Identifier: Apache-2.0

// Package clilog is the logger of osr's command line: plain lines for people
// on a terminal ("osr: warning: no cluster configuration"), without the
// timestamps and level columns of hclog's default format, but behind hclog's
// interface so the driver host and go-plugin log through it too.
package clilog

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
)

// Logger writes one plain line a message: NAME: LEVEL: MESSAGE: key=value…,
// where LEVEL is left out for info. It is safe for concurrent use.
type Logger struct {
	out   *lockedWriter
	level *atomic.Int32
	name  string
	args  []any
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns a logger writing to w at level (trace, debug, info, warn,
// error or off; anything else is warn).
func New(w io.Writer, level string) *Logger {
	l := &Logger{out: &lockedWriter{w: w}, level: new(atomic.Int32), name: "osr"}
	lv := hclog.LevelFromString(level)
	if lv == hclog.NoLevel {
		lv = hclog.Warn
	}
	l.level.Store(int32(lv))
	return l
}

// Log writes msg when level is enabled.
func (l *Logger) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	if level < l.GetLevel() || l.GetLevel() == hclog.Off {
		return
	}
	var b strings.Builder
	b.WriteString(l.name)
	b.WriteString(": ")
	switch level {
	case hclog.Trace:
		b.WriteString("trace: ")
	case hclog.Debug:
		b.WriteString("debug: ")
	case hclog.Warn:
		b.WriteString("warning: ")
	case hclog.Error:
		b.WriteString("error: ")
	}
	b.WriteString(strings.TrimRight(msg, "\n"))
	if all := append(append([]any(nil), l.args...), args...); len(all) > 0 {
		b.WriteByte(':')
		writeArgs(&b, all)
	}
	b.WriteByte('\n')
	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	io.WriteString(l.out.w, b.String())
}

// writeArgs appends key=value pairs; values with spaces are quoted.
func writeArgs(b *strings.Builder, args []any) {
	if len(args)%2 == 1 {
		args = append(args, "(missing)")
	}
	for i := 0; i < len(args); i += 2 {
		v := fmt.Sprint(args[i+1])
		if strings.ContainsAny(v, " \t\n\"") || v == "" {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(b, " %v=%s", args[i], v)
	}
}

// Trace logs at trace level.
func (l *Logger) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }

// Debug logs at debug level.
func (l *Logger) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }

// Info logs at info level.
func (l *Logger) Info(msg string, args ...any) { l.Log(hclog.Info, msg, args...) }

// Warn logs at warn level.
func (l *Logger) Warn(msg string, args ...any) { l.Log(hclog.Warn, msg, args...) }

// Error logs at error level.
func (l *Logger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l *Logger) enabled(level hclog.Level) bool {
	cur := l.GetLevel()
	return cur != hclog.Off && level >= cur
}

// IsTrace reports whether trace messages are written.
func (l *Logger) IsTrace() bool { return l.enabled(hclog.Trace) }

// IsDebug reports whether debug messages are written.
func (l *Logger) IsDebug() bool { return l.enabled(hclog.Debug) }

// IsInfo reports whether info messages are written.
func (l *Logger) IsInfo() bool { return l.enabled(hclog.Info) }

// IsWarn reports whether warnings are written.
func (l *Logger) IsWarn() bool { return l.enabled(hclog.Warn) }

// IsError reports whether errors are written.
func (l *Logger) IsError() bool { return l.enabled(hclog.Error) }

// ImpliedArgs are the key=value pairs every message of this logger carries.
func (l *Logger) ImpliedArgs() []any { return l.args }

// With returns a logger whose messages carry args too.
func (l *Logger) With(args ...any) hclog.Logger {
	c := *l
	c.args = append(append([]any(nil), l.args...), args...)
	return &c
}

// Name is the logger's name, the prefix of its lines.
func (l *Logger) Name() string { return l.name }

// Named returns a logger named NAME.SUB.
func (l *Logger) Named(name string) hclog.Logger {
	c := *l
	c.name = l.name + "." + name
	return &c
}

// ResetNamed returns a logger named name.
func (l *Logger) ResetNamed(name string) hclog.Logger {
	c := *l
	c.name = name
	return &c
}

// SetLevel changes the level of this logger and of those made from it.
func (l *Logger) SetLevel(level hclog.Level) { l.level.Store(int32(level)) }

// GetLevel is the current level.
func (l *Logger) GetLevel() hclog.Level { return hclog.Level(l.level.Load()) }

// StandardLogger returns a log.Logger whose lines are messages of l.
func (l *Logger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

// StandardWriter returns a writer whose lines are messages of l, at info
// level unless opts forces another.
func (l *Logger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	level := hclog.Info
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		level = opts.ForceLevel
	}
	return writerFunc(func(p []byte) (int, error) {
		for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
			l.Log(level, string(line))
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ hclog.Logger = (*Logger)(nil)
