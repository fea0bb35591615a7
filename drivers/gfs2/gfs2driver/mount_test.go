// SPDX-License-Identifier: Apache-2.0

package gfs2driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// recorder replaces mount(2): it records every call and fails the first len(errs).
type recorder struct {
	calls []driver.MountCall
	errs  []error
}

func (r *recorder) mount(c driver.MountCall) error {
	r.calls = append(r.calls, c)
	if len(r.calls) <= len(r.errs) {
		return r.errs[len(r.calls)-1]
	}
	return nil
}

func TestMount(t *testing.T) {
	nolock := mkfsImage(t, "-p", "lock_nolock", "-t", "c:fs", "-j", "2")
	dlm := mkfsImage(t, "-p", "lock_dlm", "-t", "osrc:root", "-j", "2")
	zeros := filepath.Join(t.TempDir(), "zeros.img")
	if err := os.WriteFile(zeros, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	nolockCfg := func(extra map[string]cty.Value) map[string]cty.Value {
		v := map[string]cty.Value{"lock_protocol": cty.StringVal("lock_nolock")}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	call := func(src string, flags uintptr, data string) driver.MountCall {
		return driver.MountCall{Source: src, Target: "/sysroot", FSType: "gfs2", Flags: flags, Data: data}
	}
	eBusy := []error{unix.EBUSY, unix.EBUSY}
	tests := []struct {
		name     string
		source   string
		options  []string
		readOnly bool
		attempts int
		values   map[string]cty.Value
		errs     []error
		want     []driver.MountCall
		wantErr  string
		wantLog  string
		wantWarn bool
	}{
		{name: "lock_nolock with the default options", source: nolock, values: nolockCfg(nil),
			want: []driver.MountCall{call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks")}},
		{name: "lock table, options, read-only", source: nolock, options: []string{"nodiratime,quota=on", "lockproto=lock_dlm"}, readOnly: true,
			values:  nolockCfg(map[string]cty.Value{"lock_table": cty.StringVal("osrc:root"), "mount_options": dt.Strings("errors=panic")}),
			want:    []driver.MountCall{call(nolock, unix.MS_RDONLY|unix.MS_NODIRATIME, "lockproto=lock_nolock,locktable=osrc:root,errors=panic,quota=on")},
			wantLog: "option=lockproto=lock_dlm"},
		{name: "lock_dlm filesystem mounted lock_nolock warns", source: dlm, values: nolockCfg(nil),
			want: []driver.MountCall{call(dlm, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks")}, wantWarn: true},
		{name: "retries until the mount works", source: nolock, values: nolockCfg(nil), errs: eBusy,
			want:    []driver.MountCall{call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks"), call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks"), call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks")},
			wantLog: "attempt 2 of 3"},
		{name: "mounttimes=3 makes exactly three attempts", source: nolock, attempts: 3, values: nolockCfg(map[string]cty.Value{"mount_attempts": cty.NumberIntVal(10)}),
			errs:    []error{unix.EBUSY, unix.EBUSY, unix.EBUSY, unix.EBUSY},
			want:    []driver.MountCall{call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks"), call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks"), call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks")},
			wantErr: `mount("` + nolock + `", "/sysroot", "gfs2", MS_NOATIME, "lockproto=lock_nolock,localflocks"): device or resource busy (tried 3 times, 1ms apart); the device is in use`},
		{name: "gives up after mount_attempts", source: nolock, values: nolockCfg(map[string]cty.Value{"mount_attempts": cty.NumberIntVal(2)}), errs: eBusy,
			want:    []driver.MountCall{call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks"), call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks")},
			wantErr: "tried 2 times"},
		{name: "kernel without gfs2", source: nolock, values: nolockCfg(map[string]cty.Value{"mount_attempts": cty.NumberIntVal(1)}), errs: []error{unix.ENODEV},
			want:    []driver.MountCall{call(nolock, unix.MS_NOATIME, "lockproto=lock_nolock,localflocks")},
			wantErr: "the gfs2 module must be in the initrd"},
		{name: "lock_dlm", source: dlm, want: []driver.MountCall{call(dlm, unix.MS_NOATIME, "lockproto=lock_dlm,localflocks")}},
		{name: "lock_dlm with a lock table of another cluster", source: dlm, values: map[string]cty.Value{"lock_table": cty.StringVal("other:root")},
			wantErr: `names cluster "other", but this node belongs to cluster "osrc"`},
		{name: "lock_dlm table override", source: dlm, values: map[string]cty.Value{"lock_table": cty.StringVal("osrc:fs2")},
			want: []driver.MountCall{call(dlm, unix.MS_NOATIME, "lockproto=lock_dlm,locktable=osrc:fs2,localflocks")}, wantLog: "overrides"},
		{name: "lock_dlm on a lock_nolock filesystem", source: nolock, wantErr: "was made with lock_nolock"},
		{name: "lock_dlm before the device exists", source: filepath.Join(t.TempDir(), "vdz"), wantErr: "waited"},
		{name: "not gfs2", source: zeros, values: nolockCfg(nil), wantErr: "no GFS2 superblock"},
		{name: "missing device", source: filepath.Join(t.TempDir(), "vdz"), values: nolockCfg(nil), wantErr: "waited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{errs: tt.errs}
			log := dt.NewLog(t)
			d := newDriver(log)
			d.mounter.Syscall, d.mounter.DeviceWait = rec.mount, 50*time.Millisecond
			req := driver.MountRequest{FSType: "gfs2", Source: tt.source, Target: "/sysroot", Options: tt.options, ReadOnly: tt.readOnly,
				Node: driver.ClusterNode{ID: 1, Name: "n1"}, ClusterName: "osrc", Attempts: tt.attempts, Wait: time.Millisecond}
			res, err := dt.Mount(t, d, req, tt.values)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Mount() error = %v; want %q", err, tt.wantErr)
			}
			if len(rec.calls) != len(tt.want) {
				t.Fatalf("mount calls = %+v; want %+v", rec.calls, tt.want)
			}
			for i := range tt.want {
				if rec.calls[i] != tt.want[i] {
					t.Errorf("mount call %d = %+v; want %+v", i, rec.calls[i], tt.want[i])
				}
			}
			if err != nil {
				return
			}
			if tt.wantLog != "" && log.Count(tt.wantLog) == 0 {
				t.Errorf("Mount() log = %q; want %q", log, tt.wantLog)
			}
			if log.Count("mounted") != 1 {
				t.Errorf("Mount() log = %q; want one line for the mount", log)
			}
			if dt.HasWarning(res.Diagnostics) != tt.wantWarn {
				t.Errorf("Mount() diagnostics = %v; want warning %v", res.Diagnostics, tt.wantWarn)
			}
		})
	}
}
