// SPDX-License-Identifier: Apache-2.0

// Package listfile loads osr's listfiles and resolves them against a root
// filesystem into the items of an initrd.
//
// A listfile is an HCL file that names what an image needs from the root: files,
// binaries (looked up in the root's sbin and bin directories), directories (empty,
// or a copied tree), symlinks, and packages (every file a dpkg or rpm package owns,
// as its own database says). Each entry may be optional, may go elsewhere in the
// image (dest), and may be limited by when blocks to distributions (os-release ID
// and ID_LIKE), drivers, filesystem types and architectures:
//
//	listfile {
//	  description = "GFS2 userland"
//	  driver      = "gfs2"
//	}
//
//	binary "fsck.gfs2" {
//	  provided_by = "gfs2-utils"
//	}
//
//	when {
//	  distro = "debian"
//	  package "dlm-controld" { optional = true }
//	}
//
// Listfiles live in directories read in order (SystemDirs: the shipped ones, then
// the drop-ins of /etc/osr/listfiles.d); a file replaces the same-named file of an
// earlier directory, and an empty one masks it. Load reads them; Set.Resolve turns
// them into Items for one Query, each with the Origin (listfile and line) that asked
// for it. WriteText and WriteJSON show items with their origins. docs/listfiles.md
// is the user's guide to the format.
//
// Typical use:
//
//	set, diags := listfile.Load(listfile.SystemDirs, root)
//	if diags.HasErrors() {
//		set.WriteDiagnostics(os.Stderr, diags, 0)
//		return
//	}
//	items, report, err := set.Resolve(ctx, listfile.Query{Root: root, Driver: "gfs2", FSType: "gfs2"})
package listfile
