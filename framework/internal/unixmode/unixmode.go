// SPDX-License-Identifier: Apache-2.0

// Package unixmode converts between Go's fs.FileMode and the 07777 permission
// bits of chmod(2), cpio headers and JSON (setuid 04000, setgid 02000, sticky 01000).
package unixmode

import "io/fs"

// ToUnix returns m's permission, setuid, setgid and sticky bits in chmod's form.
func ToUnix(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// FromUnix returns the fs.FileMode bits of chmod-style permission bits u.
func FromUnix(u uint32) fs.FileMode {
	m := fs.FileMode(u & 0o777)
	if u&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if u&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if u&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
