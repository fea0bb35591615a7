cluster "sharedroot" {
  config_version = "42"
  type           = "gfs"

  extra "cman" {
    attributes = {
      expected_votes = "3"
      two_node       = "0"
    }
    extra "multicast" {
      attributes = {
        addr = "239.192.10.1"
      }
    }
  }

  extra "fence_daemon" {
    attributes = {
      post_fail_delay = "0"
      clean_start     = "1"
      post_join_delay = "20"
    }
  }

  node "node1" {
    id         = 1
    votes      = 1
    rootsource = "scsi"
    rootvolume {
      name   = "/dev/VG_SR/LV_SR"
      fstype = "gfs2"
    }
    eth "bond0" {
      ip      = "10.1.0.11"
      mask    = "255.255.255.0"
      gateway = "10.1.0.254"
      type    = "Ethernet"
      properties = {
        BONDING_OPTS = "BONDING_OPTS=\"miimon=100 mode=active-backup\""
      }
    }
    eth "eth0" {
      mac    = "00:1A:64:00:01:A0"
      master = "bond0"
      slave  = "yes"
      driver = "e1000e"
    }
    eth "eth1" {
      mac    = "00:1A:64:00:01:A1"
      master = "bond0"
      slave  = "yes"
      driver = "e1000e"
    }
    eth "eth2" {
      mac    = "00:1A:64:00:01:A2"
      ip     = "192.168.100.11"
      mask   = "24"
      onboot = "no"
    }
    syslog {
      name   = "loghost1,loghost2"
      type   = "rsyslogd"
      filter = "kern,daemon.info"
    }
    scsi {
      failover = "mapper"
      driver   = "qla2xxx"
    }
    chrootenv {
      mountpoint = "/var/comoonics/chroot"
      fstype     = "ext3"
      device     = "/dev/sda2"
      chrootdir  = "/var/comoonics/chroot"
      mountopts  = "defaults"
    }
    filesystem {
      source     = "/dev/VG_SR/LV_DATA"
      dest       = "/data"
      fstype     = "gfs2"
      mountopts  = "noatime"
      mountwait  = "2"
      mounttimes = "3"
    }
    fenceackserver {
      port   = "12242"
      user   = "root"
      passwd = "s3cret"
      ssl {
        certfile = "/etc/imsd/cert.pem"
        keyfile  = "/etc/imsd/key.pem"
      }
    }
    fence "1" {
      device "ipmi-node1" {
      }
    }
    fence "2" {
      device "manual" {
        attributes = {
          nodename = "node1"
        }
      }
    }
  }

  node "node2" {
    id    = 2
    votes = 1
    rootvolume {
      name      = "/dev/VG_SR/LV_SR"
      fstype    = "gfs2"
      mountopts = "noatime,localflocks,acl"
    }
    eth "eth0" {
      mac = "00:1a:64:00:02:b0"
      ip  = "dhcp"
    }
    eth "eth1" {
      mac     = "00-1a-64-00-02-b1"
      ip      = "10.2.0.12"
      mask    = "255.255.0.0"
      gateway = "10.2.255.254"
      bridge  = "br0"
    }
    syslog {
      name = "loghost1"
    }
    fence "1" {
      device "ipmi-node2" {
      }
    }
  }

  node "node3" {
    id = 3
    rootvolume {
      name   = "/dev/VG_SR/LV_SR"
      fstype = "gfs2"
    }
    eth "eth0" {
      mac     = "52:54:00:00:03:C0"
      ip      = "10.1.0.13"
      mask    = "255.255.255.0"
      gateway = "10.1.0.254"
    }
    eth "eth0.45" {
      mac  = "52:54:00:00:03:C0"
      ip   = "192.168.45.13"
      mask = "255.255.255.0"
      type = "Ethernet"
    }
  }

  fence_device "ipmi-node1" {
    agent = "fence_ipmilan"
    attributes = {
      ipaddr = "10.9.0.1"
      login  = "admin"
      passwd = "ipmipass"
    }
  }

  fence_device "ipmi-node2" {
    agent = "fence_ipmilan"
    attributes = {
      ipaddr        = "10.9.0.2"
      login         = "admin"
      passwd_script = "/usr/local/sbin/ipmi-pw"
    }
  }

  fence_device "manual" {
    agent = "fence_manual"
  }

  failover_domain "web" {
    attributes = {
      ordered    = "1"
      restricted = "0"
    }
    member "node1" {
      priority = 2
    }
    member "node2" {
      priority = 10
    }
    member "node3" {
      priority = 1
    }
  }

  failover_domain "db" {
    member "node2" {
      priority = 1
    }
    member "node1" {
      priority = 1
    }
  }

  failover_domain "empty" {
  }

  rm {
    attributes = {
      log_level = "5"
    }
    extra "resources" {
      extra "ip" {
        attributes = {
          address      = "10.1.0.100"
          monitor_link = "1"
        }
      }
    }
    extra "service" {
      attributes = {
        autostart = "1"
        domain    = "web"
        name      = "httpd"
      }
      extra "ip" {
        attributes = {
          ref = "10.1.0.100"
        }
      }
    }
  }
}
