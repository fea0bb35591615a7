// SPDX-License-Identifier: Apache-2.0

package ocfs2driver

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/driver"
	dt "github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// fakeConfigfs stands in for /sys/kernel/config in a temp dir. It records every
// configfs operation in order, creates what the kernel creates by itself (a cluster's
// node/ and heartbeat/ groups) and checks that the fd handed to heartbeat/.../dev is
// an open descriptor of the device at the moment it is written.
type fakeConfigfs struct {
	t      *testing.T
	root   string
	device string
	ops    []string
}

func newConfigfs(t *testing.T, device string) *fakeConfigfs {
	f := &fakeConfigfs{t: t, root: t.TempDir(), device: device}
	if err := os.Mkdir(filepath.Join(f.root, "cluster"), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeConfigfs) trace(op, path, value string) {
	if op == "mkdir" && strings.Count(path, "/") == 1 {
		for _, g := range []string{"node", "heartbeat"} {
			if err := os.Mkdir(filepath.Join(f.root, path, g), 0o755); err != nil {
				f.t.Errorf("default group: %v", err)
			}
		}
	}
	if op == "write" && filepath.Base(path) == "dev" {
		fd, err := strconv.Atoi(value)
		if err != nil {
			f.t.Errorf("dev = %q; want an fd number", value)
		}
		if target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil || target != f.device {
			f.t.Errorf("dev = fd %d -> %q (%v); want an open fd of %s", fd, target, err, f.device)
		}
		value = "FD"
	}
	f.ops = append(f.ops, strings.TrimSpace(op+" "+path+" "+value))
}

// testDriver returns the driver with configfs faked by cfs and mount(2) by rec,
// and its log.
func testDriver(t *testing.T, cfs *fakeConfigfs, rec *recorder) (*ocfs2Driver, *dt.Log) {
	log := dt.NewLog(t)
	d := newDriver(log)
	d.configfs, d.trace = cfs.root, cfs.trace
	d.mounter.Syscall, d.mounter.DeviceWait = rec.mount, 50*time.Millisecond
	return d, log
}

// recorder replaces mount(2).
type recorder struct {
	calls []driver.MountCall
	err   error
}

func (r *recorder) mount(c driver.MountCall) error {
	r.calls = append(r.calls, c)
	return r.err
}

var twoNodes = []driver.ClusterNode{
	{ID: 1, Name: "n1", Addresses: []string{"10.0.0.1"}},
	{ID: 2, Name: "n2", Addresses: []string{"10.0.0.2", "192.168.1.2"}},
}

func mountReq(img string) driver.MountRequest {
	return driver.MountRequest{FSType: "ocfs2", Source: img, Target: "/sysroot", Node: twoNodes[0], Nodes: twoNodes, ClusterName: "osrc"}
}

func TestMountO2CBConfiguresInOrder(t *testing.T) {
	img := mkfsImage(t, "-b", "4096", "-C", "4096", "--cluster-stack=o2cb", "--cluster-name=osrc", "-N", "2")
	facts := debugfs(t, img)
	tests := []struct {
		name     string
		values   map[string]cty.Value
		timeouts []string // the cluster attribute writes after dead_threshold
	}{
		{"defaults", nil, []string{
			"write cluster/osrc/idle_timeout_ms 30000", "write cluster/osrc/keepalive_delay_ms 2000", "write cluster/osrc/reconnect_delay_ms 2000"}},
		{"short idle timeout writes keepalive first", map[string]cty.Value{
			"dead_threshold": cty.NumberIntVal(7), "idle_timeout_ms": cty.NumberIntVal(1500), "keepalive_delay_ms": cty.NumberIntVal(500)}, []string{
			"write cluster/osrc/keepalive_delay_ms 500", "write cluster/osrc/idle_timeout_ms 1500", "write cluster/osrc/reconnect_delay_ms 2000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfs, rec := newConfigfs(t, img), &recorder{}
			d, log := testDriver(t, cfs, rec)
			_, err := dt.Mount(t, d, mountReq(img), tt.values)
			if err != nil {
				t.Fatalf("Mount() error = %v", err)
			}
			dead := "31"
			if v, ok := tt.values["dead_threshold"]; ok {
				dead = v.AsBigFloat().String()
			}
			hb := "cluster/osrc/heartbeat/" + facts.uuid
			want := append([]string{"mkdir cluster/osrc", "write cluster/osrc/heartbeat/dead_threshold " + dead}, tt.timeouts...)
			want = append(want,
				"mkdir cluster/osrc/node/n1",
				"write cluster/osrc/node/n1/ipv4_address 10.0.0.1",
				"write cluster/osrc/node/n1/ipv4_port 7777",
				"write cluster/osrc/node/n1/num 1",
				"mkdir cluster/osrc/node/n2",
				"write cluster/osrc/node/n2/ipv4_address 10.0.0.2",
				"write cluster/osrc/node/n2/ipv4_port 7777",
				"write cluster/osrc/node/n2/num 2",
				"write cluster/osrc/node/n1/local 1",
				"mkdir "+hb,
				"write "+hb+"/block_bytes 512",
				fmt.Sprintf("write %s/start_block %d", hb, facts.hbBlkno*4096/512),
				"write "+hb+"/blocks 255",
				"write "+hb+"/dev FD",
			)
			if !slices.Equal(cfs.ops, want) {
				t.Errorf("configfs operations:\n%s\nwant:\n%s", strings.Join(cfs.ops, "\n"), strings.Join(want, "\n"))
			}
			wantCall := driver.MountCall{Source: img, Target: "/sysroot", FSType: "ocfs2", Flags: unix.MS_NOATIME, Data: "heartbeat=local"}
			if len(rec.calls) != 1 || rec.calls[0] != wantCall {
				t.Errorf("mount calls = %+v; want [%+v]", rec.calls, wantCall)
			}
			if log.Count("o2cb cluster osrc: 2 nodes") != 1 || log.Count("heartbeat region") != 1 || log.Count("mounted: ") != 1 {
				t.Errorf("Mount() log = %q; want what was configured and mounted, once each", log)
			}
		})
	}
}

func TestMountO2CBExistingCluster(t *testing.T) {
	img := mkfsImage(t, "-b", "4096", "-C", "4096", "--cluster-stack=o2cb", "--cluster-name=osrc", "-N", "2")
	tests := []struct {
		name     string
		existing string
		wantErr  string
	}{
		{"same cluster is reused", "osrc", ""},
		{"another cluster is refused", "other", `o2cb holds cluster "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfs, rec := newConfigfs(t, img), &recorder{}
			for _, dir := range []string{"node", "heartbeat"} {
				if err := os.MkdirAll(filepath.Join(cfs.root, "cluster", tt.existing, dir), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			d, _ := testDriver(t, cfs, rec)
			_, err := dt.Mount(t, d, mountReq(img), nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Mount() error = %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Mount() error = %v", err)
			}
			if len(cfs.ops) == 0 || slices.ContainsFunc(cfs.ops, func(op string) bool { return strings.Contains(op, "/node/") }) {
				t.Errorf("configfs operations = %v; want only the heartbeat region", cfs.ops)
			}
		})
	}
}

func TestMount(t *testing.T) {
	cluster := mkfsImage(t, "-b", "4096", "-C", "4096", "--cluster-stack=o2cb", "--cluster-name=osrc", "-N", "2")
	local := mkfsImage(t, "-M", "local", "-b", "1024", "-C", "8192", "-N", "2")
	zeros := filepath.Join(t.TempDir(), "zeros.img")
	if err := os.WriteFile(zeros, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	with := func(img string, change func(*driver.MountRequest)) driver.MountRequest {
		r := mountReq(img)
		if change != nil {
			change(&r)
		}
		return r
	}
	stack := func(s string) map[string]cty.Value { return map[string]cty.Value{"cluster_stack": cty.StringVal(s)} }
	tests := []struct {
		name     string
		req      driver.MountRequest
		values   map[string]cty.Value
		mountErr error
		want     *driver.MountCall // nil: no mount call
		wantErr  string
		wantLog  string
	}{
		{name: "local", req: with(local, nil), values: stack("local"),
			want: &driver.MountCall{Source: local, Target: "/sysroot", FSType: "ocfs2", Flags: unix.MS_NOATIME}},
		{name: "options merged, read-only", req: with(cluster, func(r *driver.MountRequest) {
			r.Options, r.ReadOnly = []string{"nodiratime,data=writeback", "heartbeat=none"}, true
		}), values: map[string]cty.Value{"mount_options": dt.Strings("noatime", "data=ordered", "localflocks")},
			want: &driver.MountCall{Source: cluster, Target: "/sysroot", FSType: "ocfs2",
				Flags: unix.MS_RDONLY | unix.MS_NOATIME | unix.MS_NODIRATIME, Data: "heartbeat=local,data=writeback,localflocks"},
			wantLog: "heartbeat=none ignored"},
		{name: "user stack", req: with(cluster, nil), values: stack("user"), wantErr: "corosync and dlm_controld"},
		{name: "global heartbeat", req: with(cluster, nil), values: map[string]cty.Value{"heartbeat": cty.StringVal("global")}, wantErr: `use heartbeat = "local"`},
		{name: "local stack on cluster fs", req: with(cluster, nil), values: stack("local"), wantErr: `set cluster_stack = "o2cb"`},
		{name: "o2cb on local fs", req: with(local, nil), wantErr: `set cluster_stack = "local"`},
		{name: "cluster name differs from the filesystem's", req: with(cluster, func(r *driver.MountRequest) { r.ClusterName = "prod" }),
			wantErr: `set cluster_name = "osrc"`},
		{name: "cluster name from the cluster configuration", req: with(cluster, nil), values: map[string]cty.Value{"cluster_name": cty.StringVal("")},
			want: &driver.MountCall{Source: cluster, Target: "/sysroot", FSType: "ocfs2", Flags: unix.MS_NOATIME, Data: "heartbeat=local"}},
		{name: "cluster configuration name not valid for o2cb", req: with(cluster, func(r *driver.MountRequest) { r.ClusterName = "my-cluster" }),
			wantErr: "must be 1 to 16 letters"},
		{name: "node not a member", req: with(cluster, func(r *driver.MountRequest) { r.Node = driver.ClusterNode{ID: 3, Name: "n3"} }),
			wantErr: "not among the cluster members"},
		{name: "member without IPv4", req: with(cluster, func(r *driver.MountRequest) {
			r.Nodes = []driver.ClusterNode{twoNodes[0], {ID: 2, Name: "n2", Addresses: []string{"fe80::1"}}}
		}), wantErr: `node "n2" (id 2) has no IPv4 address`},
		{name: "not ocfs2", req: with(zeros, nil), wantErr: "no OCFS2 superblock"},
		{name: "missing device", req: with(filepath.Join(t.TempDir(), "vdz"), nil), wantErr: "waited"},
		{name: "kernel without ocfs2", req: with(local, nil), values: stack("local"), mountErr: unix.ENODEV,
			want:    &driver.MountCall{Source: local, Target: "/sysroot", FSType: "ocfs2", Flags: unix.MS_NOATIME},
			wantErr: "the ocfs2 module must be in the initrd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfs, rec := newConfigfs(t, tt.req.Source), &recorder{err: tt.mountErr}
			d, log := testDriver(t, cfs, rec)
			_, err := dt.Mount(t, d, tt.req, tt.values)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Mount() error = %v; want %q", err, tt.wantErr)
			}
			switch {
			case tt.want == nil && len(rec.calls) != 0:
				t.Errorf("mount calls = %+v; want none", rec.calls)
			case tt.want != nil && (len(rec.calls) != 1 || rec.calls[0] != *tt.want):
				t.Errorf("mount calls = %+v; want [%+v]", rec.calls, *tt.want)
			}
			if tt.wantLog != "" && log.Count(tt.wantLog) == 0 {
				t.Errorf("Mount() log = %q; want %q", log, tt.wantLog)
			}
			if stackOf(tt.values) == "local" && len(cfs.ops) != 0 {
				t.Errorf("local mount touched configfs: %v", cfs.ops)
			}
		})
	}
}

func TestStartO2CBHeartbeatSlots(t *testing.T) {
	cfg, err := driver.DefaultConfig(ocfs2Schema)
	if err != nil {
		t.Fatal(err)
	}
	req := mountReq("/dev/vda")
	req.Config = cfg
	region := &heartbeatRegion{UUID: "00", BlockBytes: 512, StartBlock: 8, Blocks: 2}
	cfs := newConfigfs(t, "/dev/vda")
	d, _ := testDriver(t, cfs, &recorder{})
	err = d.startO2CB(req, &superblock{ClusterName: "osrc"}, region)
	if err == nil || !strings.Contains(err.Error(), "needs heartbeat slot 2 but the heartbeat region of /dev/vda has 2 slots") {
		t.Errorf("startO2CB(node 2, 2 slots) error = %v; want a slot error", err)
	}
	if len(cfs.ops) != 0 {
		t.Errorf("configfs operations = %v; want none before the check", cfs.ops)
	}
}

func stackOf(values map[string]cty.Value) string {
	if v, ok := values["cluster_stack"]; ok {
		return v.AsString()
	}
	return "o2cb"
}
