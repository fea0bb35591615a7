// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/cluster/render"
	"github.com/open-sharedroot/osr/internal/atomicfile"
)

func init() {
	clusterCommands = append(clusterCommands, newClusterValidateCmd, newClusterConvertCmd)
}

func newClusterValidateCmd(e *env) *cobra.Command {
	var (
		cf     clusterFileFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "check the configuration; exit 1 on problems",
		Long: `Checks the cluster configuration (FILE, else the one --cluster names or the default)
and prints every problem with file and line; exits 1 when there are problems.
--json prints the result as one JSON object.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runClusterValidate(e, &cf, pos, asJSON) },
	}
	cf.bind(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// validateJSON is what osr cluster validate --json prints.
type validateJSON struct {
	File     string        `json:"file"`
	Valid    bool          `json:"valid"`
	Cluster  string        `json:"cluster"`
	Nodes    int           `json:"nodes"`
	Problems []problemJSON `json:"problems"`
	Warnings []problemJSON `json:"warnings"`
}

type problemJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Node    string `json:"node,omitempty"`
	Message string `json:"message"`
}

func problemsJSON(ps []cluster.Problem) []problemJSON {
	out := []problemJSON{}
	for _, p := range ps {
		out = append(out, problemJSON{File: p.Pos.File, Line: p.Pos.Line, Node: p.Node, Message: p.Msg})
	}
	return out
}

func runClusterValidate(e *env, cf *clusterFileFlags, pos []string, asJSON bool) error {
	c, err := loadClusterArg(e, cf, pos, "validate")
	if err != nil {
		return err
	}
	if asJSON {
		doc := validateJSON{File: c.Pos.File, Valid: true, Cluster: c.Name, Nodes: len(c.Nodes),
			Problems: []problemJSON{}, Warnings: problemsJSON(c.Warnings())}
		if err := c.Validate(); err != nil {
			var probs cluster.Problems
			if !errors.As(err, &probs) {
				return err
			}
			doc.Valid, doc.Problems = false, problemsJSON(probs)
		}
		if err := writeJSON(e.stdout, doc); err != nil {
			return err
		}
		if !doc.Valid {
			return exitError{code: 1}
		}
		return nil
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
	fmt.Fprintf(e.stdout, "%s: ok, cluster %q with %d node(s)\n", c.Pos.File, c.Name, len(c.Nodes))
	return nil
}

func newClusterConvertCmd(e *env) *cobra.Command {
	var o convertFlags
	c := &cobra.Command{
		Use:   "convert --to FORMAT [-o OUT] [FILE]",
		Short: "write the configuration as hcl, clusterconf, ocfs2 or corosync",
		Long: `Writes the cluster configuration (FILE, else the one --cluster names or the
default) in another format: hcl (osr's cluster file), clusterconf (cluster.conf
with <com_info>), ocfs2 (/etc/ocfs2/cluster.conf) or corosync (corosync.conf).
The configuration is validated first unless --no-validate. -o writes a file,
replaced atomically, mode 0600 when the configuration holds secrets.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runClusterConvert(e, &o, pos) },
	}
	fs := c.Flags()
	o.cf.bind(fs)
	fs.StringVar(&o.to, "to", "", "output `FORMAT`: hcl, clusterconf, ocfs2 or corosync")
	fs.StringVarP(&o.out, "output", "o", "", "write to `FILE` instead of standard output (replaced atomically)")
	fs.BoolVar(&o.noValidate, "no-validate", false, "convert even when the configuration has problems")
	completeValues(c, "to", "hcl", "clusterconf", "ocfs2", "corosync")
	return c
}

type convertFlags struct {
	cf         clusterFileFlags
	to, out    string
	noValidate bool
}

func runClusterConvert(e *env, o *convertFlags, pos []string) error {
	to, out, noValidate := &o.to, &o.out, &o.noValidate
	cf := &o.cf
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
	c, err := loadClusterArg(e, cf, pos, "convert")
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
