// SPDX-License-Identifier: Apache-2.0

package clusterstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// UnitName is the systemd unit that watches the daemons on the running system.
const UnitName = "osr-clusterstack.service"

// Unit is the systemd unit the init writes into /run/systemd/system: it shows the
// daemons' state in systemctl and the journal, and fails when one of them ends.
// It never stops them: without default dependencies it is not stopped by the
// shutdown transaction, and its process only watches.
func Unit(root string) []byte {
	return []byte(fmt.Sprintf(`# Written by the osr init: corosync and dlm_controld run from the initrd's
# chroot %[1]s and keep the shared root alive. They are root storage daemons
# (argv[0] starts with '@'): systemd leaves them running until the end, and
# osr's /shutdown stops them after the root is unmounted.
[Unit]
Description=osr cluster stack (corosync and dlm_controld from the initrd)
DefaultDependencies=no

[Service]
Type=simple
ExecStart=%[1]s%[2]s cluster watch --root %[1]s
Restart=no
KillMode=process
`, root, OSRPath))
}

// WriteUnit writes Unit into systemdDir (/run/systemd/system) and wants it from
// sysinit.target.
func WriteUnit(systemdDir, root string) error {
	wants := filepath.Join(systemdDir, "sysinit.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return fmt.Errorf("systemd unit: %w", err)
	}
	p := filepath.Join(systemdDir, UnitName)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, Unit(root), 0o644); err != nil {
		return fmt.Errorf("systemd unit: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("systemd unit: %w", err)
	}
	link := filepath.Join(wants, UnitName)
	if err := os.Symlink("../"+UnitName, link); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("systemd unit: %w", err)
	}
	return nil
}

// Watch waits until one of the daemons of the chroot at root ends (or ctx ends)
// and says which. It is what the systemd unit runs.
func Watch(ctx context.Context, root string, logf func(format string, args ...any)) error {
	type watched struct {
		name string
		pid  int
		fd   int
	}
	var ws []watched
	defer func() {
		for _, w := range ws {
			unix.Close(w.fd)
		}
	}()
	for _, name := range []string{"corosync", "dlm_controld"} {
		pid, err := runningPID(root, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			return fmt.Errorf("watch %s (pid %d): %w", name, pid, err)
		}
		ws = append(ws, watched{name, pid, fd})
		logf("watching %s (pid %d)", name, pid)
	}
	fds := make([]unix.PollFd, len(ws))
	for i, w := range ws {
		fds[i] = unix.PollFd{Fd: int32(w.fd), Events: unix.POLLIN}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		n, err := unix.Poll(fds, 1000)
		if errors.Is(err, unix.EINTR) || n == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		for i, f := range fds {
			if f.Revents != 0 {
				return fmt.Errorf("%s (pid %d) has ended: the shared root has lost its cluster stack; the peers will fence this node", ws[i].name, ws[i].pid)
			}
		}
	}
}
