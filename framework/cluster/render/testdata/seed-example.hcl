cluster "" {

  node "gfs-node1" {
    id         = 1
    votes      = 1
    rootsource = "scsi|iscsi://host:port/target|drbd…|gnbd…"
    hostname   = "…"
    rootvolume {
      name      = "/dev/VG_SR/LV_SR"
      fstype    = "gfs|gfs2|ocfs2|nfs|nfs4|ext3|ext4|glusterfs"
      mountopts = "noatime,…"
    }
    eth "eth0" {
      mac     = "00:0C:29:3B:AA:BB"
      ip      = "10.0.0.1|dhcp"
      mask    = "255.255.255.0"
      gateway = "…"
      master  = "bond0"
      slave   = "yes"
      type    = "Ethernet|BRIDGE|…"
      bridge  = "br0"
      onboot  = "yes|no"
      driver  = "e1000"
      properties = {
        BONDING_OPTS = "BONDING_OPTS=\"miimon=100 mode=1\""
      }
    }
    syslog {
      name   = "loghost[,loghost2]"
      type   = "syslogd|rsyslogd|syslog-ng"
      filter = "kern,daemon.info"
    }
    scsi {
      failover = "driver|mapper|devicemapper|rdac|gnbd"
      driver   = "qla2xxx"
    }
    chrootenv {
      mountpoint = "/var/comoonics/chroot"
      fstype     = "tmpfs|ext3"
      device     = "none|/dev/sda2"
      chrootdir  = "/var/comoonics/chroot"
      mountopts  = "defaults"
    }
    filesystem {
      source     = "/cluster/cdsl/%(param0)s/var"
      dest       = "/var"
      fstype     = "bind|rbind|…"
      mountopts  = "…"
      mountwait  = "1"
      mounttimes = "1"
    }
    fenceackserver {
      port   = "…"
      user   = "root"
      passwd = "…"
      ssl {
      }
    }
    extra "fence" {
      text = "…"
    }
  }
}
