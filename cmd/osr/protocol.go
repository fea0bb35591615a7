package main

import "github.com/open-sharedroot/osr/framework/driver"

func driverProtocolVersion() int { return driver.ProtocolVersion }
