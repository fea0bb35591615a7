// SPDX-License-Identifier: Apache-2.0

package vlanswitch

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Tap is a tap device this process created; it exists as long as the Tap
// is open. One read returns one frame, one write sends one.
type Tap struct {
	// Name is the device's name.
	Name string
	f    *os.File
}

// OpenTap creates the tap device name in the network namespace whose
// handle is the file nsPath (/run/netns/NAME for `ip netns`; "" means
// this process's namespace). The device belongs to the namespace it was
// created in, whatever namespace its reader runs in; it is down and has
// no address until the caller configures it (ip -n NAME …).
func OpenTap(nsPath, name string) (*Tap, error) {
	if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("tap name %q: want 1 to %d bytes", name, unix.IFNAMSIZ-1)
	}
	fd, err := openTun(nsPath)
	if err != nil {
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap %s: create (TUNSETIFF): %w", name, err)
	}
	// The descriptor is non-blocking, so the runtime's poller serves it and
	// Close ends a pending read.
	return &Tap{Name: name, f: os.NewFile(uintptr(fd), "tap "+name)}, nil
}

// openTun opens /dev/net/tun from inside the namespace nsPath: the device
// a tun file creates lives in the namespace the file was opened in. The
// switch of namespaces happens on a locked thread of its own; should the
// way back fail, that thread ends with its goroutine.
func openTun(nsPath string) (int, error) {
	if nsPath == "" {
		return openTunHere()
	}
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		fd, back, err := openTunIn(nsPath)
		if back {
			runtime.UnlockOSThread()
		}
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

// openTunIn runs on a locked thread: it enters nsPath, opens the tun
// device and returns to the thread's namespace; back says it did return.
func openTunIn(nsPath string) (fd int, back bool, err error) {
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, true, fmt.Errorf("open this thread's network namespace: %w", err)
	}
	defer unix.Close(self)
	target, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, true, fmt.Errorf("open network namespace %s: %w", nsPath, err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		return -1, true, fmt.Errorf("enter network namespace %s: %w", nsPath, err)
	}
	fd, err = openTunHere()
	if berr := unix.Setns(self, unix.CLONE_NEWNET); berr != nil {
		if err == nil {
			unix.Close(fd)
		}
		return -1, false, errors.Join(err, fmt.Errorf("leave network namespace %s: %w", nsPath, berr))
	}
	return fd, true, err
}

func openTunHere() (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	return fd, nil
}

// ReadFrame reads one frame into b.
func (t *Tap) ReadFrame(b []byte) (int, error) { return t.f.Read(b) }

// WriteFrame sends one frame out of the device into its namespace.
func (t *Tap) WriteFrame(b []byte) error {
	_, err := t.f.Write(b)
	return err
}

// Close removes the device.
func (t *Tap) Close() error { return t.f.Close() }
