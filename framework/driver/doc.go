// SPDX-License-Identifier: Apache-2.0

// Package driver is the contract between osr and its filesystem drivers, and the SDK
// that drivers are written with.
//
// A driver is a separate program, osr-driver-<name>, that osr starts through
// hashicorp/go-plugin and talks to over gRPC (protocol osr.driver.v1). A driver's main
// is one call:
//
//	func main() {
//		driver.Serve(func(log hclog.Logger) driver.Driver { return &myDriver{log: log} })
//	}
//
// where myDriver implements [Driver] and keeps the logger it is handed. osr calls
// Describe to learn the driver's name, version, filesystem types and configuration
// schema; decodes the user's driver "<name>" { … } block against that schema; asks
// ValidateConfig for diagnostics tied to attribute paths; and asks Plan for what the
// driver needs inside an initrd. A driver that also implements [Mounter] mounts the
// root at boot, making its mount(2) calls through a [MountExecutor].
//
// This package imports nothing else of osr, so a third party can write, test
// (package drivertest) and ship a driver against it alone.
package driver

// ProtocolVersion is the major version of the driver protocol. It is the go-plugin
// handshake version and the number in the protobuf package name (osr.driver.v1).
// A driver built for another major version is refused with a clear error.
const ProtocolVersion = 1
