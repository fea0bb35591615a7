// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/open-sharedroot/osr/framework/compat"
)

// runCompat runs osr under one of the original tools' names (a link made by
// make install-compat): framework/compat turns the original command line
// into osr's and osr's errors into the original's exit codes.
//
// argv is the process's command line for the exec of osr-driverhost (mkinitrd
// builds); nil in in-process runs.
func runCompat(ctx context.Context, argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer, argv []string) int {
	name := filepath.Base(argv0)
	inv, err := compat.Translate(argv0, args, compat.SystemDefaults())
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 2
	}
	for _, w := range inv.Warnings {
		fmt.Fprintf(stderr, "%s: warning: %s\n", name, w)
	}
	if inv.Exec != nil {
		return execProgram(inv.Exec, stderr)
	}
	if err := inv.Precheck(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, queryEntry: osrQueryEntry, argv: argv}
	if name == compat.QueryCommand {
		// com-queryclusterconf's habits: nothing after an answer unless -S
		// says so, the cluster file from $CLUSTERCONF when no option names one.
		e.queryEntry = comQueryEntry
	}
	return e.run(inv.Args, inv.ExitCode)
}

// execProgram replaces osr with argv (the distribution's mkinitrd).
func execProgram(argv []string, stderr io.Writer) int {
	path, err := exec.LookPath(argv[0])
	if err == nil {
		err = syscall.Exec(path, argv, os.Environ())
	}
	fmt.Fprintf(stderr, "%s: %v\n", argv[0], err)
	return 127
}
