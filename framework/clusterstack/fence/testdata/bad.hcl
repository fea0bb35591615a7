cluster "osrc" {
  node "node1" {
    id = 1
    fence "1" {
      device "nosuch" {
      }
    }
    fence "2" {
      device "bmc" {
        attributes = {
          pasword = "typo"
        }
      }
    }
  }

  node "node2" {
    id = 2
  }

  node "node3" {
    id = 3
    fence "1" {
      device "pdu" {
      }
    }
    fence "2" {
      device "old" {
      }
    }
  }

  fence_device "bmc" {
    agent = "fence_ipmilan"
    attributes = {
      login = "admin"
    }
  }

  fence_device "pdu" {
    agent = "fence_osr_ssh"
    attributes = {
      ipaddr  = "10.9.0.10"
      command = "off {port}"
    }
  }

  fence_device "old" {
    agent = "fence_apc"
  }
}
