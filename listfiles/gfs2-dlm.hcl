# gfs2-dlm.hcl — the cluster stack of a GFS2 root mounted with lock_dlm.
#
# A shared GFS2 root is mounted by many nodes at once, which needs the lock_dlm
# protocol: corosync for membership and quorum, dlm_controld to drive the kernel's
# DLM. Both must run from the initrd before the root is mounted (and go on running
# from RAM afterwards: a daemon that lives on the filesystem it keeps alive can
# deadlock it). Taken on request: the gfs2 driver names it in its plan when
# lock_protocol is lock_dlm.

listfile {
  description = "corosync and dlm_controld for GFS2 with lock_dlm"
  on_request  = true
}

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
