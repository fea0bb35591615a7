// SPDX-License-Identifier: Apache-2.0

package driver_test

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
)

func TestMountOptions(t *testing.T) {
	tests := []struct {
		name                  string
		configured, requested []string
		readOnly              bool
		forced                []string
		flags                 uintptr
		data                  string
		replaced              []string
	}{
		{"flags are not data", []string{"noatime"}, []string{"nodev,ro"}, false, nil, unix.MS_NOATIME | unix.MS_NODEV | unix.MS_RDONLY, "", nil},
		{"fstab-only dropped", []string{"defaults,_netdev,x-systemd.automount"}, nil, false, nil, 0, "", nil},
		{"later value wins, forced first", []string{"commit=5"}, []string{"commit=9,data=ordered"}, true, []string{"noload"}, unix.MS_RDONLY, "noload,commit=9,data=ordered", nil},
		{"forced replaces", []string{"lockproto=lock_dlm"}, nil, false, []string{"lockproto=lock_nolock"}, 0, "lockproto=lock_nolock", []string{"lockproto=lock_dlm"}},
		{"rw clears ro", []string{"ro"}, []string{"rw"}, false, nil, 0, "", nil},
		{"empty", nil, nil, false, nil, 0, "", nil},
		{"flags and fstab-only options", []string{"defaults,noatime,_netdev,x-systemd.foo"}, []string{"nosuid", "nodev"}, false, nil,
			unix.MS_NOATIME | unix.MS_NOSUID | unix.MS_NODEV, "", nil},
		{"rw clears ro, read-only request wins", []string{"ro"}, []string{"rw"}, true, nil, unix.MS_RDONLY, "", nil},
		{"atime clears noatime", []string{"noatime"}, []string{"atime"}, false, nil, 0, "", nil},
		{"later value wins in place", []string{"data=ordered", "errors=panic"}, []string{"data=writeback"}, false, nil, 0, "data=writeback,errors=panic", nil},
		{"forced first and winning", []string{"localflocks"}, []string{"lockproto=lock_dlm"}, false, []string{"lockproto=lock_nolock"}, 0, "lockproto=lock_nolock,localflocks", []string{"lockproto=lock_dlm"}},
		{"forced before configured", []string{"coherency=full"}, []string{"heartbeat=none"}, false, []string{"heartbeat=local"}, 0, "heartbeat=local,coherency=full", []string{"heartbeat=none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags, data, replaced := driver.MountOptions(tt.configured, tt.requested, tt.readOnly, tt.forced...)
			if flags != tt.flags || data != tt.data || !slices.Equal(replaced, tt.replaced) {
				t.Errorf("MountOptions() = %#x, %q, %v; want %#x, %q, %v", flags, data, replaced, tt.flags, tt.data, tt.replaced)
			}
		})
	}
	if got := driver.MountFlagNames(unix.MS_RDONLY | unix.MS_NOATIME); !slices.Equal(got, []string{"ro", "noatime"}) {
		t.Errorf("MountFlagNames() = %v", got)
	}
}
