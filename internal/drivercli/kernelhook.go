// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
)

// defaultOutput is the image a build writes when neither --output nor
// initrd.output names one.
const defaultOutput = "/boot/initrd_sr-{kernel}.img"

func init() {
	register(func(e *env) *cobra.Command {
		return &cobra.Command{
			Use:   "kernel-hook add|remove VERSION",
			Short: "build or remove a kernel's image; called by the kernel hooks",
			Long: `Called by the kernel hooks osr installs (/usr/lib/kernel/install.d/50-osr.install,
/etc/kernel/postinst.d/osr and /etc/kernel/postrm.d/osr) when kernel VERSION is
installed or removed. They do nothing unless osr.hcl opts in:

  initrd {
    driver       = "nfs"
    kernel_hooks = true
  }

add      builds the image for VERSION as osr build --kernel VERSION does, with the
         initrd block's defaults (output /boot/initrd_sr-VERSION.img unless set).
remove   deletes that image; a missing image is not an error.`,
			ValidArgs: []cobra.Completion{"add", "remove"},
			RunE:      func(_ *cobra.Command, args []string) error { return runKernelHook(e, args) },
		}
	})
}

func runKernelHook(e *env, pos []string) error {
	if len(pos) != 2 || (pos[0] != "add" && pos[0] != "remove") {
		return usagef("usage: osr kernel-hook add|remove VERSION")
	}
	action, kernel := pos[0], pos[1]
	if kernel == "" {
		return usagef("empty kernel version")
	}
	cfg, err := e.LoadConfig()
	if err != nil {
		return err
	}
	if !cfg.Initrd.KernelHooks {
		fmt.Fprintf(e.Stderr(), "osr: kernel hooks are off, nothing done for %s (set initrd { kernel_hooks = true } in osr.hcl to turn them on)\n", kernel)
		return nil
	}
	if action == "add" {
		return runBuild(e, &buildFlags{kernel: kernel, root: "/"})
	}
	tmpl := cfg.Initrd.Output
	if tmpl == "" {
		tmpl = defaultOutput
	}
	img := expandOutput(tmpl, kernel)
	switch err := os.Remove(img); {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(e.Stderr(), "osr: no image %s to remove\n", img)
	case err != nil:
		return fmt.Errorf("remove the image of kernel %s: %w", kernel, err)
	default:
		fmt.Fprintf(e.Stdout(), "removed %s\n", img)
	}
	return nil
}
