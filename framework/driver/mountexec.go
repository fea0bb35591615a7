// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"
)

// MountExecutor makes a driver's mount(2) calls: it waits for the root device,
// tries the call as often as the request asks with a pause between tries, logs each
// try and, when all fail, returns a *MountError naming the call with every argument.
// Drivers keep one in their struct; the zero value mounts with the kernel and logs
// nothing.
type MountExecutor struct {
	// Syscall is mount(2). Nil calls the kernel; a driver's tests set a fake here, so
	// they never need root.
	Syscall func(MountCall) error
	// Logger receives a line per failed try and one for the mount that worked. Nil
	// logs nothing.
	Logger hclog.Logger
	// DeviceWait bounds WaitForDevice and FindDevice; 0 means DefaultDeviceWait.
	DeviceWait time.Duration
}

// DefaultDeviceWait is how long a MountExecutor waits for the root device when
// DeviceWait is 0: disk drivers probe in the background after their modules load.
const DefaultDeviceWait = 10 * time.Second

// Tries says how often a mount is tried and how long to pause between tries.
type Tries struct {
	// Attempts is the number of mount(2) calls at most; less than 1 means 1.
	Attempts int
	// Wait is the pause after a failed try.
	Wait time.Duration
}

// Tries returns the tries the request asks for (the command line's mounttimes and
// mountwait), taking def's values where the request leaves them 0. A driver passes
// its own defaults, usually from its configuration.
func (r MountRequest) Tries(def Tries) Tries {
	t := Tries{Attempts: r.Attempts, Wait: r.Wait}
	if t.Attempts <= 0 {
		t.Attempts = def.Attempts
	}
	if t.Wait <= 0 {
		t.Wait = def.Wait
	}
	t.Attempts = max(t.Attempts, 1)
	return t
}

func (e *MountExecutor) syscall(c MountCall) error {
	if e.Syscall != nil {
		return e.Syscall(c)
	}
	return unix.Mount(c.Source, c.Target, c.FSType, c.Flags, c.Data)
}

func (e *MountExecutor) logger() hclog.Logger {
	if e.Logger == nil {
		return hclog.NewNullLogger()
	}
	return e.Logger
}

// Mount makes call up to tries.Attempts times, tries.Wait apart, until one works.
// A failure that no retry can fix ends the tries at once: ENODEV, the kernel knows
// no such filesystem type (its module is loaded before the mount or not at all).
// The error is a *MountError (errors.As finds it, errors.Is the kernel's errno),
// with the number of tries when there were several; ctx ends the pauses.
func (e *MountExecutor) Mount(ctx context.Context, call MountCall, tries Tries) error {
	attempts := max(tries.Attempts, 1)
	log := e.logger()
	for i := 1; ; i++ {
		err := e.syscall(call)
		if err == nil {
			if i > 1 {
				log.Info(fmt.Sprintf("mounted at attempt %d of %d: %s", i, attempts, call))
			} else {
				log.Info(fmt.Sprintf("mounted: %s", call))
			}
			return nil
		}
		merr := &MountError{Call: call, Err: err}
		if errors.Is(err, unix.ENODEV) {
			return merr
		}
		if i == attempts {
			if attempts == 1 {
				return merr
			}
			return fmt.Errorf("%w (tried %d times, %v apart)", merr, attempts, tries.Wait)
		}
		log.Warn(fmt.Sprintf("attempt %d of %d: %s; trying again in %v", i, attempts, merr, tries.Wait))
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up after try %d of %d: %w)", merr, i, attempts, ctx.Err())
		case <-time.After(tries.Wait):
		}
	}
}

func (e *MountExecutor) deviceWait() time.Duration {
	if e.DeviceWait > 0 {
		return e.DeviceWait
	}
	return DefaultDeviceWait
}

// WaitForDevice waits up to DeviceWait for the root device at path to appear.
func (e *MountExecutor) WaitForDevice(ctx context.Context, path string) error {
	_, err := e.FindDevice(ctx, path, func(p string) (string, error) {
		_, err := os.Stat(p)
		return p, err
	})
	return err
}

// FindDevice waits up to DeviceWait until find resolves spec (a path, LABEL=…,
// UUID=…, as the driver understands it) to a device, and returns it. find is
// called every 100 ms; its last error is returned when the time is up.
func (e *MountExecutor) FindDevice(ctx context.Context, spec string, find func(spec string) (string, error)) (string, error) {
	wait := e.deviceWait()
	deadline := time.Now().Add(wait)
	logged := false
	for {
		dev, err := find(spec)
		if err == nil {
			return dev, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("root device %s: %w (waited %v); check root= or the rootvolume in the cluster configuration and that the disk driver is in the initrd", spec, err, wait)
		}
		if !logged {
			e.logger().Info(fmt.Sprintf("waiting up to %v for the root device %s", wait, spec))
			logged = true
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for root device %s: %w", spec, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
