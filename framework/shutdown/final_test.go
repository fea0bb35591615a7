// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestParseVerb(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    Action
		wantErr string
	}{
		{[]string{"reboot"}, Reboot, ""},
		{[]string{"poweroff", "--log-level", "6", "--log-target", "kmsg"}, PowerOff, ""},
		{[]string{"--log-level=info", "halt"}, Halt, ""},
		{[]string{"kexec"}, Kexec, ""},
		{[]string{"exit"}, PowerOff, ""},
		{[]string{"suspend"}, "", `unknown shutdown verb "suspend"`},
		{nil, "", "no shutdown verb"},
	} {
		got, err := ParseVerb(tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q %v, want %q", tc.args, got, err, tc.want)
		}
	}
}

// behaviour of a fake mount under unmount: per flag, what the call does.
type behaviour struct {
	force, detach string // "ok", "busy", "hang", "gone"
}

// fakeSystem is a mount table, the unmount, sync and reboot calls, and a
// clock, all recording what happens. The clock is driven by the calls: a
// call that hangs makes the time limit it is waited for expire, and no
// other call ever does, so a slow machine cannot turn a quick call into a
// timeout. The calls under a time limit come one after the other, so the
// one waiting is the one stuck.
type fakeSystem struct {
	mu        sync.Mutex
	mounts    []string
	how       map[string]behaviour
	events    []string
	asked     []time.Duration
	rebootErr map[int]error
	hang      chan struct{}    // never closed: calls that hang wait on it
	ticks     chan time.Time   // the expiry of the limit a stuck call is waited for
	budget    <-chan time.Time // the unmount budget; nil never expires
}

func newFake(mounts []string, how map[string]behaviour) *fakeSystem {
	return &fakeSystem{mounts: mounts, how: how, hang: make(chan struct{}), ticks: make(chan time.Time), rebootErr: map[int]error{}}
}

// stuck is what a hanging call does: its time limit expires, it never returns.
func (f *fakeSystem) stuck() {
	go func() { f.ticks <- time.Now() }()
	<-f.hang
}

func (f *fakeSystem) event(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf(format, args...))
}

func (f *fakeSystem) config() Config {
	return Config{
		Mounts: func() ([]string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return append([]string(nil), f.mounts...), nil
		},
		Unmount: func(target string, flags int) error {
			name := map[int]string{unix.MNT_FORCE: "force", unix.MNT_DETACH: "detach"}[flags]
			f.event("umount %s %s", name, target)
			b := f.how[target]
			what := b.force
			if flags == unix.MNT_DETACH {
				what = b.detach
			}
			switch what {
			case "busy":
				return unix.EBUSY
			case "hang":
				f.stuck()
			case "gone":
				return unix.EINVAL
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			var keep []string
			for _, m := range f.mounts {
				// A detach takes the mounts below along, as the kernel does.
				if m == target || (flags == unix.MNT_DETACH && strings.HasPrefix(m, target+"/")) {
					continue
				}
				keep = append(keep, m)
			}
			f.mounts = keep
			return nil
		},
		Sync: func() { f.event("sync") },
		Reboot: func(cmd int) error {
			f.event("reboot %#x", cmd)
			return f.rebootErr[cmd]
		},
		After: func(d time.Duration) <-chan time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.asked = append(f.asked, d)
			if d == 45*time.Second { // the default UnmountBudget
				return f.budget
			}
			return f.ticks
		},
		BeforeUnmount: func(ctx context.Context) error { f.event("before"); return nil },
		AfterUnmount:  func(ctx context.Context) error { f.event("leave"); return nil },
		Logf:          func(string, ...any) {},
	}
}

func TestRunSequence(t *testing.T) {
	base := []string{"/", "/proc", "/dev", "/oldroot", "/oldroot/.cdsl.local", "/oldroot/var/run", "/oldroot/run/initramfs-gone"}
	for _, tc := range []struct {
		name   string
		args   []string
		how    map[string]behaviour
		want   []string
		left   []string
		reboot int
	}{{
		name: "all unmount",
		args: []string{"poweroff"},
		want: []string{"before",
			"umount force /oldroot/run/initramfs-gone", "umount force /oldroot/var/run", "umount force /oldroot/.cdsl.local", "umount force /oldroot",
			"sync", "leave", "reboot 0x4321fedc"},
		reboot: unix.LINUX_REBOOT_CMD_POWER_OFF,
	}, {
		name: "busy root is detached",
		args: []string{"reboot"},
		how:  map[string]behaviour{"/oldroot": {force: "busy", detach: "ok"}},
		want: []string{"before",
			"umount force /oldroot/run/initramfs-gone", "umount force /oldroot/var/run", "umount force /oldroot/.cdsl.local",
			"umount force /oldroot", "umount detach /oldroot",
			"sync", "leave", "reboot 0x1234567"},
		reboot: unix.LINUX_REBOOT_CMD_RESTART,
	}, {
		name: "a hanging NFS unmount is detached",
		args: []string{"reboot"},
		how:  map[string]behaviour{"/oldroot": {force: "hang", detach: "ok"}, "/oldroot/.cdsl.local": {force: "hang", detach: "ok"}},
		want: []string{"before",
			"umount force /oldroot/run/initramfs-gone", "umount force /oldroot/var/run",
			"umount force /oldroot/.cdsl.local", "umount detach /oldroot/.cdsl.local",
			"umount force /oldroot", "umount detach /oldroot",
			"sync", "leave", "reboot 0x1234567"},
	}, {
		name: "nothing works: the node still goes down",
		args: []string{"halt"},
		how:  map[string]behaviour{"/oldroot": {force: "hang", detach: "hang"}},
		want: []string{"before",
			"umount force /oldroot/run/initramfs-gone", "umount force /oldroot/var/run", "umount force /oldroot/.cdsl.local",
			"umount force /oldroot", "umount detach /oldroot",
			// a second pass, since the first made progress; then no more
			"umount force /oldroot", "umount detach /oldroot",
			"sync", "leave", "reboot 0xcdef0123"},
		left: []string{"/oldroot"},
	}, {
		name: "not a mount point any more",
		args: []string{"reboot"},
		how:  map[string]behaviour{"/oldroot/var/run": {force: "gone"}},
		want: []string{"before",
			"umount force /oldroot/run/initramfs-gone", "umount force /oldroot/var/run", "umount force /oldroot/.cdsl.local", "umount force /oldroot",
			"umount force /oldroot/var/run", // still listed: tried once more, then left
			"sync", "leave", "reboot 0x1234567"},
		left: []string{"/oldroot/var/run"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(append([]string(nil), base...), tc.how)
			c := f.config()
			if err := Run(context.Background(), c, tc.args); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if diff := cmp.Diff(tc.want, f.events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			var left []string
			for _, m := range f.mounts {
				if strings.HasPrefix(m, "/oldroot") {
					left = append(left, m)
				}
			}
			if diff := cmp.Diff(tc.left, left); diff != "" {
				t.Errorf("left mounted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunBounds(t *testing.T) {
	f := newFake([]string{"/oldroot"}, map[string]behaviour{"/oldroot": {force: "hang", detach: "ok"}})
	c := f.config()
	c.Sync = func() { f.event("sync"); f.stuck() }
	canceled := make(chan struct{})
	c.AfterUnmount = func(ctx context.Context) error {
		go func() { f.ticks <- time.Now() }() // its time limit expires
		<-ctx.Done()
		close(canceled)
		return ctx.Err()
	}
	c.BeforeUnmount = func(ctx context.Context) error { return errors.New("refused") }
	start := time.Now()
	if err := Run(context.Background(), c, []string{"reboot"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %s with a hanging unmount, sync and hook", d)
	}
	select {
	case <-canceled:
	case <-time.After(10 * time.Second):
		t.Error("the hook's context did not end with its time limit")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range []time.Duration{5 * time.Second, 45 * time.Second, 10 * time.Second, 60 * time.Second} {
		found := false
		for _, a := range f.asked {
			found = found || a == d
		}
		if !found {
			t.Errorf("no time limit of %s asked for (asked %v)", d, f.asked)
		}
	}
	if got := f.events[len(f.events)-1]; got != "reboot 0x1234567" {
		t.Errorf("last event %q", got)
	}
}

func TestRunKexecFallsBack(t *testing.T) {
	f := newFake(nil, nil)
	f.rebootErr[unix.LINUX_REBOOT_CMD_KEXEC] = unix.EINVAL
	if err := Run(context.Background(), f.config(), []string{"kexec"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"before", "sync", "leave", "reboot 0x45584543", "reboot 0x1234567"}
	if diff := cmp.Diff(want, f.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestRunRebootFails(t *testing.T) {
	f := newFake(nil, nil)
	f.rebootErr[unix.LINUX_REBOOT_CMD_POWER_OFF] = unix.EPERM
	err := Run(context.Background(), f.config(), []string{"poweroff"})
	if !errors.Is(err, unix.EPERM) {
		t.Errorf("error %v, want EPERM", err)
	}
}

func TestRunBudgetSpent(t *testing.T) {
	f := newFake([]string{"/oldroot", "/oldroot/a"}, nil)
	spent := make(chan time.Time)
	close(spent)
	f.budget = spent
	if err := Run(context.Background(), f.config(), []string{"poweroff"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"before", "sync", "leave", "reboot 0x4321fedc"}
	if diff := cmp.Diff(want, f.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
