# base.hcl — what osr's /init needs on every node, whatever the root filesystem.
#
# /init is osr itself (a static binary the build adds on its own); this file adds
# the layout it mounts into, the files it reads, and a shell for the rescue prompt.
# Replace it with /etc/osr/listfiles.d/base.hcl, or mask it with an empty file of
# that name. See docs/listfiles.md.

listfile {
  description = "layout, os-release, dynamic linker configuration and a rescue shell"
}

# The top-level directories keep the root's shape: on a merged-/usr root /bin,
# /sbin, /lib and /lib64 are links into /usr and stay links in the image, so paths
# such as /bin/sh or the dynamic linker's /lib64/ld-linux-x86-64.so.2 work inside it.
directory "/bin" {}
directory "/sbin" {}
directory "/lib" {}
directory "/usr/bin" {}
directory "/usr/sbin" {}
directory "/usr/lib" {}

when {
  arch = ["amd64", "arm64", "ppc64le", "s390x", "riscv64"]

  directory "/lib64" {
    optional = true
  }
}

# Mount points for the API filesystems and the new root.
directory "/proc" {
  mode = "0555"
}
directory "/sys" {
  mode = "0555"
}
directory "/dev" {}
directory "/run" {}
directory "/tmp" {
  mode = "01777"
}
directory "/sysroot" {}

file "/etc/os-release" {
  provided_by = { debian = "base-files", fedora = "fedora-release-common", rhel = "redhat-release" }
}

# The dynamic linker finds Debian's multiarch libraries (/usr/lib/x86_64-linux-gnu)
# only through its cache, so the cache goes along with the configuration.
file "/etc/ld.so.conf" {
  optional = true
}
directory "/etc/ld.so.conf.d" {
  contents = true
  optional = true
}
file "/etc/ld.so.cache" {
  optional    = true
  provided_by = { debian = "libc-bin", fedora = "glibc" }
}

# Module options and blacklists, honoured by osr's module loader.
directory "/etc/modprobe.d" {
  contents = true
  optional = true
}
directory "/usr/lib/modprobe.d" {
  contents = true
  optional = true
}

# The rescue shell: busybox gives a whole toolbox in one binary; bash and the
# root's /bin/sh are the fallback. All optional: without one, a failed boot
# prints what failed and what to do, and stops.
binary "busybox" {
  optional    = true
  provided_by = { debian = ["busybox-static", "busybox"], fedora = "busybox" }
}
binary "bash" {
  optional    = true
  provided_by = "bash"
}
file "/bin/sh" {
  optional = true
}

# Module tools for the rescue shell (osr loads modules itself).
binary "kmod" {
  optional    = true
  provided_by = "kmod"
}
binary "modprobe" {
  optional    = true
  provided_by = "kmod"
}
binary "lsmod" {
  optional    = true
  provided_by = "kmod"
}
