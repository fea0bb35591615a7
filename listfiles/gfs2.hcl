# gfs2.hcl — a GFS2 root: the tools to check and inspect it from the rescue shell.
# The cluster stack that lock_dlm needs is in gfs2-dlm.hcl, which the gfs2 driver
# asks for when its lock_protocol is lock_dlm.

listfile {
  description = "GFS2 root: fsck.gfs2 and gfs2_edit"
  driver      = "gfs2"
}

binary "fsck.gfs2" {
  optional    = true
  provided_by = "gfs2-utils"
}
binary "gfs2_edit" {
  optional    = true
  provided_by = "gfs2-utils"
}
