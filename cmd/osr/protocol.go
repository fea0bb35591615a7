// SPDX-License-Identifier: Apache-2.0

package main

import "github.com/open-sharedroot/osr/framework/driver"

func driverProtocolVersion() int { return driver.ProtocolVersion }
