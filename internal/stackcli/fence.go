// SPDX-License-Identifier: Apache-2.0

// Package stackcli holds osr cluster's commands that act on the cluster stack:
// fence, fence-ack, status and watch. They link the fence methods (ssh, IPMI)
// and run in osr-driverhost; osr lists them with stand-ins and execs
// osr-driverhost for them (see docs/layout.md), so that its other commands do
// not pay for those packages at start.
package stackcli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/clusterstack"
	"github.com/open-sharedroot/osr/framework/clusterstack/fence"
	"github.com/open-sharedroot/osr/framework/config"
	"github.com/open-sharedroot/osr/internal/cli"
)

type env = cli.Env

func init() {
	register(newFenceAckCmd)
	register(newFenceCmd)
}

// defaultChroot is the cluster-services chroot on a running node.
const defaultChroot = clusterstack.RunDir

const fenceAckLong = `Tells the cluster that NODE (a name, or a node id) is dead: powered off or cut
off from the shared storage, made sure by you. Never acknowledge a node you have
not checked: a node that still writes corrupts the shared filesystem.

The fence agent waiting in the manual method on this node takes the acknowledge
and reports the node fenced; when none takes it within --wait (default 3s) it is
sent to dlm_controld with 'dlm_tool fence_ack ID' inside the chroot (default
/run/initramfs), which ends the fencing on every node. Node names come from the
chroot's /etc/osr/cluster.conf (the file the fence agent reads) unless --cluster
or $OSR_CLUSTER_CONF names another.`

func newFenceAckCmd(e *env) *cobra.Command {
	var (
		cf     cli.ClusterFileFlags
		chroot string
		wait   time.Duration
	)
	c := &cobra.Command{
		Use:   "fence-ack NODE [--chroot DIR] [--wait DURATION] [--cluster FILE]",
		Short: "acknowledge that NODE is dead (manual fencing)",
		Long:  fenceAckLong,
		RunE: func(_ *cobra.Command, pos []string) error {
			return runClusterFenceAck(e, &cf, chroot, wait, pos)
		},
	}
	fs := c.Flags()
	cf.Bind(fs)
	fs.StringVar(&chroot, "chroot", defaultChroot, "the cluster-services chroot `DIR` (/ inside it)")
	fs.DurationVar(&wait, "wait", 3*time.Second, "how long a waiting fence agent gets to take the acknowledge")
	return c
}

func runClusterFenceAck(e *env, cfp *cli.ClusterFileFlags, chrootDir string, wait time.Duration, pos []string) error {
	cf, chroot := *cfp, &chrootDir
	if len(pos) != 1 {
		return cli.Usagef("want one NODE (a name or a node id)")
	}
	// Name nodes as the agent does: from the chroot's cluster file, unless one is named.
	if cf.File() == "" {
		p, err := e.ClusterFileFromConfigFlag()
		if err != nil {
			return err
		}
		cf.SetFile(p)
	}
	if cf.File() == "" && os.Getenv(config.EnvClusterPath) == "" {
		if p := filepath.Join(*chroot, fence.ClusterConfigPath); cli.FileExists(p) {
			cf.SetFile(p)
		}
	}
	id, name, err := resolveFenceNode(e, &cf, pos[0])
	if err != nil {
		return err
	}
	res, err := fence.Acknowledge(e.Context(), fence.AckOptions{Chroot: *chroot, NodeID: id, Wait: wait})
	if err != nil {
		return err
	}
	switch {
	case res.TakenByAgent:
		fmt.Fprintf(e.Stdout(), "%s (id %d): acknowledged; the fence agent on this node took it and reports the node fenced\n", name, id)
	case res.SentToDLM:
		fmt.Fprintf(e.Stdout(), "%s (id %d): acknowledged to dlm_controld (dlm_tool fence_ack %d)\n", name, id, id)
	}
	return nil
}

// resolveFenceNode turns NODE into a node id and a name: a number is taken as the id
// (the configuration is only read to name it), a name is looked up.
func resolveFenceNode(e *env, cf *cli.ClusterFileFlags, node string) (int, string, error) {
	id, numErr := strconv.Atoi(node)
	c, err := cli.LoadCluster(e, cf, "")
	if err != nil {
		if numErr == nil && id > 0 {
			return id, "node id " + node, nil
		}
		return 0, "", err
	}
	for _, n := range c.Nodes {
		if n.Name == node || (numErr == nil && n.ID == id) {
			if n.ID <= 0 {
				return 0, "", fmt.Errorf("%s: node %q has no node id", n.Pos, n.Name)
			}
			return n.ID, n.Name, nil
		}
	}
	return 0, "", fmt.Errorf("%s: no node %q", c.Pos, node)
}

const fenceLong = `Fences NODE now, from this machine, with the fence methods of the cluster
configuration, exactly as the fence agent does when dlm_controld asks: the
methods in order, until one succeeds. This really powers the node off. With
--dry-run it only shows the methods and devices (passwords hidden).
Exit status 0: fenced; 1: every method failed.`

func newFenceCmd(e *env) *cobra.Command {
	var (
		cf  cli.ClusterFileFlags
		dry bool
	)
	c := &cobra.Command{
		Use:   "fence NODE [--dry-run] [--cluster FILE]",
		Short: "fence NODE now with its fence methods (or show them)",
		Long:  fenceLong,
		RunE:  func(_ *cobra.Command, pos []string) error { return runClusterFence(e, &cf, dry, pos) },
	}
	cf.Bind(c.Flags())
	c.Flags().BoolVarP(&dry, "dry-run", "n", false, "show the fence methods, fence nothing")
	return c
}

func runClusterFence(e *env, cfp *cli.ClusterFileFlags, dry bool, pos []string) error {
	cf := *cfp
	if len(pos) != 1 {
		return cli.Usagef("want one NODE (a name or a node id)")
	}
	c, err := cli.LoadCluster(e, &cf, "")
	if err != nil {
		return err
	}
	v, methods, err := fence.PlanByName(c, pos[0])
	if err != nil {
		return err
	}
	if dry {
		writeFencePlan(e.Stdout(), v, methods)
		return nil
	}
	job := fence.Job{Victim: v, AckDir: fence.AckDir, Log: fence.NewLog(e.Stderr())}
	if err := fence.Fence(e.Context(), job, methods, nil); err != nil {
		return cli.ExitCode(fence.ExitFailed)
	}
	fmt.Fprintf(e.Stdout(), "%s (id %d): fenced\n", v.Name, v.ID)
	return nil
}

func writeFencePlan(w io.Writer, v fence.Victim, methods []fence.Method) {
	fmt.Fprintf(w, "%s (id %d): %d fence method(s), tried in order until one succeeds\n", v.Name, v.ID, len(methods))
	for _, m := range methods {
		fmt.Fprintf(w, "  method %q (%s): every device must succeed\n", m.Name, m.Pos)
		for _, d := range m.Devices {
			secret := map[string]bool{}
			for _, s := range d.Secrets() {
				secret[s] = true
			}
			var params []string
			for _, p := range d.Params {
				val := p.Value
				if secret[val] {
					val = "***"
				}
				params = append(params, p.Name+"="+strconv.Quote(val))
			}
			fmt.Fprintf(w, "    device %q: %s (%s)", d.Name, d.Agent, d.Kind)
			if len(params) > 0 {
				fmt.Fprintf(w, " %s", strings.Join(params, " "))
			}
			fmt.Fprintln(w)
		}
	}
}
