// SPDX-License-Identifier: Apache-2.0

package reaper

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// siginfoPid returns si_pid from a siginfo filled by waitid. The kernel's
// union of signal details follows three ints, aligned to a pointer: at byte
// 16 on 64-bit systems, 12 on 32-bit ones; si_pid is its first field.
func siginfoPid(info *unix.Siginfo) int {
	off := uintptr(12)
	if unsafe.Sizeof(uintptr(0)) == 8 {
		off = 16
	}
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(info), off)))
}
