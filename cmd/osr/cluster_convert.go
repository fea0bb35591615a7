// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/cluster/render"
	"github.com/open-sharedroot/osr/internal/atomicfile"
)

func init() {
	clusterSubs["validate"] = clusterSub{summary: "check the configuration", run: runClusterValidate}
	clusterSubs["convert"] = clusterSub{summary: "write the configuration in another format", run: runClusterConvert}
}

func runClusterValidate(e *env, args []string) error {
	fs := e.flagSet("cluster validate")
	var cf clusterFileFlags
	cf.bind(fs)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	c, err := loadClusterArg(e, &cf, pos, "validate")
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		var probs cluster.Problems
		if errors.As(err, &probs) {
			for _, p := range probs {
				fmt.Fprintln(e.stderr, p.Error())
			}
			fmt.Fprintf(e.stderr, "%s: %d problem(s)\n", c.Pos.File, len(probs))
			return exitError{code: 1}
		}
		return err
	}
	if c.HasSecrets() {
		if st, err := os.Stat(c.Pos.File); err == nil && st.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(e.stderr, "warning: %s holds secrets (%s) but is readable by others (mode %04o); chmod 600 it\n", c.Pos.File, c.Secrets()[0].Where, st.Mode().Perm())
		}
	}
	fmt.Fprintf(e.stdout, "%s: ok, cluster %q with %d node(s)\n", c.Pos.File, c.Name, len(c.Nodes))
	return nil
}

func runClusterConvert(e *env, args []string) error {
	fs := e.flagSet("cluster convert")
	var cf clusterFileFlags
	cf.bind(fs)
	to := fs.String("to", "", "output `FORMAT`: hcl, clusterconf, ocfs2 or corosync")
	out := fs.String("o", "", "write to `FILE` instead of standard output (replaced atomically)")
	noValidate := fs.Bool("no-validate", false, "convert even when the configuration has problems")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *to == "" && len(pos) > 0 {
		// com-queryclusterconf spelling: "convert ocfs2" (a format name that is not a file).
		if _, perr := render.ParseFormat(pos[0]); perr == nil && !strings.Contains(pos[0], ".") {
			if _, serr := os.Stat(pos[0]); serr != nil {
				*to, pos = pos[0], pos[1:]
			}
		}
	}
	if *to == "" {
		return usagef("name the output format with --to (hcl, clusterconf, ocfs2, corosync)")
	}
	format, err := render.ParseFormat(*to)
	if err != nil {
		return usagef("%v", err)
	}
	c, err := loadClusterArg(e, &cf, pos, "convert")
	if err != nil {
		return err
	}
	if !*noValidate {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("the configuration is not valid (fix it, or convert anyway with --no-validate):\n%w", err)
		}
	}
	data, err := render.Render(c, format)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = e.stdout.Write(data)
		return err
	}
	mode := os.FileMode(0o644)
	if c.HasSecrets() {
		mode = 0o600
	}
	return atomicfile.WriteFile(*out, data, mode)
}
