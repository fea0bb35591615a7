// SPDX-License-Identifier: Apache-2.0

package driver_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/open-sharedroot/osr/framework/driver"
)

// scripted is a driver whose answers the test sets.
type scripted struct {
	schema driver.Schema
	mount  func(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error)
	plan   func(ctx context.Context) error
}

func (s *scripted) Describe(context.Context) (*driver.Info, error) {
	return &driver.Info{Name: "scripted", Version: "1", FSTypes: []string{"x"}, Schema: s.schema}, nil
}

func (s *scripted) ValidateConfig(context.Context, driver.ValidateRequest) (driver.Diagnostics, error) {
	return driver.Diagnostics{driver.Warnf([]string{"a"}, "careful")}, nil
}

func (s *scripted) Plan(ctx context.Context, _ driver.PlanRequest) (*driver.Plan, driver.Diagnostics, error) {
	if s.plan != nil {
		if err := s.plan(ctx); err != nil {
			return nil, nil, err
		}
	}
	return &driver.Plan{Modules: []driver.Module{{Name: "x"}}}, nil, nil
}

// mounting is scripted with Mount.
type mounting struct{ scripted }

func (m *mounting) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	return m.mount(ctx, req)
}

func TestDirectDescribe(t *testing.T) {
	ctx := context.Background()
	plain := driver.NewDirect(&scripted{}, "plain", driver.Timeouts{})
	info, err := plain.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(info.Capabilities, driver.CapabilityMount) {
		t.Errorf("a driver without Mount announces %q", driver.CapabilityMount)
	}
	m := driver.NewDirect(&mounting{}, "m", driver.Timeouts{})
	if info, err = m.Describe(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(info.Capabilities, driver.CapabilityMount) {
		t.Errorf("capabilities %v lack %q", info.Capabilities, driver.CapabilityMount)
	}
	bad := driver.NewDirect(&scripted{schema: driver.Schema{Attributes: []driver.Attribute{{Name: "", Type: cty.String}}}}, "bad", driver.Timeouts{})
	if _, err := bad.Describe(ctx); err == nil || !strings.Contains(err.Error(), `driver "bad" has an invalid schema`) {
		t.Errorf("Describe with a nameless attribute: %v; want an invalid-schema error", err)
	}
}

func TestDirectCalls(t *testing.T) {
	stuck := func(ctx context.Context, _ driver.MountRequest) (*driver.MountResult, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ignoresCtx := func(context.Context, driver.MountRequest) (*driver.MountResult, error) {
		time.Sleep(2 * time.Second)
		return nil, nil
	}
	tests := []struct {
		name     string
		impl     driver.Driver
		timeouts driver.Timeouts
		want     string // "" means success
		is       error
	}{
		{"result passed on", &mounting{scripted{mount: func(context.Context, driver.MountRequest) (*driver.MountResult, error) {
			return &driver.MountResult{Diagnostics: driver.Diagnostics{driver.Warnf(nil, "slow disk")}}, nil
		}}}, driver.Timeouts{}, "", nil},
		{"nil result is empty", &mounting{scripted{mount: func(context.Context, driver.MountRequest) (*driver.MountResult, error) { return nil, nil }}}, driver.Timeouts{}, "", nil},
		{"error kept as is", &mounting{scripted{mount: func(context.Context, driver.MountRequest) (*driver.MountResult, error) {
			return nil, &driver.MountError{Call: driver.MountCall{Source: "s", Target: "/sysroot", FSType: "x"}, Err: errors.New("no such device")}
		}}}, driver.Timeouts{}, "no such device", nil},
		{"cannot mount", &scripted{}, driver.Timeouts{}, `driver "t" does not implement Mount`, driver.ErrUnimplemented},
		{"stuck past its deadline", &mounting{scripted{mount: stuck}}, driver.Timeouts{Mount: 50 * time.Millisecond}, `driver "t" did not answer Mount within 50ms`, driver.ErrTimeout},
		{"deaf to its context", &mounting{scripted{mount: ignoresCtx}}, driver.Timeouts{Mount: 50 * time.Millisecond}, "within 50ms", driver.ErrTimeout},
		{"panic", &mounting{scripted{mount: func(context.Context, driver.MountRequest) (*driver.MountResult, error) {
			panic("the driver lost its way")
		}}}, driver.Timeouts{}, `driver "t" panicked during Mount: the driver lost its way`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := driver.NewDirect(tt.impl, "t", tt.timeouts)
			start := time.Now()
			res, err := d.Mount(context.Background(), driver.MountRequest{Source: "s", Target: "/sysroot"})
			if took := time.Since(start); took > time.Second {
				t.Errorf("Mount took %v; a deadline of %v must end it", took, tt.timeouts.Mount)
			}
			if tt.want == "" {
				if err != nil || res == nil {
					t.Fatalf("Mount = %v, %v; want a result", res, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Mount error = %v; want one containing %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Mount error = %v; want it to wrap %v", err, tt.is)
			}
		})
	}
}

func TestDirectPlanDeadlineAndCancel(t *testing.T) {
	d := driver.NewDirect(&scripted{plan: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}, "p", driver.Timeouts{Call: 30 * time.Millisecond})
	if _, _, err := d.Plan(context.Background(), driver.PlanRequest{}); !errors.Is(err, driver.ErrTimeout) {
		t.Errorf("Plan past its deadline: %v; want ErrTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d = driver.NewDirect(&scripted{plan: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}, "p", driver.Timeouts{})
	_, _, err := d.Plan(ctx, driver.PlanRequest{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrTimeout) {
		t.Errorf("Plan with a cancelled context: %v; want context.Canceled, not a timeout", err)
	}
	ds, err := driver.NewDirect(&scripted{}, "v", driver.Timeouts{}).ValidateConfig(context.Background(), driver.ValidateRequest{})
	if err != nil || len(ds) != 1 || ds[0].Severity != driver.Warning {
		t.Errorf("ValidateConfig = %v, %v; want the driver's one warning", ds, err)
	}
}
