// SPDX-License-Identifier: Apache-2.0

// Package driver is the contract between osr and its filesystem drivers, and the SDK
// that drivers are written with: the Driver and Mounter interfaces, the requests and
// answers, configuration schemas and diagnostics, and the MountExecutor drivers make
// their mount(2) calls through.
//
// A driver is a separate program, osr-driver-<name>, that osr starts through
// hashicorp/go-plugin and talks to over gRPC (protocol osr.driver.v1). That transport
// lives in package plugin beside this one, so that a program that only calls drivers
// in its own process links no gRPC. A driver's main is one call:
//
//	func main() {
//		plugin.Serve(func(log hclog.Logger) driver.Driver { return &myDriver{log: log} })
//	}
//
// where myDriver implements [Driver] and keeps the logger it is handed. osr calls
// Describe to learn the driver's name, version, filesystem types and configuration
// schema; decodes the user's driver "<name>" { … } block against that schema; asks
// ValidateConfig for diagnostics tied to attribute paths; and asks Plan for what the
// driver needs inside an initrd. A driver that also implements [Mounter] mounts the
// root at boot, making its mount(2) calls through a [MountExecutor].
//
// The drivers osr ships are also called in the image's init's own process at boot,
// through [Direct], with the same deadlines and the same answers as over gRPC.
//
// This package imports nothing else of osr, so a third party can write, test
// (package drivertest) and ship a driver against it alone.
package driver

// ProtocolVersion is the major version of the driver protocol. It is the go-plugin
// handshake version and the number in the protobuf package name (osr.driver.v1).
// A driver built for another major version is refused with a clear error.
const ProtocolVersion = 1
