// SPDX-License-Identifier: Apache-2.0

package nfsdriver

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// fakeMount returns the driver with a mount(2) that records the calls and fails
// the first fails of them, and the driver's log.
func fakeMount(t *testing.T, fails int) (*nfsDriver, *[]driver.MountCall, *dt.Log) {
	t.Helper()
	var calls []driver.MountCall
	log := dt.NewLog(t)
	d := newDriver(log)
	d.mounter.Syscall = func(c driver.MountCall) error {
		calls = append(calls, c)
		if len(calls) <= fails {
			return unix.ETIMEDOUT
		}
		return nil
	}
	return d, &calls, log
}

func TestMount(t *testing.T) {
	tests := []struct {
		name     string
		fstype   string
		source   string
		values   map[string]cty.Value
		options  []string
		ro       bool
		want     driver.MountCall
		attempts int
	}{
		{"v3 defaults", "nfs", "192.168.122.1:/srv/root", nil, nil, false,
			driver.MountCall{Source: "192.168.122.1:/srv/root", Target: "/sysroot", FSType: "nfs", Flags: 0, Data: "vers=3,proto=tcp,addr=192.168.122.1,timeo=600,retrans=2,sec=sys,mountproto=tcp,nolock"}, 1},
		{"v4.1 defaults read-only", "nfs4", "192.168.122.1:/nfsroot", nil, []string{"noatime", "ro"}, true,
			driver.MountCall{Source: "192.168.122.1:/nfsroot", Target: "/sysroot", FSType: "nfs4", Flags: unix.MS_RDONLY | unix.MS_NOATIME, Data: "vers=4.1,proto=tcp,addr=192.168.122.1,timeo=600,retrans=2,sec=sys"}, 1},
		{"v3 with ports and options", "nfs", "nfs://10.1.2.3/export", map[string]cty.Value{"port": cty.NumberIntVal(2049), "mount_port": cty.NumberIntVal(20048), "mount_options": dt.Strings("hard")}, nil, false,
			driver.MountCall{Source: "10.1.2.3:/export", Target: "/sysroot", FSType: "nfs", Flags: 0, Data: "vers=3,proto=tcp,addr=10.1.2.3,timeo=600,retrans=2,sec=sys,mountport=20048,mountproto=tcp,port=2049,hard"}, 1},
		{"v4.2 explicit", "nfs4", "10.0.0.9:/", map[string]cty.Value{"version": cty.StringVal("4.2")}, nil, false,
			driver.MountCall{Source: "10.0.0.9:/", Target: "/sysroot", FSType: "nfs4", Flags: 0, Data: "vers=4.2,proto=tcp,addr=10.0.0.9,timeo=600,retrans=2,sec=sys"}, 1},
		{"v4.1 over IPv6", "nfs4", "[fd00:100::1]:/nfsroot", nil, nil, false,
			driver.MountCall{Source: "[fd00:100::1]:/nfsroot", Target: "/sysroot", FSType: "nfs4", Flags: 0, Data: "vers=4.1,proto=tcp6,addr=fd00:100::1,timeo=600,retrans=2,sec=sys"}, 1},
		{"v3 over IPv6, udp", "nfs", "[fd00::5]:/srv/root", map[string]cty.Value{"transport": cty.StringVal("udp")}, nil, false,
			driver.MountCall{Source: "[fd00::5]:/srv/root", Target: "/sysroot", FSType: "nfs", Flags: 0, Data: "vers=3,proto=udp6,addr=fd00::5,timeo=600,retrans=2,sec=sys,mountproto=udp6,nolock"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, calls, log := fakeMount(t, 0)
			_, err := dt.Mount(t, d, driver.MountRequest{FSType: tt.fstype, Source: tt.source, Target: "/sysroot", Options: tt.options, ReadOnly: tt.ro}, tt.values)
			if err != nil {
				t.Fatalf("Mount() error = %v", err)
			}
			if len(*calls) != tt.attempts || (*calls)[0] != tt.want {
				t.Errorf("mount calls = %+v; want %+v", *calls, tt.want)
			}
			if log.Count("mounted: "+tt.want.String()) != 1 {
				t.Errorf("log = %q; want one line naming the mount", log)
			}
		})
	}
}

func TestMountRetriesThenFails(t *testing.T) {
	// The configured attempts and wait, then the command line's (mounttimes=3, mountwait=…) over them.
	tests := []struct {
		name     string
		values   map[string]cty.Value
		attempts int
		wait     time.Duration
	}{
		{"mount_attempts = 3", map[string]cty.Value{"mount_attempts": cty.NumberIntVal(3), "mount_wait": cty.NumberIntVal(0)}, 0, 0},
		{"mounttimes=3 over the configured 30", map[string]cty.Value{"mount_wait": cty.NumberIntVal(3600)}, 3, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := driver.MountRequest{FSType: "nfs4", Source: "10.0.0.1:/r", Target: "/sysroot", Attempts: tt.attempts, Wait: tt.wait}
			d, calls, log := fakeMount(t, 100)
			_, err := dt.Mount(t, d, req, tt.values)
			if err == nil || len(*calls) != 3 {
				t.Fatalf("Mount() = %v after %d calls; want an error after exactly 3", err, len(*calls))
			}
			want := `mount("10.0.0.1:/r", "/sysroot", "nfs4", 0, "vers=4.1,proto=tcp,addr=10.0.0.1,timeo=600,retrans=2,sec=sys"): connection timed out (tried 3 times`
			for _, w := range []string{want, "exports /r", "reaches 10.0.0.1"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := log.Count("connection timed out; trying again"); n != 2 {
				t.Errorf("log has %d lines for failed attempts; want 2:\n%s", n, log)
			}
			d, calls, _ = fakeMount(t, 2)
			if _, err := dt.Mount(t, d, req, tt.values); err != nil || len(*calls) != 3 {
				t.Errorf("Mount() with two failures = %v after %d calls; want success at the third", err, len(*calls))
			}
		})
	}
}

func TestParseSource(t *testing.T) {
	for _, bad := range []string{"/dev/vda", "server", ""} {
		if _, err := parseSource(bad); err == nil || !strings.Contains(err.Error(), "SERVER:/PATH") {
			t.Errorf("parseSource(%q) = %v; want a hint", bad, err)
		}
	}
	if _, err := serverAddr("no-such-host.invalid"); err == nil || !strings.Contains(err.Error(), "/etc/hosts") {
		t.Errorf("serverAddr(unknown) = %v", err)
	}
}
