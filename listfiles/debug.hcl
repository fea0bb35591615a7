# debug.hcl — tools for debugging a boot, taken only on request:
#   osr build --listfile debug …   or   initrd { listfiles = ["debug"] } in osr.hcl

listfile {
  description = "debugging tools for the rescue shell"
  on_request  = true
}

binary "strace" {
  optional    = true
  provided_by = "strace"
}
binary "less" {
  optional    = true
  provided_by = "less"
}
binary "lsblk" {
  optional    = true
  provided_by = "util-linux"
}
binary "blkid" {
  optional    = true
  provided_by = "util-linux"
}
binary "dmesg" {
  optional    = true
  provided_by = "util-linux"
}
binary "findmnt" {
  optional    = true
  provided_by = "util-linux"
}
binary "lsof" {
  optional    = true
  provided_by = "lsof"
}
