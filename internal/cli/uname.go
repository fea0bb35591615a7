// SPDX-License-Identifier: Apache-2.0

package cli

// kernelFlagUsage is --kernel's help: one meaning in every command, a kernel
// named by release or by image (see framework/kernelimage).
const kernelFlagUsage = "the kernel: its release `VERSION` (uname -r) or the path of its image (default: the running kernel)"
