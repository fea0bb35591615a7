// SPDX-License-Identifier: Apache-2.0

// Command osr-driver-squashfs is an example of a third-party osr driver, kept in its
// own Go module and importing nothing of osr but framework/driver and its plugin transport. It serves roots
// made of a read-only squashfs image with a writable overlay on top, the way
// stateless nodes often boot.
//
// Build it with `go build`, drop the binary into a driver directory
// (/usr/libexec/osr/drivers or any --driver-dir) and run `osr build --driver squashfs`.
package main

import (
	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/plugin"
)

func main() {
	plugin.Serve(func(log hclog.Logger) driver.Driver { return newDriver(log) })
}
