// SPDX-License-Identifier: Apache-2.0

// Package steps runs the init's boot as a sequence of named steps. Any step
// can be a break point: a break parameter naming it opens a shell before the
// step runs (the originals' com-step=NAME), and a bare break parameter opens
// one before every step (their step mode). Each step's time goes to the boot
// log. A failing step is reported with what failed, what was tried and what
// to do; then a rescue shell opens, and when it exits the step is tried
// again. Without a shell the machine says so and waits.
//
// Usage:
//
//	m := &steps.Machine{Log: log, Shell: shell}
//	m.Steps = []steps.Step{{Name: "network", Doc: "bring up the network", Run: upNet}}
//	err := m.Run(ctx)
package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
)

// Step is one named stage of the boot.
type Step struct {
	// Name is the break point name, e.g. "network".
	Name string
	// Doc says in a few words what the step does.
	Doc string
	// Run does the work.
	Run func(ctx context.Context) error
}

// Shell opens an interactive shell and returns when it exits.
type Shell interface {
	// Available reports whether the image has a shell.
	Available() bool
	// Open runs the shell with a banner explaining why it opened.
	Open(ctx context.Context, banner string) error
}

// ErrGaveUp is returned by Run when a step failed, no shell could be opened
// and the context ended while the machine waited.
var ErrGaveUp = errors.New("boot failed and no rescue shell is available")

// Machine runs steps in order.
type Machine struct {
	// Steps are run in order.
	Steps []Step
	// Breaks names the steps before which a shell opens. Steps may change it
	// (the command line step sets it) before later steps run.
	Breaks []string
	// BreakAll opens a shell before every step.
	BreakAll bool
	// Log receives progress, timings and failure reports.
	Log *bootlog.Log
	// Shell is the rescue and break shell; nil means none.
	Shell Shell
	// AfterStep, when set, runs after every step and every failure (the init
	// saves the boot log there).
	AfterStep func()
}

// Names lists the step names in order.
func (m *Machine) Names() []string {
	out := make([]string, len(m.Steps))
	for i, s := range m.Steps {
		out[i] = s.Name
	}
	return out
}

// UnknownBreaks returns the break names that name no step.
func (m *Machine) UnknownBreaks() []string {
	var out []string
	for _, b := range m.Breaks {
		if !slices.Contains(m.Names(), b) {
			out = append(out, b)
		}
	}
	return out
}

// Run runs every step. It returns nil when all have succeeded, or an error
// when the context ends first.
func (m *Machine) Run(ctx context.Context) error {
	total := time.Now()
	for i, s := range m.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.Log.SetStep(s.Name)
		if m.BreakAll || slices.Contains(m.Breaks, s.Name) {
			m.breakBefore(ctx, i)
		}
		if err := m.runStep(ctx, s); err != nil {
			return err
		}
	}
	m.Log.SetStep("")
	m.Log.Infof("all %d steps done in %s", len(m.Steps), round(time.Since(total)))
	return nil
}

// runStep runs one step until it succeeds, with a rescue shell between tries.
func (m *Machine) runStep(ctx context.Context, s Step) error {
	for try := 1; ; try++ {
		start := time.Now()
		m.Log.Debugf("start: %s", s.Doc)
		err := s.Run(ctx)
		took := round(time.Since(start))
		if err == nil {
			m.Log.Infof("done in %s", took)
			m.after()
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("step %s: %w", s.Name, err)
		}
		m.Log.Errorf("%s", Report(s, err))
		m.Log.Infof("failed after %s (try %d)", took, try)
		m.after()
		if m.Shell == nil || !m.Shell.Available() {
			m.Log.Errorf("there is no shell in this image to repair the boot from (looked for /bin/sh and busybox); " +
				"fix the cause above and reboot, or rebuild the image with a shell. Waiting.")
			m.after()
			<-ctx.Done()
			return fmt.Errorf("step %s: %w: %w", s.Name, ErrGaveUp, err)
		}
		banner := fmt.Sprintf("osr: step %q failed: %v\nosr: this is a rescue shell; repair what you can, then type 'exit' to try %q again.\n", s.Name, err, s.Name)
		if serr := m.Shell.Open(ctx, banner); serr != nil {
			m.Log.Warnf("rescue shell: %v", serr)
			if ctx.Err() != nil {
				return fmt.Errorf("step %s: %w", s.Name, err)
			}
		}
		m.Log.Infof("retrying after the rescue shell")
	}
}

// breakBefore opens the break shell before step i.
func (m *Machine) breakBefore(ctx context.Context, i int) {
	s := m.Steps[i]
	if m.Shell == nil || !m.Shell.Available() {
		m.Log.Warnf("break before %q asked for, but the image has no shell; going on", s.Name)
		return
	}
	var next strings.Builder
	for _, t := range m.Steps[i:] {
		fmt.Fprintf(&next, "  %-12s %s\n", t.Name, t.Doc)
	}
	m.Log.Infof("break before step %q", s.Name)
	banner := fmt.Sprintf("osr: break before step %q. Steps still to run:\n%sosr: type 'exit' to go on with the boot.\n", s.Name, next.String())
	if err := m.Shell.Open(ctx, banner); err != nil {
		m.Log.Warnf("break shell: %v", err)
	}
	m.Log.Infof("leaving the break shell")
}

func (m *Machine) after() {
	if m.AfterStep != nil {
		m.AfterStep()
	}
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
