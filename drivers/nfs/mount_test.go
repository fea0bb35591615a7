package main

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

type mountCall struct {
	source, target, fstype, data string
	flags                        uintptr
}

// fakeMount records calls and fails the first fails of them.
func fakeMount(t *testing.T, fails int) *[]mountCall {
	t.Helper()
	var calls []mountCall
	old := mountFunc
	mountFunc = func(source, target, fstype string, flags uintptr, data string) error {
		calls = append(calls, mountCall{source, target, fstype, data, flags})
		if len(calls) <= fails {
			return unix.ETIMEDOUT
		}
		return nil
	}
	t.Cleanup(func() { mountFunc = old })
	return &calls
}

func TestMount(t *testing.T) {
	tests := []struct {
		name     string
		fstype   string
		source   string
		values   map[string]cty.Value
		options  []string
		ro       bool
		want     mountCall
		attempts int
	}{
		{"v3 defaults", "nfs", "192.168.122.1:/srv/root", nil, nil, false,
			mountCall{"192.168.122.1:/srv/root", "/sysroot", "nfs", "vers=3,proto=tcp,addr=192.168.122.1,timeo=600,retrans=2,sec=sys,mountproto=tcp,nolock", 0}, 1},
		{"v4.1 defaults read-only", "nfs4", "192.168.122.1:/nfsroot", nil, []string{"noatime", "ro"}, true,
			mountCall{"192.168.122.1:/nfsroot", "/sysroot", "nfs4", "vers=4.1,proto=tcp,addr=192.168.122.1,timeo=600,retrans=2,sec=sys", unix.MS_RDONLY | unix.MS_NOATIME}, 1},
		{"v3 with ports and options", "nfs", "nfs://10.1.2.3/export", map[string]cty.Value{"port": cty.NumberIntVal(2049), "mount_port": cty.NumberIntVal(20048), "mount_options": dt.Strings("hard")}, nil, false,
			mountCall{"10.1.2.3:/export", "/sysroot", "nfs", "vers=3,proto=tcp,addr=10.1.2.3,timeo=600,retrans=2,sec=sys,mountport=20048,mountproto=tcp,port=2049,hard", 0}, 1},
		{"v4.2 explicit", "nfs4", "10.0.0.9:/", map[string]cty.Value{"version": cty.StringVal("4.2")}, nil, false,
			mountCall{"10.0.0.9:/", "/sysroot", "nfs4", "vers=4.2,proto=tcp,addr=10.0.0.9,timeo=600,retrans=2,sec=sys", 0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := fakeMount(t, 0)
			res, err := dt.Mount(t, &nfsDriver{}, driver.MountRequest{FSType: tt.fstype, Source: tt.source, Target: "/sysroot", Options: tt.options, ReadOnly: tt.ro}, tt.values)
			if err != nil {
				t.Fatalf("Mount() error = %v", err)
			}
			if len(*calls) != tt.attempts || (*calls)[0] != tt.want {
				t.Errorf("mount calls = %+v; want %+v", *calls, tt.want)
			}
			if len(res.Log) == 0 || !strings.Contains(res.Log[len(res.Log)-1], "mounted") {
				t.Errorf("log = %v", res.Log)
			}
		})
	}
}

func TestMountRetriesThenFails(t *testing.T) {
	calls := fakeMount(t, 100)
	_, err := dt.Mount(t, &nfsDriver{}, driver.MountRequest{FSType: "nfs4", Source: "10.0.0.1:/r", Target: "/sysroot"},
		map[string]cty.Value{"mount_attempts": cty.NumberIntVal(3), "mount_wait": cty.NumberIntVal(0)})
	if err == nil || len(*calls) != 3 {
		t.Fatalf("Mount() = %v after %d calls; want an error after 3", err, len(*calls))
	}
	for _, want := range []string{"failed 3 times", "connection timed out", "exports /r", "reaches 10.0.0.1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	calls = fakeMount(t, 2)
	if _, err := dt.Mount(t, &nfsDriver{}, driver.MountRequest{FSType: "nfs4", Source: "10.0.0.1:/r", Target: "/sysroot"},
		map[string]cty.Value{"mount_attempts": cty.NumberIntVal(3), "mount_wait": cty.NumberIntVal(0)}); err != nil || len(*calls) != 3 {
		t.Errorf("Mount() with two failures = %v after %d calls; want success at the third", err, len(*calls))
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
