package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the osr command inside testscripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"osr": func() { os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs the CLI scripts in testdata/script. Each command group keeps its
// scripts in files named after it (cluster_*.txtar, cdsl_*.txtar, …).
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			env.Setenv("OSR_LOG_LEVEL", "warn")
			return nil
		},
	})
}
