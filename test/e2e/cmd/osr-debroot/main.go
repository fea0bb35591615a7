// SPDX-License-Identifier: Apache-2.0

// Command osr-debroot builds the Debian 12 root the real-OS boot tests use (with
// mmdebstrap, as root) into the test cache, unless it is there already, and prints
// the path of its tar. Run it ahead of the tests to have the ~70 s build done:
//
//	go run ./test/e2e/cmd/osr-debroot
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/open-sharedroot/osr/internal/testos"
)

func main() {
	verbose := flag.Bool("v", false, "show mmdebstrap's output")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var log io.Writer
	if *verbose {
		log = os.Stderr
	}
	r, err := testos.Fetch(ctx, testos.Options{Log: log})
	if err != nil {
		fmt.Fprintf(os.Stderr, "osr-debroot: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(r.Tar)
}
