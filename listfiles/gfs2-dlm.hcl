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

# osr starts the daemons in a chroot on a tmpfs (/run/initramfs) built from this
# listfile's items, their libraries and the configuration osr writes from the
# cluster configuration (corosync.conf, dlm.conf, the authkey).
binary "corosync" {
  provided_by = "corosync"
}
binary "corosync-cfgtool" {
  provided_by = "corosync"
}
binary "corosync-quorumtool" {
  provided_by = "corosync"
}
binary "corosync-cmapctl" {
  provided_by = "corosync"
}
binary "corosync-cpgtool" {
  optional    = true
  provided_by = "corosync"
}
binary "dlm_controld" {
  provided_by = { debian = "dlm-controld", fedora = "dlm" }
}
binary "dlm_tool" {
  provided_by = { debian = "dlm-controld", fedora = "dlm" }
}

directory "/etc/corosync/uidgid.d" {
  contents = true
  optional = true
}
# corosync keeps its runtime state here.
directory "/var/lib/corosync" {
  mode = "0700"
}
directory "/var/log/cluster" {}

# kronosnet, corosync's transport, loads its crypto plugin with dlopen, so it is
# in no binary's library closure; NSS, which that plugin uses, loads its soft token
# the same way (with the .chk files it checks), and glibc loads libgcc_s for thread
# cancellation. osr's corosync.conf uses crypto_model nss and no compression, so
# the other plugins stay out.
when {
  distro = "debian"

  package "libknet1" {
    include = ["/usr/lib/**/kronosnet/crypto_nss.so"]
  }
  package "libnss3" {
    include = ["/usr/lib/**/libsoftokn3.*", "/usr/lib/**/libfreeblpriv3.*", "/usr/lib/**/libfreebl3.*"]
  }
  package "libgcc-s1" {
    include = ["/lib/**/libgcc_s.so.1", "/usr/lib/**/libgcc_s.so.1"]
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
