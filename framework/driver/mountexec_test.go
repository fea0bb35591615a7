// SPDX-License-Identifier: Apache-2.0

package driver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// failing is a mount(2) seam: it records the calls and returns errs[i] for the
// i-th call, nil past the end.
type failing struct {
	calls []driver.MountCall
	errs  []error
}

func (f *failing) mount(c driver.MountCall) error {
	f.calls = append(f.calls, c)
	if len(f.calls) <= len(f.errs) {
		return f.errs[len(f.calls)-1]
	}
	return nil
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

var nfsCall = driver.MountCall{Source: "192.168.1.1:/root", Target: "/sysroot", FSType: "nfs4", Flags: unix.MS_RDONLY, Data: "vers=4.1,addr=192.168.1.1"}

func TestMountExecutor(t *testing.T) {
	tests := []struct {
		name      string
		tries     driver.Tries
		errs      []error
		wantCalls int
		wantErr   string // "" = success
		wantErrno error
		wantWarns int
	}{
		{name: "first try works", tries: driver.Tries{Attempts: 3, Wait: time.Millisecond}, wantCalls: 1},
		{name: "mounttimes=3 makes exactly three attempts", tries: driver.Tries{Attempts: 3, Wait: time.Millisecond}, errs: repeat(unix.ETIMEDOUT, 10),
			wantCalls: 3, wantErrno: unix.ETIMEDOUT, wantWarns: 2,
			wantErr: `mount("192.168.1.1:/root", "/sysroot", "nfs4", MS_RDONLY, "vers=4.1,addr=192.168.1.1"): connection timed out (tried 3 times, 1ms apart)`},
		{name: "works at the last attempt", tries: driver.Tries{Attempts: 3, Wait: time.Millisecond}, errs: repeat(unix.EBUSY, 2), wantCalls: 3, wantWarns: 2},
		{name: "one attempt names the call only", tries: driver.Tries{Attempts: 1}, errs: []error{unix.EACCES}, wantCalls: 1, wantErrno: unix.EACCES,
			wantErr: `mount("192.168.1.1:/root", "/sysroot", "nfs4", MS_RDONLY, "vers=4.1,addr=192.168.1.1"): permission denied`},
		{name: "zero attempts means one", tries: driver.Tries{}, errs: repeat(unix.EIO, 5), wantCalls: 1, wantErrno: unix.EIO},
		{name: "unknown filesystem type is not retried", tries: driver.Tries{Attempts: 5, Wait: time.Millisecond}, errs: repeat(unix.ENODEV, 5),
			wantCalls: 1, wantErrno: unix.ENODEV, wantErr: "no such device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failing{errs: tt.errs}
			log := drivertest.NewLog(t)
			e := driver.MountExecutor{Syscall: f.mount, Logger: log}
			err := e.Mount(context.Background(), nfsCall, tt.tries)
			if len(f.calls) != tt.wantCalls {
				t.Errorf("mount(2) called %d times; want %d", len(f.calls), tt.wantCalls)
			}
			for _, c := range f.calls {
				if c != nfsCall {
					t.Errorf("mount(2) called with %+v; want %+v", c, nfsCall)
				}
			}
			if tt.wantErrno == nil {
				if err != nil {
					t.Fatalf("Mount() error = %v", err)
				}
				if log.Count("mounted") != 1 {
					t.Errorf("log = %q; want one line for the mount", log.String())
				}
			} else {
				var merr *driver.MountError
				if !errors.Is(err, tt.wantErrno) || !errors.As(err, &merr) || merr.Call != nfsCall {
					t.Fatalf("Mount() error = %#v; want a *MountError of %v", err, tt.wantErrno)
				}
				if tt.wantErr != "" && err.Error() != tt.wantErr && !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Mount() error = %q; want %q", err, tt.wantErr)
				}
			}
			if n := log.Count("[WARN]"); n != tt.wantWarns {
				t.Errorf("log has %d warnings; want one per failed try before the last (%d):\n%s", n, tt.wantWarns, log)
			}
		})
	}
}

func TestMountExecutorWaitsBetweenTries(t *testing.T) {
	f := &failing{errs: repeat(unix.EBUSY, 10)}
	e := driver.MountExecutor{Syscall: f.mount}
	start := time.Now()
	_ = e.Mount(context.Background(), nfsCall, driver.Tries{Attempts: 3, Wait: 50 * time.Millisecond})
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("3 tries 50ms apart took %v; want at least 100ms (two pauses)", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	f.calls = nil
	err := e.Mount(ctx, nfsCall, driver.Tries{Attempts: 5, Wait: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, unix.EBUSY) || len(f.calls) != 1 {
		t.Errorf("Mount(cancelled) = %v after %d calls; want the mount error and the deadline after 1", err, len(f.calls))
	}
}

func TestMountRequestTries(t *testing.T) {
	def := driver.Tries{Attempts: 30, Wait: 10 * time.Second}
	tests := []struct {
		attempts int
		wait     time.Duration
		want     driver.Tries
	}{
		{0, 0, def},
		{3, 0, driver.Tries{Attempts: 3, Wait: 10 * time.Second}},
		{0, time.Second, driver.Tries{Attempts: 30, Wait: time.Second}},
		{-1, -time.Second, def},
	}
	for _, tt := range tests {
		req := driver.MountRequest{Attempts: tt.attempts, Wait: tt.wait}
		if got := req.Tries(def); got != tt.want {
			t.Errorf("MountRequest{Attempts: %d, Wait: %v}.Tries(%v) = %v; want %v", tt.attempts, tt.wait, def, got, tt.want)
		}
	}
	if got := (driver.MountRequest{}).Tries(driver.Tries{}); got.Attempts != 1 {
		t.Errorf("Tries without defaults = %v; want one attempt", got)
	}
}

func TestMountCallString(t *testing.T) {
	tests := []struct {
		call driver.MountCall
		want string
	}{
		{nfsCall, `mount("192.168.1.1:/root", "/sysroot", "nfs4", MS_RDONLY, "vers=4.1,addr=192.168.1.1")`},
		{driver.MountCall{Source: "/dev/vdb", Target: "/sysroot", FSType: "gfs2", Flags: unix.MS_RDONLY | unix.MS_NOATIME | unix.MS_NODIRATIME},
			`mount("/dev/vdb", "/sysroot", "gfs2", MS_RDONLY|MS_NOATIME|MS_NODIRATIME, "")`},
		{driver.MountCall{Source: "a b", Target: "/t", Flags: 1 << 30}, `mount("a b", "/t", "", 0x40000000, "")`},
		{driver.MountCall{Source: "x\"y", Target: "/t", FSType: "ext4"}, `mount("x\"y", "/t", "ext4", 0, "")`},
	}
	for _, tt := range tests {
		if got := tt.call.String(); got != tt.want {
			t.Errorf("String() = %s; want %s", got, tt.want)
		}
	}
}

func TestFindDevice(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "vdb")
	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = os.WriteFile(dev, nil, 0o600)
	}()
	log := drivertest.NewLog(t)
	e := driver.MountExecutor{DeviceWait: 5 * time.Second, Logger: log}
	if err := e.WaitForDevice(context.Background(), dev); err != nil {
		t.Fatalf("WaitForDevice(late device) = %v", err)
	}
	if log.Count("for the root device") != 1 {
		t.Errorf("log = %q; want one line saying what is awaited", log)
	}
	e.DeviceWait = 50 * time.Millisecond
	err := e.WaitForDevice(context.Background(), filepath.Join(dir, "vdz"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "waited 50ms") {
		t.Errorf("WaitForDevice(missing) = %v; want not-exist after the wait", err)
	}
	got, err := e.FindDevice(context.Background(), "LABEL=root", func(spec string) (string, error) {
		if spec == "LABEL=root" {
			return dev, nil
		}
		return "", errors.New("no such label")
	})
	if err != nil || got != dev {
		t.Errorf("FindDevice(LABEL=root) = %q, %v; want %s", got, err, dev)
	}
}
