// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FindRoot returns the cluster stack's chroot as osr running as /shutdown can
// reach it, and false when no cluster stack runs. When osr pivoted into the
// chroot itself, the pid files are at "/". When systemd-shutdown switched into
// /run/initramfs, it bound the system's /run over the chroot's run/, hiding the
// pid files, and brought none of the chroot's own mounts (its /dev/shm, where
// the daemons' IPC lives): then the root is /proc/PID/root of the running
// corosync, the chroot as corosync sees it. proc is where procfs is mounted.
func FindRoot(proc string) (string, bool) {
	if _, err := os.Stat(PIDFile("/", "corosync")); err == nil {
		return "/", true
	}
	entries, err := os.ReadDir(proc)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		comm, err := os.ReadFile(filepath.Join(proc, e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "corosync" {
			continue
		}
		root := filepath.Join(proc, e.Name(), "root")
		// Only the corosync osr started: its own pid file names it.
		if got, err := ReadPID(root, "corosync"); err == nil && got == pid {
			return root, true
		}
	}
	return "", false
}
