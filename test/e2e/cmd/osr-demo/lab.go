// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/open-sharedroot/osr/internal/testkernel"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// demoLab is what every demo boots its nodes in.
type demoLab struct {
	work   string // the work directory (kept with KEEP=1)
	name   string // the cluster's name
	nodes  []osrlab.Node
	kernel testkernel.Kernel
	kit    *osrlab.Kit
	tree   *sharedroot.Tree // the shared root
	net    *netlab.Lab      // the private network, one tap per node
}

// withLab makes a demo's lab: the work directory, the nodes (check refuses
// them, when not nil, before anything is fetched or built),
// Debian's kernel, osr and its drivers, the shared root and the network. It
// runs boot in the lab and takes the lab down after it. rootNote, when set,
// follows the shared root's step line.
func (d clusterDemo) withLab(ctx context.Context, rootNote string, check func(nodes []osrlab.Node) error, boot func(l *demoLab) error) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the demo needs root (a network namespace, tap devices, servers); run it as root")
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	l := &demoLab{}
	if l.work, err = os.MkdirTemp("", "osr-demo-"); err != nil {
		return err
	}
	if d.keep {
		defer fmt.Printf("work directory kept: %s\n", l.work)
	} else {
		defer os.RemoveAll(l.work)
	}
	name, nodes, prefix, err := d.demoNodes()
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(nodes); err != nil {
			return err
		}
	}
	l.name, l.nodes = name, nodes

	step("fetching Debian's kernel (apt-get download, unpacked into %s)", testkernel.CacheDir())
	if l.kernel, err = testkernel.Fetch(ctx, testkernel.Options{}); err != nil {
		return err
	}
	step("building osr and its drivers")
	if l.kit, err = osrlab.NewKit(ctx, repo, l.kernel); err != nil {
		return err
	}
	defer l.kit.Close()

	if rootNote != "" {
		rootNote = " " + rootNote
	}
	step("making the shared root for %s%s", nodeNames(nodes), rootNote)
	if l.tree, err = l.kit.SharedRootFor(ctx, filepath.Join(l.work, "root"), nodes); err != nil {
		return err
	}

	step("network %s in a private namespace, one tap per node", prefix)
	if l.net, err = netlab.New(ctx, netlab.Options{Taps: len(nodes), Prefix: "osrdemo", Addr: prefix}); err != nil {
		return err
	}
	defer l.net.Close()
	return boot(l)
}
