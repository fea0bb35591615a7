// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"
)

// Direct calls a driver in the caller's own process: the image's init calls the
// drivers built into it this way, without starting a program or speaking gRPC. It
// answers as the same driver does behind package plugin:
//
//   - Describe adds CapabilityMount for a Mounter and checks the schema;
//   - Mount on a driver that cannot mount fails with ErrUnimplemented;
//   - every call is bounded by Timeouts, and a call past its deadline fails with
//     ErrTimeout naming the call and the limit;
//   - a panic in the driver is returned as an error with its stack, instead of
//     ending the caller (at boot, PID 1).
//
// A call that overran its deadline keeps running in the background until the
// driver notices its context ended; a driver's MountExecutor and the programs it
// starts with exec.CommandContext stop then.
type Direct struct {
	impl     Driver
	name     string
	timeouts Timeouts
}

// NewDirect returns impl called in this process, known as name in error messages,
// with its calls bounded by t.
func NewDirect(impl Driver, name string, t Timeouts) *Direct {
	return &Direct{impl: impl, name: name, timeouts: t}
}

// Describe asks the driver what it is.
func (d *Direct) Describe(ctx context.Context) (*Info, error) {
	var info *Info
	err := d.call(ctx, "Describe", nil, func(ctx context.Context) error {
		var err error
		info, err = d.impl.Describe(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if info == nil {
		return nil, fmt.Errorf("%s Describe: the driver returned no description", d.who())
	}
	if _, ok := d.impl.(Mounter); ok && !slices.Contains(info.Capabilities, CapabilityMount) {
		info.Capabilities = append(info.Capabilities, CapabilityMount)
	}
	if err := info.Schema.Check(); err != nil {
		return nil, fmt.Errorf("%s has an invalid schema: %w", d.who(), err)
	}
	return info, nil
}

// ValidateConfig asks the driver to check its configuration.
func (d *Direct) ValidateConfig(ctx context.Context, req ValidateRequest) (Diagnostics, error) {
	var ds Diagnostics
	err := d.call(ctx, "ValidateConfig", nil, func(ctx context.Context) error {
		var err error
		ds, err = d.impl.ValidateConfig(ctx, req)
		return err
	})
	return ds, err
}

// Plan asks the driver what it needs in an image.
func (d *Direct) Plan(ctx context.Context, req PlanRequest) (*Plan, Diagnostics, error) {
	var (
		p  *Plan
		ds Diagnostics
	)
	err := d.call(ctx, "Plan", nil, func(ctx context.Context) error {
		var err error
		p, ds, err = d.impl.Plan(ctx, req)
		return err
	})
	return p, ds, err
}

// Mount asks the driver to mount the root, within MountDeadline(req) unless the
// Timeouts say otherwise.
func (d *Direct) Mount(ctx context.Context, req MountRequest) (*MountResult, error) {
	m, ok := d.impl.(Mounter)
	if !ok {
		return nil, fmt.Errorf("%s does not implement Mount: %w", d.who(), ErrUnimplemented)
	}
	var res *MountResult
	err := d.call(ctx, "Mount", &req, func(ctx context.Context) error {
		var err error
		res, err = m.Mount(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if res == nil {
		res = &MountResult{}
	}
	return res, nil
}

func (d *Direct) who() string {
	if d.name == "" {
		return "driver"
	}
	return fmt.Sprintf("driver %q", d.name)
}

// call runs fn within the call's deadline, turning a panic into an error.
func (d *Direct) call(ctx context.Context, call string, req *MountRequest, fn func(context.Context) error) error {
	ctx, cancel, limit := d.timeouts.WithDeadline(ctx, call, req)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%s panicked during %s: %v\n%s", d.who(), call, r, debug.Stack())
			}
		}()
		done <- fn(ctx)
	}()
	select {
	case err := <-done:
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
			return d.timedOut(call, limit)
		}
		return err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return d.timedOut(call, limit)
		}
		return fmt.Errorf("%s %s: %w", d.who(), call, ctx.Err())
	}
}

func (d *Direct) timedOut(call string, limit time.Duration) error {
	return TimedOut(d.who(), call, limit)
}
