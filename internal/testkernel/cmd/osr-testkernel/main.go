// SPDX-License-Identifier: Apache-2.0

// Command osr-testkernel fetches the Debian test kernel into the test cache
// (see package testkernel) and prints where it is, for scripts and benchmarks:
//
//	$ go run ./internal/testkernel/cmd/osr-testkernel
//	OSR_KERNEL_PACKAGE=linux-image-6.1.0-48-amd64
//	OSR_KERNEL_VERSION=6.1.0-48-amd64
//	OSR_KERNEL_ROOT=/var/cache/osr-test/kernel/linux-image-6.1.0-48-amd64
//	…
//	$ go run ./internal/testkernel/cmd/osr-testkernel -print root
//	/var/cache/osr-test/kernel/linux-image-6.1.0-48-amd64
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/open-sharedroot/osr/internal/testkernel"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("osr-testkernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cache := fs.String("cache", testkernel.CacheDir(), "cache directory (env "+testkernel.EnvCache+")")
	pkg := fs.String("package", os.Getenv(testkernel.EnvPackage), "kernel package (default: what "+testkernel.MetaPackage+" depends on)")
	field := fs.String("print", "", "print only one field: package, version, root, modules, vmlinuz, config, systemmap")
	verbose := fs.Bool("v", false, "show the output of apt-get, dpkg and depmod")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := testkernel.Options{CacheDir: *cache, Package: *pkg}
	if *verbose {
		opts.Log = stderr
	}
	k, err := testkernel.Fetch(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "osr-testkernel: %v\n", err)
		return 1
	}
	fields := []struct{ name, env, value string }{
		{"package", "OSR_KERNEL_PACKAGE", k.Package},
		{"version", "OSR_KERNEL_VERSION", k.Version},
		{"root", "OSR_KERNEL_ROOT", k.Root},
		{"modules", "OSR_KERNEL_MODULES", k.ModulesDir},
		{"vmlinuz", "OSR_KERNEL_VMLINUZ", k.Vmlinuz},
		{"config", "OSR_KERNEL_CONFIG", k.Config},
		{"systemmap", "OSR_KERNEL_SYSTEM_MAP", k.SystemMap},
	}
	for _, f := range fields {
		switch *field {
		case "":
			fmt.Fprintf(stdout, "%s=%s\n", f.env, f.value)
		case f.name:
			fmt.Fprintln(stdout, f.value)
			return 0
		}
	}
	if *field != "" {
		fmt.Fprintf(stderr, "osr-testkernel: unknown field %q for -print\n", *field)
		return 2
	}
	return 0
}
