// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/kernelimage"
	"github.com/open-sharedroot/osr/framework/pxe"
)

func init() {
	registerNamed(func(e *env) *cobra.Command {
		var o pxeFlags
		c := &cobra.Command{
			Use:   "pxe [--cluster FILE] [--kernel VERSION|PATH] --initrd PATH --output DIR [--append PARAM]… [--dry-run [--json]]",
			Short: "write the network boot entries (PXELINUX, iPXE, GRUB) of every node",
			Long: `Writes into DIR, the TFTP (or HTTP) server's root, for every MAC of every node
of the cluster configuration: pxelinux.cfg/01-<mac>, ipxe/<mac>.ipxe and
boot/grub/grub.cfg-01-<mac>, each booting the kernel and the initrd with the
node's parameters (nodeid=, ip=, root=, rootfs=, then the --append ones), and
ipxe/menu.ipxe, the script to name as the DHCP boot file for iPXE clients: it
chains the booting MAC's script. The kernel and the initrd are copied into DIR
under their own names. Every file is written atomically.

A cluster configuration that does not validate (bad or duplicate MACs, duplicate
nodes), a node without a MAC and parameters a boot loader line cannot carry are
refused with the file and line. --dry-run shows the plan and writes nothing.
See docs/pxe.md.`,
			Args: noArgs,
			RunE: func(*cobra.Command, []string) error { return runPXE(e, &o) },
		}
		fs := c.Flags()
		o.cluster.bind(fs)
		fs.StringVar(&o.kernel, "kernel", "", kernelFlagUsage)
		deprecatedAlias(fs, "kernel", "kernel-image", "", "--kernel")
		fs.StringVar(&o.initrd, "initrd", "", "the initrd `PATH` to boot (osr build's image)")
		fs.StringVarP(&o.output, "output", "o", "", "the TFTP root `DIR` to write")
		fs.StringArrayVar(&o.append, "append", nil, "one more kernel `PARAM` for every entry (repeatable), e.g. console=ttyS0")
		fs.BoolVarP(&o.dryRun, "dry-run", "n", false, "show what would be written; write nothing")
		fs.BoolVar(&o.json, "json", false, "with --dry-run: print the plan as JSON")
		return c
	}, "pxe")
}

type pxeFlags struct {
	cluster                clusterFileFlags
	kernel, initrd, output string
	append                 []string
	dryRun, json           bool
}

func runPXE(e *env, o *pxeFlags) error {
	switch {
	case o.initrd == "":
		return usagef("pxe needs --initrd PATH")
	case o.output == "":
		return usagef("pxe needs --output DIR")
	case o.json && !o.dryRun:
		return usagef("--json goes with --dry-run")
	}
	kernel, err := kernelimage.Image(o.kernel, "/")
	if err != nil {
		return err
	}
	c, err := loadCluster(e, &o.cluster, "")
	if err != nil {
		return err
	}
	plan, err := pxe.MakePlan(c, pxe.Options{Kernel: kernel, Initrd: o.initrd, Output: o.output, Append: o.append})
	if err != nil {
		return err
	}
	if o.dryRun {
		if o.json {
			return plan.JSON(e.stdout)
		}
		fmt.Fprintln(e.stdout, "dry run: nothing written")
		return plan.Summary(e.stdout)
	}
	if err := plan.Write(); err != nil {
		return err
	}
	return plan.Summary(e.stdout)
}
