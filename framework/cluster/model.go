// SPDX-License-Identifier: Apache-2.0

// Package cluster is osr's model of a shared-root cluster: its nodes, how each node finds
// itself (by MAC), how its network is set up and where its root filesystem lives.
//
// A cluster is read from a Red Hat cluster.conf with the comoonics <com_info> elements
// (ReadClusterConf) or from osr's native HCL cluster file (ReadHCL); Load picks the
// reader by content. Every value keeps the spelling it was written with, so writing a
// cluster back out (package cluster/render) loses nothing. Typed views (parsed MACs and
// addresses, effective defaults) are methods. Validate reports every problem at once,
// each with the file, the line and the node.
//
// The package imports nothing else of osr: the initrd build embeds and validates a
// cluster with it, and the init finds its own node with NodeByMAC.
package cluster

import "fmt"

// Pos is where something was written: a file and a 1-based line (0 when unknown,
// for example for a cluster built in code).
type Pos struct {
	File string
	Line int
}

// String renders the position as "file:line", or just the file when the line is unknown.
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "<input>"
	case p.Line == 0:
		return p.File
	case p.File == "":
		return fmt.Sprintf("<input>:%d", p.Line)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Attr is one attribute as written, kept in document order.
type Attr struct {
	Name  string
	Value string
}

// Element is a piece of configuration osr does not model (for example <cman>, <totem>,
// <fence_daemon> or a service in <rm>). It is kept as written so that conversions
// carry it along.
type Element struct {
	Name     string
	Attrs    []Attr
	Text     string
	Children []Element
	Pos      Pos
}

// Cluster is one cluster configuration.
type Cluster struct {
	// Name is the cluster's name (<cluster name>).
	Name string
	// ConfigVersion is <cluster config_version> as written.
	ConfigVersion string
	// Type is <cluster type> ("gfs" in the originals' wording); usually empty.
	Type string
	// Attrs are the other attributes of <cluster>.
	Attrs []Attr
	// Nodes in the order they were written.
	Nodes []*Node
	// ReadWarnings are what the reader accepted but doubts (unknown attributes
	// in com_info, ignored); Warnings adds the doubts of validation.
	ReadWarnings []Problem
	// FenceDevices are the shared fence devices (<fencedevices>).
	FenceDevices []FenceDevice
	// FailoverDomains are the resource manager's failover domains (<rm><failoverdomains>).
	FailoverDomains []FailoverDomain
	// RMAttrs and RMExtra keep the rest of <rm> (resources, services, …).
	RMAttrs []Attr
	RMExtra []Element
	// HasRM records that the configuration had an <rm> element, even an empty one.
	HasRM bool
	// Extra keeps the other children of <cluster> (cman, totem, fence_daemon, …).
	Extra []Element
	// Pos is where the cluster element starts; Pos.File names the file it was read from.
	Pos Pos
	// Format is the format the cluster was read from.
	Format Format
}

// Format names a cluster configuration format.
type Format string

// The formats osr reads.
const (
	FormatClusterConf Format = "clusterconf"
	FormatHCL         Format = "hcl"
)

// Node is one cluster node (<clusternode>) with its comoonics information (<com_info>).
type Node struct {
	// ID is the node id (<clusternode nodeid>); 0 when it was not given.
	ID int
	// Name is the node name (<clusternode name>).
	Name string
	// Votes is <clusternode votes> as written; see EffectiveVotes.
	Votes string
	// Attrs are the other attributes of <clusternode>.
	Attrs []Attr
	// HasComInfo records that the node had a <com_info> element.
	HasComInfo bool
	// RootVolume is the root filesystem (<rootvolume>); nil when not given.
	RootVolume *RootVolume
	// RootSource is <rootsource name>: scsi, iscsi://host:port/target, drbd, …
	RootSource string
	// NICs are the node's network interfaces (<eth>) in the order written.
	NICs []NIC
	// Syslog is where the node logs during boot (<syslog>); nil when not given.
	Syslog *Syslog
	// SCSI is the storage setup (<scsi>); nil when not given.
	SCSI *SCSI
	// ChrootEnv is where the cluster-services chroot lives (<chrootenv>); nil when not given.
	ChrootEnv *ChrootEnv
	// Filesystems are extra filesystems the init mounts (<filesystems>).
	Filesystems []Filesystem
	// FenceAckServer configures the fence acknowledge server (<fenceackserver>); nil when not given.
	FenceAckServer *FenceAckServer
	// Hostname is <hostname name>, when given.
	Hostname string
	// Fence are the node's fence methods (<fence><method>), in order. A <fence>
	// without methods is kept in Extra as written.
	Fence []FenceMethod
	// ComInfoExtra and Extra keep unmodelled children of <com_info> and <clusternode>.
	ComInfoExtra []Element
	Extra        []Element
	// Pos is where the node starts.
	Pos Pos
}

// RootVolume is the node's root filesystem.
type RootVolume struct {
	// Name is the device, or server:/path for NFS.
	Name string
	// FSType is the filesystem type as written; see Node.RootFS for the effective one.
	FSType string
	// MountOpts are the mount options as written; see Node.MountOpts for the effective ones.
	MountOpts string
	Pos       Pos
}

// NIC is one network interface (<eth>). The fields hold the values as written; the
// methods give typed views (HardwareAddr, Addr, Prefix, GatewayAddr, IsDHCP, OnBoot, IsSlave).
type NIC struct {
	Name    string
	MAC     string
	IP      string // an address, "dhcp" or empty
	Mask    string // a dotted netmask or a prefix length
	Gateway string
	Master  string // the bond this NIC is enslaved to
	Slave   string // "yes" when the NIC is a bond slave
	Type    string // Ethernet, Bridge, …
	Bridge  string // the bridge this NIC belongs to
	OnBoot  string // "no" keeps the NIC down (it still identifies the node)
	Driver  string // kernel module to load for the NIC
	// Properties are copied verbatim into the interface configuration (BONDING_OPTS, DELAY, …).
	Properties []Property
	Pos        Pos
}

// Property is one <property name="…">value</property> of a NIC. Older files wrote the
// value as an attribute; ValueAttr records that spelling so it is written back the same way.
type Property struct {
	Name      string
	Value     string
	ValueAttr bool
}

// Syslog is the node's boot-time logging (<syslog>).
type Syslog struct {
	Name   string // loghost[,loghost2]
	Level  string
	Subsys string
	Type   string // syslogd, rsyslogd, syslog-ng
	Filter string
}

// SCSI is the node's storage setup (<scsi>).
type SCSI struct {
	Failover string // driver, mapper, devicemapper, rdac, gnbd
	Driver   string // HBA driver module
	Name     string
}

// ChrootEnv is where the cluster-services chroot lives (<chrootenv>).
type ChrootEnv struct {
	Mountpoint string
	FSType     string
	Device     string
	ChrootDir  string
	MountOpts  string
}

// Filesystem is an extra filesystem mounted by the init (<filesystem>).
type Filesystem struct {
	Source     string
	Dest       string
	FSType     string
	MountOpts  string
	MountWait  string
	MountTimes string
	Pos        Pos
}

// FenceAckServer configures the fence acknowledge server (imsd).
type FenceAckServer struct {
	Port string
	User string
	// Passwd is a secret: a configuration holding one must be stored readable by root only.
	Passwd string
	SSL    *SSL
}

// SSL holds the fence acknowledge server's certificate files.
type SSL struct {
	CertFile   string
	KeyFile    string
	VerifyFile string
}

// FenceMethod is one of a node's fence methods.
type FenceMethod struct {
	Name    string
	Attrs   []Attr
	Devices []FenceDeviceRef
	// Pos is where the method starts.
	Pos Pos
}

// FenceDeviceRef names a fence device and its per-node parameters (port, nodename, …).
type FenceDeviceRef struct {
	Name  string
	Attrs []Attr
	// Pos is where the reference is written.
	Pos Pos
}

// FenceDevice is a shared fence device (<fencedevice>).
type FenceDevice struct {
	Name  string
	Agent string
	Attrs []Attr
	Pos   Pos
}

// FailoverDomain is a resource manager failover domain.
type FailoverDomain struct {
	Name  string
	Attrs []Attr // ordered, restricted, nofailback, …
	Nodes []FailoverDomainNode
	Pos   Pos
}

// FailoverDomainNode is a member of a failover domain; a lower priority is preferred.
type FailoverDomainNode struct {
	Name     string
	Priority string
}
