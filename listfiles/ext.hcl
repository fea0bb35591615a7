# ext.hcl — an ext3 or ext4 root (a single node's local root, or a local clone).
#
# The root is checked before it is mounted, as the originals did.

listfile {
  description = "ext3/ext4 root: e2fsck and its fsck.ext3/fsck.ext4 names"
  driver      = "ext3"
}

binary "e2fsck" {
  provided_by = "e2fsprogs"
}
binary "fsck.ext3" {
  provided_by = "e2fsprogs"
}
binary "fsck.ext4" {
  provided_by = "e2fsprogs"
}
file "/etc/e2fsck.conf" {
  optional = true
}
