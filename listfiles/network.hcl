# network.hcl — name service files and network tools.
#
# osr's /init configures interfaces itself (from the cluster configuration or ip=),
# so nothing here is required; these files make names resolve and give the rescue
# shell the usual tools. glibc 2.34 and later have the files and dns NSS modules
# built in, so no libnss_*.so is needed for them.

listfile {
  description = "name service files and network tools for the rescue shell"
}

file "/etc/hosts" {
  optional = true
}
file "/etc/nsswitch.conf" {
  optional = true
}
file "/etc/host.conf" {
  optional = true
}
file "/etc/protocols" {
  optional    = true
  provided_by = { debian = "netbase", fedora = "setup" }
}
file "/etc/services" {
  optional    = true
  provided_by = { debian = "netbase", fedora = "setup" }
}
file "/etc/netconfig" {
  optional    = true
  provided_by = { debian = "libtirpc-common", fedora = "libtirpc" }
}

binary "ip" {
  optional    = true
  provided_by = { debian = "iproute2", fedora = "iproute" }
}
binary "ping" {
  optional    = true
  provided_by = { debian = "iputils-ping", fedora = "iputils" }
}
