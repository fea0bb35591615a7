// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"runtime"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print osr's version and the driver protocol it speaks",
		usage:   "osr version\n\nPrints osr's version, the driver protocol version and the Go runtime.",
		run:     runVersion,
	})
}

func runVersion(e *env, args []string) error {
	fs := e.flagSet("version")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "osr %s (driver protocol %d, %s %s/%s)\n", version, driverProtocolVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
