// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"sort"
	"strconv"
	"strings"
)

// DefaultRootFS is the root filesystem type of a node that names none; the originals
// defaulted to gfs.
const DefaultRootFS = "gfs"

// FSDefaults are the values a root filesystem type implies when the configuration
// leaves them out, as the originals' per-filesystem boot libraries had them.
type FSDefaults struct {
	// MountOpts are the root mount options.
	MountOpts string
	// LockMethod is the lock protocol the filesystem's cluster stack uses ("" for none).
	LockMethod string
	// SCSIFailover is the multipath style for the root device.
	SCSIFailover string
	// MountTimes and MountWait are how often the root mount is tried and the seconds
	// waited before each try.
	MountTimes int
	MountWait  int
	// ReadOnly is set for filesystems mounted read-only by default (a local ext3 root).
	ReadOnly bool
	// Shared tells whether several nodes can mount the filesystem at once.
	Shared bool
}

var fsDefaults = map[string]FSDefaults{
	"gfs":       {MountOpts: "noatime,localflocks", LockMethod: "lock_dlm", SCSIFailover: "driver", MountTimes: 1, Shared: true},
	"gfs2":      {MountOpts: "noatime,localflocks", LockMethod: "lock_dlm", SCSIFailover: "driver", MountTimes: 1, Shared: true},
	"ocfs2":     {MountOpts: "noatime", LockMethod: "ocfs2_dlm", SCSIFailover: "mapper", MountTimes: 1, Shared: true},
	"nfs":       {MountOpts: "nolock", SCSIFailover: "driver", MountTimes: 30, MountWait: 10, Shared: true},
	"nfs4":      {MountOpts: "", SCSIFailover: "driver", MountTimes: 30, MountWait: 10, Shared: true},
	"ext3":      {MountOpts: "ro", SCSIFailover: "driver", MountTimes: 1, ReadOnly: true},
	"ext4":      {MountOpts: "ro", SCSIFailover: "driver", MountTimes: 1, ReadOnly: true},
	"glusterfs": {MountOpts: "noatime,nodiratime", SCSIFailover: "mapper", MountTimes: 1, Shared: true},
}

// DefaultsFor returns the defaults of a root filesystem type and whether osr knows the type.
func DefaultsFor(fstype string) (FSDefaults, bool) {
	d, ok := fsDefaults[fstype]
	return d, ok
}

// KnownFSTypes lists the root filesystem types osr knows, sorted.
func KnownFSTypes() []string {
	names := make([]string, 0, len(fsDefaults))
	for n := range fsDefaults {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// The chroot environment's defaults (the cluster-services chroot lives in a tmpfs).
const (
	DefaultChrootFSType     = "tmpfs"
	DefaultChrootDevice     = "none"
	DefaultChrootMountpoint = "/var/comoonics/chroot"
	DefaultChrootMountOpts  = "defaults"
)

// RootVolumeName is the node's root device, or "" when it names none.
func (n *Node) RootVolumeName() string {
	if n.RootVolume == nil {
		return ""
	}
	return n.RootVolume.Name
}

// RootFS is the node's root filesystem type: as written, else DefaultRootFS.
func (n *Node) RootFS() string {
	if n.RootVolume != nil && n.RootVolume.FSType != "" {
		return n.RootVolume.FSType
	}
	return DefaultRootFS
}

// MountOpts are the node's root mount options: as written, else the filesystem's default.
func (n *Node) MountOpts() string {
	if n.RootVolume != nil && n.RootVolume.MountOpts != "" {
		return n.RootVolume.MountOpts
	}
	d, _ := DefaultsFor(n.RootFS())
	return d.MountOpts
}

// SyslogServer is the node's log host list as written, or "".
func (n *Node) SyslogServer() string {
	if n.Syslog == nil {
		return ""
	}
	return n.Syslog.Name
}

// SCSIFailover is the node's multipath style: as written, else the filesystem's default
// ("driver" for filesystems osr does not know, as the originals had it).
func (n *Node) SCSIFailover() string {
	if n.SCSI != nil && n.SCSI.Failover != "" {
		return n.SCSI.Failover
	}
	if d, ok := DefaultsFor(n.RootFS()); ok {
		return d.SCSIFailover
	}
	return "driver"
}

// EffectiveVotes is the node's quorum votes: as written, else 1.
func (n *Node) EffectiveVotes() int {
	if v, err := strconv.Atoi(strings.TrimSpace(n.Votes)); err == nil {
		return v
	}
	return 1
}

// Chroot returns the node's chroot environment with the defaults filled in.
func (n *Node) Chroot() ChrootEnv {
	c := ChrootEnv{}
	if n.ChrootEnv != nil {
		c = *n.ChrootEnv
	}
	if c.FSType == "" {
		c.FSType = DefaultChrootFSType
	}
	if c.Device == "" {
		c.Device = DefaultChrootDevice
	}
	if c.Mountpoint == "" {
		c.Mountpoint = DefaultChrootMountpoint
	}
	if c.ChrootDir == "" {
		c.ChrootDir = c.Mountpoint
	}
	if c.MountOpts == "" {
		c.MountOpts = DefaultChrootMountOpts
	}
	return c
}
