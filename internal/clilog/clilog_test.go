// SPDX-License-Identifier: Apache-2.0

package clilog

import (
	"bytes"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestLines(t *testing.T) {
	tests := []struct {
		name  string
		level string
		log   func(l hclog.Logger)
		want  string
	}{
		{"warning shown at the default level", "", func(l hclog.Logger) { l.Warn("3 firmware files missing") },
			"osr: warning: 3 firmware files missing\n"},
		{"info hidden at warn", "warn", func(l hclog.Logger) { l.Info("reading") }, ""},
		{"info has no level word", "info", func(l hclog.Logger) { l.Info("reading", "path", "/etc/a b") },
			"osr: reading: path=\"/etc/a b\"\n"},
		{"debug", "debug", func(l hclog.Logger) { l.Debug("x", "n", 1) }, "osr: debug: x: n=1\n"},
		{"error only", "error", func(l hclog.Logger) { l.Warn("w"); l.Error("e") }, "osr: error: e\n"},
		{"off", "off", func(l hclog.Logger) { l.Error("e") }, ""},
		{"named and with", "info", func(l hclog.Logger) { l.Named("driver").With("pid", 7).Info("up") },
			"osr.driver: up: pid=7\n"},
		{"standard writer", "info", func(l hclog.Logger) {
			l.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Warn}).Print("a\nb")
		}, "osr: warning: a\nosr: warning: b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(New(&buf, tt.level))
			if got := buf.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	l := New(&bytes.Buffer{}, "info")
	if !l.IsInfo() || l.IsDebug() || !l.IsWarn() {
		t.Errorf("info logger: IsInfo %v IsDebug %v IsWarn %v", l.IsInfo(), l.IsDebug(), l.IsWarn())
	}
	n := l.Named("x")
	l.SetLevel(hclog.Error)
	if n.IsWarn() {
		t.Error("SetLevel on the parent did not reach the named logger")
	}
}
