// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"errors"
	"fmt"
	"strings"
)

// Failure is a boot failure as the init reports it: what failed, what was
// tried and what the operator can do about it.
type Failure struct {
	// What names the action that failed, e.g. "mount the root filesystem".
	What string
	// Tried lists what was attempted, one line each.
	Tried []string
	// Fix says what to do, e.g. "check root= on the kernel command line".
	Fix string
	// Err is the underlying error.
	Err error
}

// Fail builds a Failure.
func Fail(err error, what string, tried []string, fix string) *Failure {
	return &Failure{What: what, Tried: tried, Fix: fix, Err: err}
}

// Error returns "what: err".
func (f *Failure) Error() string {
	if f.Err == nil {
		return f.What
	}
	return f.What + ": " + f.Err.Error()
}

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }

// Report formats the failure of a step for the console and the boot log.
// An error that is not a Failure is reported with the step's own
// description and a generic hint.
func Report(step Step, err error) string {
	var f *Failure
	if !errors.As(err, &f) {
		f = &Failure{What: step.Doc, Err: err}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "FAILED step %q", step.Name)
	if f.What != "" {
		fmt.Fprintf(&b, " (%s)", f.What)
	}
	b.WriteString("\n")
	if f.Err != nil {
		fmt.Fprintf(&b, "  error: %v\n", f.Err)
	}
	if len(f.Tried) > 0 {
		b.WriteString("  tried:\n")
		for _, t := range f.Tried {
			fmt.Fprintf(&b, "    - %s\n", t)
		}
	}
	fix := f.Fix
	if fix == "" {
		fix = fmt.Sprintf("read the boot log above; boot with osr.break=%s to get a shell before this step and try it by hand", step.Name)
	}
	fmt.Fprintf(&b, "  what to do: %s\n", fix)
	return b.String()
}
