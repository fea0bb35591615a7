// SPDX-License-Identifier: Apache-2.0

package drivertest

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// Log is a logger for a driver under test, in place of the one plugin.Serve hands
// to the driver's factory. It writes every line to the test's log and keeps the
// lines for the test to check.
type Log struct {
	hclog.Logger
	mu    sync.Mutex
	lines []string
}

// NewLog returns a Log that logs at every level.
func NewLog(t testing.TB) *Log {
	l := &Log{}
	w := &logWriter{t: t, log: l}
	l.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: w, DisableTime: true})
	return l
}

// Lines returns the lines logged so far, like "[WARN]  mount failed: error=…".
func (l *Log) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Count returns how many lines contain s.
func (l *Log) Count(s string) int {
	n := 0
	for _, line := range l.Lines() {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// String returns the lines logged so far, one a line.
func (l *Log) String() string { return strings.Join(l.Lines(), "\n") }

type logWriter struct {
	t   testing.TB
	log *Log
}

func (w *logWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		w.t.Log(string(line))
		w.log.mu.Lock()
		w.log.lines = append(w.log.lines, string(line))
		w.log.mu.Unlock()
	}
	return len(p), nil
}
