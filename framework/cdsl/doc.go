// SPDX-License-Identifier: Apache-2.0

// Package cdsl manages context dependent symlinks (CDSLs) on a shared root, in the
// layout and inventory format of the comoonics CDSL tools.
//
// A hostdependent CDSL keeps one copy of a path per node under the tree
// (<tree>/<node>/<path>, plus <tree>/default as the template) and replaces the path
// with a relative symlink through the link dir, on which each node bind-mounts its
// own tree at boot. A shared CDSL makes a path inside a hostdependent one common
// again: every node's copy becomes a symlink into the shared tree. Nested CDSLs
// alternate and use the ".cdsl." expansion (see Expand).
//
// Every change is planned as journaled steps (package journal) under a lock that
// works between nodes (package lock), and every path is resolved inside the root
// (package rootfs).
//
//	r, err := cdsl.Open(ctx, cdsl.Options{Root: "/mnt/newroot"})
//	if err != nil { … }
//	defer r.Close()
//	_, err = r.Add("/var", inventory.Hostdependent, nil, cdsl.AddOptions{})
//
// The init at boot needs only the layout and the cdsltab: packages inventory
// (FindLayout) and cdsltab depend on nothing else of osr.
package cdsl
