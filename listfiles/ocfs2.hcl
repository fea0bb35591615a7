# ocfs2.hcl — an OCFS2 root.
#
# osr brings the o2cb cluster online through configfs itself; the tools here repair
# and inspect the filesystem and let the rescue shell mount it by hand. Fedora and
# RHEL do not ship ocfs2-tools; Oracle Linux does.

listfile {
  description = "OCFS2 root: fsck.ocfs2 and mount.ocfs2, o2cb and debugging tools when present"
  driver      = "ocfs2"
}

binary "fsck.ocfs2" {
  provided_by = "ocfs2-tools"
}
binary "mount.ocfs2" {
  provided_by = "ocfs2-tools"
}
binary "debugfs.ocfs2" {
  optional    = true
  provided_by = "ocfs2-tools"
}
binary "o2cb_ctl" {
  optional    = true
  provided_by = "ocfs2-tools"
}
binary "o2cb" {
  optional    = true
  provided_by = "ocfs2-tools"
}
binary "mounted.ocfs2" {
  optional    = true
  provided_by = "ocfs2-tools"
}
# The o2cb configuration, when the root keeps one (the driver writes
# /etc/ocfs2/cluster.conf from the cluster configuration otherwise).
file "/etc/ocfs2/cluster.conf" {
  optional = true
}
file "/etc/default/o2cb" {
  optional = true
}
file "/etc/sysconfig/o2cb" {
  optional = true
}
