cluster "lab" {
  config_version = "3"

  node "n1" {
    id = 1
    rootvolume {
      name   = "192.168.122.1:/nfsroot"
      fstype = "nfs4"
    }
    eth "eth0" {
      mac     = "52:54:00:00:01:71"
      ip      = "192.168.122.11"
      mask    = "24"
      gateway = "192.168.122.1"
    }
  }

  node "n2" {
    id    = 2
    votes = 2
    rootvolume {
      name   = "192.168.122.1:/nfsroot"
      fstype = "nfs4"
    }
    eth "eth0" {
      mac = "52-54-00-00-01-72"
      ip  = "dhcp"
    }
    fenceackserver {
      user   = "root"
      passwd = "hunter2"
    }
  }

  failover_domain "all" {
    member "n1" {
      priority = 1
    }
    member "n2" {
      priority = 2
    }
  }
}
