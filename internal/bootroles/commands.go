// SPDX-License-Identifier: Apache-2.0

package bootroles

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/open-sharedroot/osr/framework/clusterstack"
)

// Commands runs, as osr inside the image (/usr/bin/osr and the cluster stack's
// /usr/sbin/osr are osr-init), the commands the image's programs and a rescue
// shell need: osr cluster watch (the cluster stack's systemd unit), osr cluster
// status and osr version. Every other command belongs to the full osr of the
// installed system; Commands says so and returns 2.
func Commands(args []string, version string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch strings.Join(first(args, 2), " ") {
	case "cluster watch", "cluster status":
		fs := flag.NewFlagSet("osr "+strings.Join(args[:2], " "), flag.ContinueOnError)
		fs.SetOutput(stderr)
		root := fs.String("root", clusterstack.RunDir, "the cluster stack's chroot `DIR`")
		if err := fs.Parse(args[2:]); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
			return 2
		}
		if args[1] == "watch" {
			err := clusterstack.Watch(ctx, *root, func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) })
			if err != nil {
				fmt.Fprintf(stderr, "osr cluster watch: %v\n", err)
				return 1
			}
			return 0
		}
		st := clusterstack.ReadStatus(ctx, *root, nil)
		if err := st.Write(stdout); err != nil {
			fmt.Fprintf(stderr, "osr cluster status: %v\n", err)
			return 1
		}
		if !st.Healthy() {
			fmt.Fprintf(stderr, "osr cluster status: the cluster stack in %s is not healthy (see above)\n", *root)
			return 1
		}
		return 0
	}
	if len(args) == 1 && (args[0] == "version" || args[0] == "--version") {
		fmt.Fprintln(stdout, version)
		return 0
	}
	fmt.Fprintf(stderr, "osr: this is the initrd's osr (osr-init): it boots the node and answers only osr cluster watch, osr cluster status and osr version; %q needs the osr of the installed system\n",
		strings.Join(args, " "))
	return 2
}

// first is at most the first n elements of args.
func first(args []string, n int) []string {
	if len(args) < n {
		return args
	}
	return args[:n]
}
