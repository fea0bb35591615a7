// SPDX-License-Identifier: Apache-2.0

package oslab

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/open-sharedroot/osr/internal/testos"
	"github.com/open-sharedroot/osr/test/e2e/fencehost"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// The shared root's filesystems.
const (
	// NFS serves the root directory with nfs-ganesha (NFSv4.1).
	NFS = "nfs"
	// GFS2 puts the root on one GFS2 lock_dlm disk the nodes share: corosync
	// and dlm_controld from osr's initrd, fenced through a fence host that
	// kills a node's qemu.
	GFS2 = "gfs2"
	// OCFS2 puts the root on one OCFS2 disk the nodes share, with the
	// kernel's o2cb stack the ocfs2 driver configures.
	OCFS2 = "ocfs2"
)

// FencePort is where the fence host of a GFS2 lab listens on the bridge.
const FencePort = 2222

// ImageMB is the size of the shared disk: the Debian root with the kernel's
// modules (about 700 MB) and room to write. The image file is sparse.
const ImageMB = 2048

// Token is corosync's token timeout in the GFS2 labs: two nodes booting
// systemd under software emulation on two cores miss shorter tokens.
const Token = 10000

// diskDevice is the shared disk as the nodes see it.
const diskDevice = "/dev/vda"

// unneededModules are the kernel module directories (below the version's
// kernel/) a qemu node of a cluster-disk lab has no hardware for: they are
// left out of the root on the shared disk, where every megabyte costs the
// populate boot about a third of a second under software emulation.
var unneededModules = []string{
	"sound", "drivers/gpu", "drivers/media", "drivers/net/wireless", "drivers/net/ethernet",
	"drivers/infiniband", "drivers/iio", "drivers/staging", "drivers/usb", "drivers/scsi",
	"drivers/bluetooth", "drivers/isdn", "net/wireless", "net/mac80211", "net/bluetooth",
}

// trimModules removes unneededModules from the root's copy of the kernel's
// modules and runs depmod on what is left.
func (l *Lab) trimModules(ctx context.Context) error {
	dir := testos.ModulesDir(l.RootDir, l.Kit.Kernel)
	for _, rel := range unneededModules {
		if err := os.RemoveAll(filepath.Join(dir, "kernel", rel)); err != nil {
			return fmt.Errorf("trim the root's kernel modules: %w", err)
		}
	}
	out, err := exec.CommandContext(ctx, "depmod", "-b", l.RootDir, l.Kit.Kernel.Version).CombinedOutput()
	if err != nil {
		return fmt.Errorf("depmod -b %s %s: %w\n%s", l.RootDir, l.Kit.Kernel.Version, err, out)
	}
	return nil
}

// clusterName is the cluster's name in a GFS2 or OCFS2 lab: the lock table's
// cluster part and the o2cb cluster.
func (o Options) clusterName() string { return o.Name }

// makeDisk writes the shared root (made in RootDir) onto a fresh GFS2 or
// OCFS2 image through a populate boot of the lab's busybox initrd, since the
// host cannot mount either, and returns the kernel parameters the populate
// boot took.
func (l *Lab) makeDisk(ctx context.Context, o Options) error {
	l.Image = filepath.Join(o.Dir, "root."+o.FS)
	if err := l.trimModules(ctx); err != nil {
		return err
	}
	var params []string
	switch o.FS {
	case GFS2:
		if err := sharedroot.MakeGFS2(ctx, l.Image, ImageMB, sharedroot.GFS2Options{LockProto: "lock_dlm", Table: o.clusterName() + ":root", Journals: o.Nodes}); err != nil {
			return err
		}
		params = []string{"osr.flags=rw,lockproto=lock_nolock"}
	case OCFS2:
		if err := sharedroot.MakeOCFS2(ctx, l.Image, ImageMB, sharedroot.OCFS2Options{Cluster: o.clusterName(), Slots: o.Nodes}); err != nil {
			return err
		}
		hb, err := sharedroot.ReadHeartbeat(ctx, l.Image)
		if err != nil {
			return err
		}
		params = []string{"osr.node=1", hb.Param(), "osr.o2nodes=1:127.0.0.1"}
	default:
		return fmt.Errorf("oslab: no disk for filesystem %q", o.FS)
	}
	initrd, err := l.Kit.PopulateInitrd(ctx, o.Dir, o.FS)
	if err != nil {
		return err
	}
	m := l.Kit.Machine("populate-"+o.FS, initrd, l.LogDir, append([]string{"osr.fstype=" + o.FS, NoTimerCheck}, params...)...)
	m.MemoryMB = MemoryMB
	m.Timeout = 20 * time.Minute
	start := time.Now()
	if _, err := sharedroot.Populate(ctx, m, &sharedroot.Tree{Dir: l.RootDir, KeepOwners: true}, l.Image); err != nil {
		return err
	}
	l.PopulateTime = time.Since(start)
	return nil
}

// startFenceHost starts the fence host on the lab's bridge and writes the
// nodes' client files for it into o.Dir.
func (l *Lab) startFenceHost(o Options) (idFile, knownHosts string, err error) {
	host := l.Net.Addr.Addr().String()
	if l.Fence, err = fencehost.StartInNetns(l.Net.NS, fmt.Sprintf("%s:%d", host, FencePort)); err != nil {
		return "", "", err
	}
	return l.Fence.WriteClientFiles(o.Dir)
}

// writeClusterConf writes the cluster configuration for the lab's
// filesystem: fenced through the fence host for GFS2.
func (l *Lab) writeClusterConf(o Options) error {
	if o.FS != GFS2 {
		return osrlab.WriteClusterConf(l.ClusterConf, o.Name, l.Nodes)
	}
	return osrlab.WriteFencedClusterConf(l.ClusterConf, o.Name, l.Nodes, osrlab.SSHFence{Host: l.Net.Addr.Addr().String(), Port: FencePort})
}

// osrHCL returns the osr.hcl the initrd is built with: for GFS2 the cluster
// stack's authkey (fresh), token and fence client files; for OCFS2 the o2cb
// timeouts.
func (l *Lab) osrHCL(o Options) (string, error) {
	switch o.FS {
	case GFS2:
		idFile, knownHosts, err := l.startFenceHost(o)
		if err != nil {
			return "", err
		}
		key := make([]byte, 256)
		if _, err := rand.Read(key); err != nil {
			return "", err
		}
		keyPath := filepath.Join(o.Dir, "authkey")
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			return "", err
		}
		return fmt.Sprintf(`cluster_stack {
  authkey = %q
  token   = %d
  files = {
    %q = %q
    %q = %q
  }
}
`, keyPath, Token, osrlab.FenceIdentityFile, idFile, osrlab.FenceKnownHosts, knownHosts), nil
	case OCFS2:
		return `driver "ocfs2" {
  cluster_stack   = "o2cb"
  dead_threshold  = 15
  idle_timeout_ms = 30000
}
`, nil
	}
	return "", nil
}
