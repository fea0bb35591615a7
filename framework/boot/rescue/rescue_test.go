// SPDX-License-Identifier: Apache-2.0

package rescue

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]os.FileMode
		want  []string
	}{
		{"none", nil, nil},
		{"not executable is skipped", map[string]os.FileMode{"bin/sh": 0o644, "bin/busybox": 0o755}, []string{"/bin/busybox", "sh"}},
		{"sh first", map[string]os.FileMode{"bin/sh": 0o755, "bin/busybox": 0o755}, []string{"/bin/sh"}},
		{"bash last", map[string]os.FileMode{"usr/bin/bash": 0o755}, []string{"/usr/bin/bash"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, mode := range tt.files {
				full := filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, nil, mode); err != nil {
					t.Fatal(err)
				}
			}
			s := &Shell{Root: root}
			got, ok := s.Find()
			if ok != (tt.want != nil) {
				t.Fatalf("Find ok = %v, want %v", ok, tt.want != nil)
			}
			if ok {
				got[0] = strings.TrimPrefix(got[0], root)
				if strings.Join(got, " ") != strings.Join(tt.want, " ") {
					t.Errorf("Find = %q, want %q", got, tt.want)
				}
			}
			if s.Available() != ok {
				t.Error("Available disagrees with Find")
			}
		})
	}
}

func TestOpenRunsTheShell(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh on this machine")
	}
	var out bytes.Buffer
	s := &Shell{
		Stdin:  strings.NewReader("echo step=$OSR_STEP prompt=\"$PS1\"\nexit 3\n"),
		Stdout: &out,
		Stderr: &out,
		Env:    []string{"OSR_STEP=mount"},
	}
	if err := s.Open(context.Background(), "banner line\n"); err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := "banner line\nstep=mount prompt=osr# \n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

func TestOpenEndsWithTheContext(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh on this machine")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	s := &Shell{Stdin: r}
	if err := s.Open(ctx, ""); err == nil {
		t.Fatal("Open returned nil after the context ended")
	}
}

func TestOpenWithoutShell(t *testing.T) {
	s := &Shell{Root: t.TempDir()}
	err := s.Open(context.Background(), "")
	if !errors.Is(err, ErrNoShell) || !strings.Contains(err.Error(), "/bin/busybox") {
		t.Fatalf("Open = %v, want ErrNoShell naming the candidates", err)
	}
}
