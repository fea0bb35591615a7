// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"time"
)

// DefaultCallTimeout bounds Describe, ValidateConfig and Plan: each answers
// from the driver's own knowledge and takes well under a second.
const DefaultCallTimeout = time.Minute

// Mount deadlines: a mount may legitimately take long at boot (joining the
// cluster, waiting for quorum, fencing, retries), so its deadline grows with
// the request's tries:
//
//	MountSetup + attempts × (wait + MountTry)
//
// where attempts and wait are the request's (mounttimes=, mountwait=), or
// DefaultMountAttempts and DefaultMountWait when it leaves them to the driver.
// With the defaults that is 10m + 30 × (10s + 1m) = 45 minutes.
const (
	// MountSetup is the time a mount may spend before its first try.
	MountSetup = 10 * time.Minute
	// MountTry is the time one mount(2) try may take.
	MountTry = time.Minute
	// DefaultMountAttempts is assumed when the request leaves the tries to the driver.
	DefaultMountAttempts = 30
	// DefaultMountWait is assumed when the request leaves the pause to the driver.
	DefaultMountWait = 10 * time.Second
)

// Timeouts bound the calls osr makes to a driver. Zero fields take the defaults.
type Timeouts struct {
	// Call bounds Describe, ValidateConfig and Plan (default DefaultCallTimeout).
	Call time.Duration
	// Mount, when set, bounds every Mount instead of MountDeadline.
	Mount time.Duration
}

// MountDeadline is how long a Mount of req may take (see MountSetup).
func MountDeadline(req MountRequest) time.Duration {
	attempts := req.Attempts
	if attempts <= 0 {
		attempts = DefaultMountAttempts
	}
	wait := req.Wait
	if wait <= 0 {
		wait = DefaultMountWait
	}
	const maxDeadline = 24 * time.Hour
	perTry := wait + MountTry
	if perTry <= 0 || time.Duration(attempts) > (maxDeadline-MountSetup)/perTry {
		return maxDeadline
	}
	return MountSetup + time.Duration(attempts)*perTry
}

// limit is the deadline of call (Mount's comes from its request).
func (t Timeouts) limit(call string, req *MountRequest) time.Duration {
	if call == "Mount" {
		if t.Mount > 0 {
			return t.Mount
		}
		if req != nil {
			return MountDeadline(*req)
		}
	}
	if t.Call > 0 {
		return t.Call
	}
	return DefaultCallTimeout
}

// WithDeadline bounds ctx for one call (Mount's deadline comes from req) and returns
// the limit it set, for error messages.
func (t Timeouts) WithDeadline(ctx context.Context, call string, req *MountRequest) (context.Context, context.CancelFunc, time.Duration) {
	d := t.limit(call, req)
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, d
}
