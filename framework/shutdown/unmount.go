// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"errors"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// errTimeout marks an unmount call that did not return in time.
var errTimeout = errors.New("timed out")

// unmountTree unmounts root and every mount below it, the last mounted
// first, pass after pass until none is left, a pass changes nothing, or the
// budget is spent. Each mount is tried with MNT_FORCE (NFS aborts its
// pending requests instead of waiting for a server that may be gone), and
// when that fails or does not return in time, detached with MNT_DETACH. It
// returns what is still mounted.
func (c *Config) unmountTree(root string) []string {
	root = filepath.Clean(root)
	deadline := c.After(c.UnmountBudget)
	for {
		ms, err := c.Mounts()
		if err != nil {
			c.Logf("osr shutdown: %v", err)
			return []string{root}
		}
		pending := within(ms, root)
		if len(pending) == 0 {
			return nil
		}
		progress := false
		for i := len(pending) - 1; i >= 0; i-- {
			select {
			case <-deadline:
				return pending[:i+1]
			default:
			}
			if c.unmountOne(pending[i]) {
				progress = true
			}
		}
		if !progress {
			ms, err := c.Mounts()
			if err != nil {
				return pending
			}
			return within(ms, root)
		}
	}
}

// unmountOne unmounts m: forced first, detached when that fails.
func (c *Config) unmountOne(m string) bool {
	err := c.unmountBounded(m, unix.MNT_FORCE)
	if err == nil {
		c.Logf("osr shutdown: unmounted %s", m)
		return true
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
		return false // not a mount point (any more) in this namespace: nothing to do
	}
	derr := c.unmountBounded(m, unix.MNT_DETACH)
	if derr == nil {
		c.Logf("osr shutdown: detached %s (unmount: %v)", m, err)
		return true
	}
	c.Logf("osr shutdown: %s stays mounted: unmount: %v; detach: %v", m, err, derr)
	return false
}

// unmountBounded calls Unmount in its own goroutine and gives up waiting
// after UnmountTimeout; a call stuck in the kernel then stays behind, which
// is harmless right before reboot(2).
func (c *Config) unmountBounded(m string, flags int) error {
	done := make(chan error, 1)
	go func() { done <- c.Unmount(m, flags) }()
	select {
	case err := <-done:
		return err
	case <-c.After(c.UnmountTimeout):
		return errTimeout
	}
}

// within returns the mount points of ms that are root or below it, in ms's
// order.
func within(ms []string, root string) []string {
	var out []string
	for _, m := range ms {
		if m == root || strings.HasPrefix(m, root+"/") || root == "/" {
			out = append(out, m)
		}
	}
	return out
}
