// SPDX-License-Identifier: Apache-2.0

// Package rootprep turns an installed operating system into a shared root: on
// top of the CDSL infrastructure (package cdsl) it makes the standard set of
// paths hostdependent that a systemd distribution needs once per node
// (Standard), gives every node of the cluster its own identity — the
// hostname from the cluster configuration, a fresh machine-id and fresh ssh
// host keys — and fixes what would break a shared boot (a root entry in
// /etc/fstab, D-Bus's own copy of the machine-id).
//
// Only paths that exist are made hostdependent, except the hostname and the
// machine-id, which are created when missing; everything skipped is reported
// with the reason. Running Prepare again is safe: paths that already are
// CDSLs stay, and a node keeps the identity it already has.
//
//	r, _, err := cdsl.Init(ctx, cdsl.Options{Root: "/srv/root", Cluster: nodes}, inventory.V2Defaults(), "")
//	if err != nil { … }
//	defer r.Close()
//	res, err := rootprep.Prepare(r, rootprep.Options{Nodes: nodes})
package rootprep
