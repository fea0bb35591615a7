# gfs2.hcl — a GFS2 root.
#
# A shared GFS2 root is mounted by many nodes at once, which needs the lock_dlm
# protocol: corosync for membership and quorum, dlm_controld to drive the kernel's
# DLM. Both must run from the initrd before the root is mounted (and go on running
# from RAM afterwards: a daemon that lives on the filesystem it keeps alive can
# deadlock it). fsck.gfs2 lets the rescue shell repair the filesystem.

listfile {
  description = "GFS2 root: fsck.gfs2 and the corosync/DLM cluster stack for lock_dlm"
  driver      = "gfs2"
}

binary "fsck.gfs2" {
  provided_by = "gfs2-utils"
}
binary "gfs2_edit" {
  optional    = true
  provided_by = "gfs2-utils"
}

# The cluster stack for lock_dlm.
binary "corosync" {
  provided_by = "corosync"
}
binary "corosync-cfgtool" {
  optional    = true
  provided_by = "corosync"
}
binary "corosync-quorumtool" {
  optional    = true
  provided_by = "corosync"
}
binary "dlm_controld" {
  provided_by = { debian = "dlm-controld", fedora = "dlm" }
}
binary "dlm_tool" {
  provided_by = { debian = "dlm-controld", fedora = "dlm" }
}

# corosync's configuration, when the root keeps one (the driver may generate it
# from the cluster configuration instead).
file "/etc/corosync/corosync.conf" {
  optional = true
}
file "/etc/corosync/authkey" {
  optional = true
}
directory "/etc/corosync/uidgid.d" {
  contents = true
  optional = true
}
file "/etc/dlm/dlm.conf" {
  optional = true
}
# corosync keeps its runtime state here.
directory "/var/lib/corosync" {
  mode = "0700"
}
directory "/var/log/cluster" {}

# kronosnet, corosync's transport, loads its crypto and compression plugins with
# dlopen, so they are not in any binary's library closure; NSS, which the default
# crypto plugin uses, loads its soft token the same way.
when {
  distro = "debian"

  package "libknet1" {
    include = ["/usr/lib/**/kronosnet/*.so"]
  }
  package "libnss3" {
    include  = ["/usr/lib/**/nss/*.so", "/usr/lib/**/nss/*.chk"]
    optional = true
  }
}
when {
  distro = "fedora"

  package "libknet1-crypto-nss-plugin" {
    optional = true
  }
  package "nss-softokn" {
    include  = ["/usr/lib64/libsoftokn3.*", "/usr/lib/libsoftokn3.*"]
    optional = true
  }
  package "nss-softokn-freebl" {
    include  = ["/usr/lib64/libfreeblpriv3.*", "/usr/lib/libfreeblpriv3.*"]
    optional = true
  }
}
