// SPDX-License-Identifier: Apache-2.0

// Package plugin carries the driver contract of package driver between processes:
// hashicorp/go-plugin with gRPC (protocol osr.driver.v1). Serve is the whole main of
// a driver program; Launch starts a driver program, checks its sha256 and handshake,
// runs it in its own process group and returns it as a driver.Driver whose calls
// are bounded by driver.Timeouts.
//
// Only programs that start or serve driver processes import this package: the build
// host (osr-driverhost), the drivers, and the image's init when its driver is a
// separate program. gRPC and protobuf are initialised in every program that links
// them, so the rest of osr stays out.
package plugin
