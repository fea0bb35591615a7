# nfs.hcl — an NFS root.
#
# osr mounts NFS roots with mount(2) and text options, which the kernel's NFS client
# parses itself (including the v3 MOUNT protocol), so no userland is required.
# mount.nfs is taken when present so that the rescue shell can mount by hand.

listfile {
  description = "NFS root: mount.nfs for the rescue shell (nothing required)"
  driver      = "nfs"
}

binary "mount.nfs" {
  optional    = true
  provided_by = { debian = "nfs-common", fedora = "nfs-utils" }
}
binary "mount.nfs4" {
  optional    = true
  provided_by = { debian = "nfs-common", fedora = "nfs-utils" }
}
file "/etc/netconfig" {
  optional    = true
  provided_by = { debian = "libtirpc-common", fedora = "libtirpc" }
}
