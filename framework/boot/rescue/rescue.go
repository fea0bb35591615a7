// SPDX-License-Identifier: Apache-2.0

// Package rescue opens the shell the init offers at a break point or after a
// failed step: the first of /bin/sh, /usr/bin/sh, busybox sh or bash found in
// the image, on the console, with a short banner saying why it opened.
//
// Usage:
//
//	sh := &rescue.Shell{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
//	if sh.Available() {
//		err := sh.Open(ctx, "osr: break before step \"mount\"\n")
//	}
package rescue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Candidates are the shells looked for, in order, as argv prefixes.
var Candidates = [][]string{
	{"/bin/sh"},
	{"/usr/bin/sh"},
	{"/bin/busybox", "sh"},
	{"/usr/bin/busybox", "sh"},
	{"/sbin/busybox", "sh"},
	{"/bin/bash"},
	{"/usr/bin/bash"},
}

// Starter starts and waits for child processes; the init passes its reaper so
// the shell's exit status is not taken by the orphan reaper.
type Starter interface {
	Start(cmd *exec.Cmd) error
	Wait(cmd *exec.Cmd) error
}

// Shell is the rescue and break shell.
type Shell struct {
	// Root is where the shell is looked for ("" is /); for tests.
	Root string
	// Stdin, Stdout and Stderr are the console.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Env is added to a minimal environment (PATH, HOME, TERM, PS1).
	Env []string
	// Starter starts the shell; nil starts it directly.
	Starter Starter
}

// Find returns the argv of the first shell present in the image.
func (s *Shell) Find() ([]string, bool) {
	for _, c := range Candidates {
		p := filepath.Join(s.root(), c[0])
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		argv := append([]string{p}, c[1:]...)
		return argv, true
	}
	return nil, false
}

// Available reports whether the image has a shell.
func (s *Shell) Available() bool {
	_, ok := s.Find()
	return ok
}

// ErrNoShell is returned by Open when no shell is in the image.
var ErrNoShell = errors.New("no shell in the image")

// Open prints banner, runs the shell on the console and returns when it
// exits (whatever its exit status) or the context ends.
func (s *Shell) Open(ctx context.Context, banner string) error {
	argv, ok := s.Find()
	if !ok {
		return fmt.Errorf("open a shell: %w (looked for %s)", ErrNoShell, s.candidateList())
	}
	if s.Stdout != nil {
		io.WriteString(s.Stdout, banner)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.Stdin, s.Stdout, s.Stderr
	cmd.Dir = s.root()
	cmd.Env = append([]string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/",
		"TERM=" + envOr("TERM", "linux"),
		"PS1=osr# ",
	}, s.Env...)
	if f, ok := s.Stdin.(*os.File); ok && isTerminal(f) {
		// A session of its own with the console as controlling terminal, so
		// Ctrl-C and job control work in the shell.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	}
	start, wait := cmd.Start, cmd.Wait
	if s.Starter != nil {
		start = func() error { return s.Starter.Start(cmd) }
		wait = func() error { return s.Starter.Wait(cmd) }
	}
	if err := start(); err != nil {
		return fmt.Errorf("start shell %s: %w", argv[0], err)
	}
	err := wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		return nil // the exit status of an interactive shell means nothing here
	}
	if err != nil {
		return fmt.Errorf("shell %s: %w", argv[0], err)
	}
	return nil
}

func (s *Shell) root() string {
	if s.Root == "" {
		return "/"
	}
	return s.Root
}

func (s *Shell) candidateList() string {
	var out string
	for i, c := range Candidates {
		if i > 0 {
			out += ", "
		}
		out += c[0]
	}
	return out
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
