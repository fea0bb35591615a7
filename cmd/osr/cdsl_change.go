// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
)

func init() {
	cdslSubs["add"] = cdslSub{runCDSLAdd}
	cdslSubs["rm"] = cdslSub{runCDSLRemove}
	cdslSubs["check"] = cdslSub{runCDSLCheck}
	cdslSubs["diff"] = cdslSub{runCDSLDiff}
	cdslSubs["foreach"] = cdslSub{runCDSLForeach}
}

// addGroup is one -a or -s with its paths and explicit nodes.
type addGroup struct {
	typ   inventory.Type
	paths []string
	nodes []string
}

// splitAddArgs separates the -a/-s groups from the other flags. After -a or -s
// comes a PATH; further arguments holding a "/" are more paths of that type, the
// others are node ids (as com-mkcdsl took them).
func splitAddArgs(fs *flag.FlagSet, args []string) ([]addGroup, []string, error) {
	var groups []addGroup
	var flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a {
		case "-a", "--a", "-hostdependent", "--hostdependent":
			groups = append(groups, addGroup{typ: inventory.Hostdependent})
			continue
		case "-s", "--s", "-shared", "--shared":
			groups = append(groups, addGroup{typ: inventory.Shared})
			continue
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if fl := fs.Lookup(name); fl != nil {
				if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					continue
				}
				if i+1 < len(args) {
					i++
					flags = append(flags, args[i])
				}
			}
			continue
		}
		if len(groups) == 0 {
			return nil, nil, usagef("%q: say -a (hostdependent) or -s (shared) before a path", a)
		}
		g := &groups[len(groups)-1]
		if len(g.paths) == 0 || strings.Contains(a, "/") {
			g.paths = append(g.paths, a)
		} else {
			g.nodes = append(g.nodes, a)
		}
	}
	if len(groups) == 0 {
		return nil, nil, usagef("give -a PATH (hostdependent) or -s PATH (shared)")
	}
	for _, g := range groups {
		if len(g.paths) == 0 {
			return nil, nil, usagef("-a/-s needs a PATH")
		}
	}
	return groups, flags, nil
}

func runCDSLAdd(e *env, args []string) error {
	var (
		f      cdslFlags
		o      cdsl.AddOptions
		backup bool
	)
	fs := e.flagSet("cdsl add")
	f.bind(fs)
	for _, n := range []string{"b", "backup"} {
		fs.BoolVar(&backup, n, false, "keep what a CDSL replaces as PATH.orig")
	}
	fs.StringVar(&o.From, "from", "", "shared: the `NODE` whose copy becomes the shared one")
	groups, flags, err := splitAddArgs(fs, args)
	if err != nil {
		return err
	}
	pos, err := e.parse(fs, flags)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	o.Backup = backup
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

func runCDSLRemove(e *env, args []string) error {
	var (
		f cdslFlags
		o cdsl.RemoveOptions
	)
	fs := e.flagSet("cdsl rm")
	f.bind(fs)
	for _, n := range []string{"R", "recursive"} {
		fs.BoolVar(&o.Recursive, n, false, "remove the CDSLs below PATH first")
	}
	for _, n := range []string{"F", "purge", "reallyforce"} {
		fs.BoolVar(&o.Purge, n, false, "delete the other nodes' copies instead of keeping those that differ")
	}
	for _, n := range []string{"f", "force"} {
		fs.BoolVar(&o.Force, n, false, "remove an inconsistent CDSL; accept a PATH that is none")
	}
	fs.StringVar(&o.From, "from", "", "the `NODE` whose copy becomes the real path (default: the bound node, else default)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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

func runCDSLCheck(e *env, args []string) error {
	var (
		f cdslFlags
		o cdsl.CheckOptions
	)
	fs := e.flagSet("cdsl check")
	f.bind(fs)
	for _, n := range []string{"U", "repair", "update"} {
		fs.BoolVar(&o.Repair, n, false, "fix what can be fixed (the inventory is backed up first)")
	}
	for _, n := range []string{"scan", "filesystem"} {
		fs.BoolVar(&o.Scan, n, false, "also search the filesystem for CDSLs the inventory lacks")
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("check takes no arguments, got %q", pos)
	}
	var r *cdsl.Repo
	if o.Repair && o.Scan {
		// An empty or corrupt inventory is rebuilt from the tree.
		opts, err := f.options(e)
		if err != nil {
			return err
		}
		if r, _, err = cdsl.OpenRebuilding(e.ctx, opts); err != nil {
			return err
		}
	} else if r, err = f.open(e); err != nil {
		return err
	}
	defer r.Close()
	res, err := r.Check(o)
	if err != nil {
		return err
	}
	left := 0
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
		fmt.Fprintf(e.stdout, "%s  [%s]\n", p, state)
	}
	for _, c := range res.Found {
		state := "not in the inventory; --repair adds it"
		if o.Repair {
			state = "added to the inventory"
		} else {
			left++
		}
		fmt.Fprintf(e.stdout, "%s: %s CDSL (nodes %s) %s\n", c.Src, c.Type, strings.Join(c.Nodes, ","), state)
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

func runCDSLDiff(e *env, args []string) error {
	var (
		f    cdslFlags
		base string
	)
	fs := e.flagSet("cdsl diff")
	f.bind(fs)
	fs.StringVar(&base, "base", "", "compare with `NODE`'s copy (default: the default dir)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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

func runCDSLForeach(e *env, args []string) error {
	var (
		f         cdslFlags
		noDefault bool
	)
	fs := e.flagSet("cdsl foreach")
	f.bind(fs)
	fs.BoolVar(&noDefault, "no-default", false, "skip the default dir")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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
