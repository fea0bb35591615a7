// SPDX-License-Identifier: Apache-2.0

package bootlog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock advances by one second each time it is read.
func fakeClock() func() time.Time {
	t := time.Unix(1000, 0)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func TestLog(t *testing.T) {
	tests := []struct {
		name        string
		debug       bool
		write       func(l *Log)
		wantConsole string
		wantFile    string
	}{
		{
			name: "debug kept but not shown",
			write: func(l *Log) {
				l.Infof("start %d", 1)
				l.SetStep("network")
				l.Debugf("probe eth0")
				l.Warnf("no carrier on eth1")
			},
			wantConsole: "osr: [   1.000] start 1\nosr: [   3.000] warn: network: no carrier on eth1\n",
			wantFile:    "[   1.000] start 1\n[   2.000] debug: network: probe eth0\n[   3.000] warn: network: no carrier on eth1\n",
		},
		{
			name:  "debug shown when on; multi-line split",
			debug: true,
			write: func(l *Log) {
				l.SetStep("mount")
				l.Debugf("a")
				l.Errorf("failed:\n  tried x\n")
			},
			wantConsole: "osr: [   1.000] debug: mount: a\nosr: [   2.000] error: mount: failed:\nosr: [   2.000] error: mount:   tried x\n",
			wantFile:    "[   1.000] debug: mount: a\n[   2.000] error: mount: failed:\n[   2.000] error: mount:   tried x\n",
		},
		{
			name: "a writer's lines are info lines",
			write: func(l *Log) {
				l.SetStep("mount")
				fmt.Fprintf(l.Writer(), "driver.nfs: mount: tries=3\n")
				fmt.Fprintf(l.Writer(), "one\ntwo\n")
			},
			wantConsole: "osr: [   1.000] mount: driver.nfs: mount: tries=3\nosr: [   2.000] mount: one\nosr: [   2.000] mount: two\n",
			wantFile:    "[   1.000] mount: driver.nfs: mount: tries=3\n[   2.000] mount: one\n[   2.000] mount: two\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var console bytes.Buffer
			l := New(&console)
			clock := fakeClock()
			l.start = clock()
			l.now = clock
			l.SetDebug(tt.debug)
			tt.write(l)
			if diff := cmp.Diff(tt.wantConsole, console.String()); diff != "" {
				t.Errorf("console (-want +got):\n%s", diff)
			}
			path := filepath.Join(t.TempDir(), "run", "osr", "boot.log")
			if err := l.Save(path); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantFile, string(got)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSaveFailsWithContext(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l := New(nil)
	l.Infof("x")
	if err := l.Save(filepath.Join(blocker, "boot.log")); err == nil {
		t.Fatal("Save under a regular file succeeded")
	}
}
