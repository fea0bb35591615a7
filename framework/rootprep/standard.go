// SPDX-License-Identifier: Apache-2.0

package rootprep

import "github.com/open-sharedroot/osr/framework/cdsl/inventory"

// Entry is one path of the standard set.
type Entry struct {
	// Path is absolute; its last component may be a glob (ssh_host_*_key).
	Path string
	// Type is hostdependent, or shared for a path inside a hostdependent
	// entry that must stay common to all nodes.
	Type inventory.Type
	// Why says what breaks when every node shares the path (or, for a shared
	// entry, when the nodes have their own copies).
	Why string
	// Create, when not nil, is the content the path is created with when it
	// is missing (the node identity files); nil skips a missing path.
	Create []byte
}

const hd, sh = inventory.Hostdependent, inventory.Shared

// Standard is the standard set of a shared root, in the order it is applied
// (a shared entry after the hostdependent one it lies in). It follows the
// originals' set (/var/tmp /var/log /var/spool /var/account /var/cache
// /var/local /var/lib/dbus /var/lib/dhclient /var/lib/logrotate.status
// /etc/blkid /etc/sysconfig/network) brought up to date for systemd and
// Debian: the node identity files are per node, /var/lib is split by what
// is node state and what is the package system's, and /var/cache stays
// shared (Debian keeps its debconf database there).
//
// Deliberately not in the set, because they must stay common: /var/lib/dpkg,
// /var/lib/apt, /var/cache/debconf, /var/lib/ucf (the package database
// describes the one shared /usr and /etc), /var/lib/systemd's
// deb-systemd-helper records (they describe the shared /etc/systemd), /var/mail,
// /etc/fstab (a per-node mount belongs in /etc/cdsltab, or make /etc/fstab
// hostdependent by hand). /var/run and /var/lock are links into /run, a tmpfs
// of every node.
var Standard = []Entry{
	{Path: "/etc/hostname", Type: hd, Create: []byte("localhost\n"),
		Why: "each node's name; written from the cluster configuration"},
	{Path: "/etc/machine-id", Type: hd, Create: []byte("uninitialized\n"),
		Why: "journald, D-Bus and DHCP client ids need one id per machine; a shared one mixes the nodes' journals"},
	{Path: "/etc/machine-info", Type: hd, Why: "hostnamectl's pretty name and location of the node"},
	{Path: "/etc/adjtime", Type: hd, Why: "the drift of each node's hardware clock"},
	{Path: "/etc/ssh/ssh_host_*_key", Type: hd, Why: "each node's ssh host key; regenerated per node"},
	{Path: "/etc/ssh/ssh_host_*_key.pub", Type: hd, Why: "the public half of each node's ssh host key"},
	{Path: "/etc/network/interfaces", Type: hd, Why: "ifupdown's configuration of the node's NICs and addresses"},
	{Path: "/etc/network/interfaces.d", Type: hd, Why: "ifupdown's configuration of the node's NICs and addresses"},
	{Path: "/etc/systemd/network", Type: hd, Why: "systemd-networkd's configuration of the node's NICs and addresses"},
	{Path: "/etc/NetworkManager/system-connections", Type: hd, Why: "NetworkManager's connection profiles of the node"},
	{Path: "/etc/sysconfig/network", Type: hd, Why: "the node's network settings (Red Hat layout)"},
	{Path: "/etc/blkid", Type: hd, Why: "the cache of the node's block devices (old distributions)"},
	{Path: "/var/log", Type: hd, Why: "every node logs; the journal, rotated logs and wtmp would interleave"},
	{Path: "/var/tmp", Type: hd, Why: "services' private /var/tmp dirs; one node's cleanup would delete another's live files"},
	{Path: "/var/spool", Type: hd, Why: "queues that daemons lock and work through (cron, at, mail, print)"},
	{Path: "/var/local", Type: hd, Why: "data of the machine's local administrator"},
	{Path: "/var/account", Type: hd, Why: "process accounting of the node"},
	{Path: "/var/lib/systemd", Type: hd,
		Why: "random-seed (a shared seed gives every node the same entropy), timer stamps, coredumps, linger, backlight, rfkill"},
	{Path: "/var/lib/systemd/deb-systemd-helper-enabled", Type: sh,
		Why: "Debian's record of the units enabled in the shared /etc/systemd; package scripts on any node must see one record"},
	{Path: "/var/lib/systemd/deb-systemd-helper-masked", Type: sh,
		Why: "Debian's record of the units masked in the shared /etc/systemd"},
	{Path: "/var/lib/private", Type: hd, Why: "state of services with DynamicUser="},
	{Path: "/var/cache/private", Type: hd, Why: "caches of services with DynamicUser="},
	{Path: "/var/lib/dhcp", Type: hd, Why: "dhclient's leases (Debian)"},
	{Path: "/var/lib/dhclient", Type: hd, Why: "dhclient's leases (Red Hat)"},
	{Path: "/var/lib/dhcpcd", Type: hd, Why: "dhcpcd's leases and DUID"},
	{Path: "/var/lib/NetworkManager", Type: hd, Why: "NetworkManager's leases, DUIDs and device state"},
	{Path: "/var/lib/nfs", Type: hd, Why: "rpc.statd's NSM state number and monitor list identify one host to NFS servers"},
	{Path: "/var/lib/logrotate", Type: hd, Why: "logrotate's status of the node's own /var/log"},
	{Path: "/var/lib/logrotate.status", Type: hd, Why: "logrotate's status (Red Hat)"},
	{Path: "/var/lib/urandom", Type: hd, Why: "the random seed of sysvinit-era systems"},
	{Path: "/var/lib/chrony", Type: hd, Why: "chronyd's drift file of the node's clock"},
	{Path: "/var/lib/ntp", Type: hd, Why: "ntpd's drift file of the node's clock"},
	{Path: "/var/lib/rsyslog", Type: hd, Why: "rsyslog's queue and journal cursor"},
	{Path: "/var/lib/postfix", Type: hd, Why: "postfix's master lock and PRNG state"},
	{Path: "/var/lib/sss", Type: hd, Why: "sssd's cache databases, written by each node's sssd"},
}
