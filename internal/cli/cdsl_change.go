// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

func init() {
	cdslCommands = append(cdslCommands, newCDSLAddCmd, newCDSLRemoveCmd, newCDSLCheckCmd, newCDSLDiffCmd, newCDSLForeachCmd)
}

// addGroup is one -a or -s with its paths and explicit nodes.
type addGroup struct {
	typ   inventory.Type
	paths []string
	nodes []string
}

// groupStart is where an -a or -s appeared: after how many positional arguments.
type groupStart struct {
	typ inventory.Type
	at  int
}

// groupFlag is -a or -s: a switch that records where among the positional
// arguments it appeared, so that "-a P1 P2 -s P3" keeps its groups.
type groupFlag struct {
	fs     *pflag.FlagSet
	typ    inventory.Type
	starts *[]groupStart
}

func (g *groupFlag) Set(string) error {
	*g.starts = append(*g.starts, groupStart{g.typ, len(g.fs.Args())})
	return nil
}
func (g *groupFlag) String() string { return "false" }
func (g *groupFlag) Type() string   { return "bool" }

// addGroups splits the positional arguments into the -a/-s groups. After -a
// or -s comes a PATH; further arguments holding a "/" are more paths of that
// type, the others are node ids (as com-mkcdsl took them).
func addGroups(starts []groupStart, pos []string) ([]addGroup, error) {
	if len(starts) == 0 {
		if len(pos) > 0 {
			return nil, usagef("%q: say -a (hostdependent) or -s (shared) before a path", pos[0])
		}
		return nil, usagef("give -a PATH (hostdependent) or -s PATH (shared)")
	}
	if starts[0].at > 0 {
		return nil, usagef("%q: say -a (hostdependent) or -s (shared) before a path", pos[0])
	}
	var groups []addGroup
	for i, st := range starts {
		end := len(pos)
		if i+1 < len(starts) {
			end = starts[i+1].at
		}
		g := addGroup{typ: st.typ}
		for _, a := range pos[st.at:end] {
			if len(g.paths) == 0 || strings.Contains(a, "/") {
				g.paths = append(g.paths, a)
			} else {
				g.nodes = append(g.nodes, a)
			}
		}
		if len(g.paths) == 0 {
			return nil, usagef("-a/-s needs a PATH")
		}
		groups = append(groups, g)
	}
	return groups, nil
}

func newCDSLAddCmd(e *env, f *cdslFlags) *cobra.Command {
	var (
		o      cdsl.AddOptions
		starts []groupStart
	)
	c := &cobra.Command{
		Use:   "add (-a|-s) PATH [PATH…] [NODE…] … [--backup] [--from NODE]",
		Short: "make PATHs hostdependent (-a) or shared again (-s) (com-mkcdsl)",
		Long: `Makes PATHs hostdependent (-a, --hostdependent: one copy per node) or shared
again below a hostdependent CDSL (-s, --shared), as com-mkcdsl did. Several
groups may follow each other: -a /etc/a /etc/b -s /etc/a/c. Arguments without
a "/" after the first path of a group name the nodes that get a copy (default:
every node).`,
		RunE: func(_ *cobra.Command, pos []string) error {
			groups, err := addGroups(starts, pos)
			if err != nil {
				return err
			}
			return runCDSLAdd(e, f, groups, o)
		},
	}
	fs := c.Flags()
	for _, g := range []struct {
		name, short, usage string
		typ                inventory.Type
	}{
		{"hostdependent", "a", "the following PATHs become hostdependent", inventory.Hostdependent},
		{"shared", "s", "the following PATHs become shared again", inventory.Shared},
	} {
		fl := fs.VarPF(&groupFlag{fs: fs, typ: g.typ, starts: &starts}, g.name, g.short, g.usage)
		fl.NoOptDefVal = "true"
	}
	fs.BoolVarP(&o.Backup, "backup", "b", false, "keep what a CDSL replaces as PATH.orig")
	fs.StringVar(&o.From, "from", "", "shared: the `NODE` whose copy becomes the shared one")
	return c
}

func runCDSLAdd(e *env, f *cdslFlags, groups []addGroup, o cdsl.AddOptions) error {
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, g := range groups {
		for _, p := range g.paths {
			c, err := r.Add(p, g.typ, g.nodes, o)
			if err != nil {
				return err
			}
			if !f.dryRun {
				fmt.Fprintf(e.stdout, "%s %s (nodes %s)\n", c.Type, c.Src, strings.Join(c.Nodes, ","))
			}
		}
	}
	return nil
}

func newCDSLRemoveCmd(e *env, f *cdslFlags) *cobra.Command {
	var o cdsl.RemoveOptions
	c := &cobra.Command{
		Use:   "rm [-R] [--purge] [-f] [--from NODE] PATH…",
		Short: "turn CDSLs back into real paths (com-rmcdsl)",
		Long: `Turns CDSLs back into real paths, as com-rmcdsl did: the bound node's copy (or
--from NODE's) becomes the path; the other nodes' copies that differ are kept
beside it unless --purge.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLRemove(e, f, o, pos) },
	}
	fs := c.Flags()
	fs.BoolVarP(&o.Recursive, "recursive", "R", false, "remove the CDSLs below PATH first")
	fs.BoolVarP(&o.Purge, "purge", "F", false, "delete the other nodes' copies instead of keeping those that differ")
	deprecatedAlias(fs, "purge", "reallyforce", "", "--purge (-F)")
	fs.BoolVarP(&o.Force, "force", "f", false, "remove an inconsistent CDSL; accept a PATH that is none")
	fs.StringVar(&o.From, "from", "", "the `NODE` whose copy becomes the real path (default: the bound node, else default)")
	return c
}

func runCDSLRemove(e *env, f *cdslFlags, o cdsl.RemoveOptions, pos []string) error {
	if len(pos) == 0 {
		return usagef("rm needs a PATH")
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, p := range pos {
		res, err := r.Remove(p, o)
		if err != nil {
			return err
		}
		if f.dryRun {
			continue
		}
		for _, x := range res {
			fmt.Fprintf(e.stdout, "removed CDSL %s\n", x.Src)
			for _, k := range x.Kept {
				fmt.Fprintf(e.stdout, "  kept a differing copy as %s\n", r.FS().HostPath(k))
			}
		}
	}
	return nil
}

func newCDSLCheckCmd(e *env, f *cdslFlags) *cobra.Command {
	var (
		o      cdsl.CheckOptions
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "check [--repair] [--scan] [--json]",
		Short: "compare the inventory with the disk (com-cdslinvchk)",
		Long: `Compares the inventory with the filesystem and prints every difference, as
com-cdslinvchk did; the exit status is the number of differences left. --repair
fixes what can be fixed (the inventory is backed up first); --scan also searches
the filesystem for CDSLs the inventory lacks. --json prints the result as JSON.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLCheck(e, f, o, asJSON, pos) },
	}
	fs := c.Flags()
	fs.BoolVarP(&o.Repair, "repair", "U", false, "fix what can be fixed (the inventory is backed up first)")
	deprecatedAlias(fs, "repair", "update", "", "--repair (-U)")
	fs.BoolVar(&o.Scan, "scan", false, "also search the filesystem for CDSLs the inventory lacks")
	deprecatedAlias(fs, "scan", "filesystem", "", "--scan")
	fs.BoolVar(&asJSON, "json", false, "print the problems and found CDSLs as JSON")
	return c
}

func runCDSLCheck(e *env, f *cdslFlags, o cdsl.CheckOptions, asJSON bool, pos []string) error {
	var err error
	if len(pos) > 0 {
		return usagef("check takes no arguments, got %q", pos)
	}
	var r *cdsl.Repo
	opts, err := f.options(e)
	if err != nil {
		return err
	}
	opts.Repair = o.Repair // a journal that cannot be finished is set aside
	if o.Repair && o.Scan {
		// An empty or corrupt inventory is rebuilt from the tree.
		if r, _, err = cdsl.OpenRebuilding(e.ctx, opts); err != nil {
			return err
		}
	} else if r, err = cdsl.Open(e.ctx, opts); err != nil {
		return err
	}
	defer r.Close()
	res, err := r.Check(o)
	if err != nil {
		return err
	}
	left := 0
	doc := cdslCheckJSON{CDSLs: len(r.Inventory().CDSLs), Problems: []cdslProblemJSON{}, Found: []cdslFoundJSON{}}
	out := e.stdout
	if asJSON {
		out = io.Discard
	}
	for _, p := range res.Problems {
		state := "fixable with --repair"
		switch {
		case !p.Repairable():
			state = "needs you"
			left++
		case o.Repair:
			state = "repaired"
		default:
			left++
		}
		fmt.Fprintf(out, "%s  [%s]\n", p, state)
		doc.Problems = append(doc.Problems, cdslProblemJSON{Src: p.Src, Message: p.Message, Repairable: p.Repairable(), State: state})
	}
	for _, c := range res.Found {
		state := "not in the inventory; --repair adds it"
		if o.Repair {
			state = "added to the inventory"
		} else {
			left++
		}
		fmt.Fprintf(out, "%s: %s CDSL (nodes %s) %s\n", c.Src, c.Type, strings.Join(c.Nodes, ","), state)
		doc.Found = append(doc.Found, cdslFoundJSON{Src: c.Src, Type: string(c.Type), Nodes: nonNil(c.Nodes), State: state})
	}
	if asJSON {
		doc.Left = left
		if res.Backup != "" && !f.dryRun {
			doc.Backup = r.FS().HostPath(res.Backup)
		}
		if err := writeJSON(e.stdout, doc); err != nil {
			return err
		}
		if left > 0 {
			return exitError{min(left, maxExitCode)}
		}
		return nil
	}
	if res.Backup != "" && !f.dryRun {
		fmt.Fprintf(e.stdout, "the inventory was backed up to %s\n", r.FS().HostPath(res.Backup))
	}
	if left > 0 {
		fmt.Fprintf(e.stderr, "osr cdsl check: %d problem(s) left: the inventory does not match the filesystem\n", left)
		// The exit status is the number of differences, as com-cdslinvchk's was.
		return exitError{min(left, maxExitCode)}
	}
	if len(res.Problems) == 0 && len(res.Found) == 0 {
		fmt.Fprintf(e.stdout, "%d CDSLs, inventory and filesystem agree\n", len(r.Inventory().CDSLs))
	}
	return nil
}

func newCDSLDiffCmd(e *env, f *cdslFlags) *cobra.Command {
	var (
		base   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "diff [--base NODE] [--json] PATH",
		Short: "how the node copies of PATH differ; exit 1 if they do",
		Long: `Compares every node's copy of PATH with the default dir's (or --base NODE's)
and prints what differs, then the groups of identical copies. Exits 1 when
copies differ. --json prints the comparison as JSON.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLDiff(e, f, base, asJSON, pos) },
	}
	c.Flags().StringVar(&base, "base", "", "compare with `NODE`'s copy (default: the default dir)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	return c
}

func runCDSLDiff(e *env, f *cdslFlags, base string, asJSON bool, pos []string) error {
	if len(pos) != 1 {
		return usagef("diff takes one PATH")
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	res, err := r.Diff(pos[0], base)
	if err != nil {
		return err
	}
	if asJSON {
		doc := diffJSON(r, res)
		if err := writeJSON(e.stdout, doc); err != nil {
			return err
		}
		if doc.Differ {
			return exitError{1}
		}
		return nil
	}
	if res.Shared {
		fmt.Fprintf(e.stdout, "%s is shared (in %s %s): one copy for every node\n", res.Src, res.CDSL.Type, res.CDSL.Src)
		return nil
	}
	differ := false
	for _, n := range res.Nodes {
		switch {
		case n.Missing:
			fmt.Fprintf(e.stdout, "%s: no copy (%s)\n", n.Node, r.FS().HostPath(n.Where))
			differ = true
		case n.Node == res.Base:
		case len(n.Changes) == 0:
			fmt.Fprintf(e.stdout, "%s: same as %s\n", n.Node, res.Base)
		default:
			differ = true
			fmt.Fprintf(e.stdout, "%s: differs from %s\n", n.Node, res.Base)
			for _, c := range n.Changes {
				fmt.Fprintf(e.stdout, "  %s\n", c)
			}
		}
	}
	for _, g := range res.Groups {
		if len(g) > 1 {
			fmt.Fprintf(e.stdout, "identical: %s\n", strings.Join(g, " "))
		}
	}
	if differ {
		return exitError{1}
	}
	return nil
}

func newCDSLForeachCmd(e *env, f *cdslFlags) *cobra.Command {
	var noDefault bool
	c := &cobra.Command{
		Use:   "foreach [--no-default] -- CMD [ARG…]",
		Short: "run CMD once per node dir, CDSL paths replaced by the node's copy (com-forcdsls)",
		Long: `Runs CMD once per node directory (and the default dir unless --no-default), its
CDSL path arguments replaced by that node's copy, with $OSR_CDSL_NODE set; the
exit status is 1 when CMD failed for a node.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLForeach(e, f, noDefault, pos) },
	}
	c.Flags().BoolVar(&noDefault, "no-default", false, "skip the default dir")
	return c
}

func runCDSLForeach(e *env, f *cdslFlags, noDefault bool, pos []string) error {
	if len(pos) == 0 {
		return usagef("foreach needs a command: osr cdsl foreach -- CMD [ARG…]")
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	cmds, err := r.ForEach(pos, noDefault)
	r.Close() // the commands run without the lock
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range cmds {
		fmt.Fprintf(e.stdout, "== %s: %s\n", c.Node, strings.Join(c.Args, " "))
		if f.dryRun {
			continue
		}
		cmd := exec.CommandContext(e.ctx, c.Args[0], c.Args[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, e.stdout, e.stderr
		cmd.Env = append(cmd.Environ(), "OSR_CDSL_NODE="+c.Node)
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return err
			}
			fmt.Fprintf(e.stderr, "osr cdsl foreach: node %s: %v\n", c.Node, err)
			failed++
		}
	}
	if failed > 0 {
		return exitError{1}
	}
	return nil
}
