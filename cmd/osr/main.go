// SPDX-License-Identifier: Apache-2.0

// Command osr boots many Linux nodes from one shared root filesystem: it builds the
// shared-root initrd, answers questions about the cluster configuration, manages
// context dependent symlinks (CDSLs), and runs as /init inside the initrd.
//
// This program links no driver protocol (gRPC, protobuf, go-plugin): osr execs
// osr-driverhost in its place for the commands that talk to drivers (build,
// drivers, config validate, listfiles, kernel-hook) and for osr cluster fence,
// fence-ack, status and watch (which link the fence methods), and osr-init when it is
// started as the initrd's /init, systemd's /shutdown or fence_osr (see
// docs/layout.md).
package main

import "github.com/open-sharedroot/osr/internal/cli"

func main() { cli.Main() }
