// SPDX-License-Identifier: Apache-2.0

package main

import "golang.org/x/sys/unix"

// runningKernel returns the release of the running kernel (uname -r).
func runningKernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
