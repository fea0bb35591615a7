// SPDX-License-Identifier: Apache-2.0

package ganesha

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/netlab"
)

func TestParseListening(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 017AA8C0:0801 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:006F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 017AA8C0:0801 657AA8C0:03FF 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 017AA8C0:4E50 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
`
	ports := map[int]bool{}
	if err := parseListening(strings.NewReader(table), ports); err != nil {
		t.Fatal(err)
	}
	if len(ports) != 3 || !ports[NFSPort] || !ports[MountPort] || !ports[rpcPort] {
		t.Errorf("ports = %v", ports)
	}
	bad := "header\n 0: 00000000:ZZZZ 00000000:0000 0A\n"
	if err := parseListening(strings.NewReader(bad), map[int]bool{}); err == nil {
		t.Error("no error for a bad port")
	}
}

func TestStartRejectsIncompleteConfig(t *testing.T) {
	if _, err := Start(context.Background(), Config{NetNS: "x"}); err == nil {
		t.Error("no error")
	}
}

// The server starts in a namespace, listens on its ports, writes its
// configuration with the export, and Stop ends both daemons.
func TestServerStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("needs root and nfs-ganesha; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root for the network namespace")
	}
	for _, tool := range []string{"ganesha.nfsd", "rpcbind", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing: install nfs-ganesha, nfs-ganesha-vfs, rpcbind, iproute2", tool)
		}
	}
	ctx := context.Background()
	lab, err := netlab.New(ctx, netlab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	}()
	export, state := t.TempDir(), t.TempDir()
	s, err := Start(ctx, Config{NetNS: lab.NS, Addr: lab.Addr.Addr(), Export: export, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{s.ganesha.Process.Pid, s.rpcbind.Process.Pid}
	conf, err := os.ReadFile(filepath.Join(state, "ganesha.conf"))
	if err != nil || !strings.Contains(string(conf), `Path = "`+export+`"`) || !strings.Contains(string(conf), "Graceless = true") {
		t.Errorf("ganesha.conf: %v\n%s", err, conf)
	}
	if got, want := s.V4Source(), lab.Addr.Addr().String()+":/nfsroot"; got != want {
		t.Errorf("V4Source = %q, want %q", got, want)
	}
	if got := s.V3Source(); got != lab.Addr.Addr().String()+":"+export {
		t.Errorf("V3Source = %q", got)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); !os.IsNotExist(err) {
			t.Errorf("pid %d still exists after Stop", pid)
		}
	}
	// A server whose address is not in the namespace fails with ganesha's log.
	_, err = Start(ctx, Config{NetNS: lab.NS, Addr: netip.MustParseAddr("10.254.254.254"), Export: export, StateDir: t.TempDir()})
	t.Logf("foreign address: %v", err)
	if err == nil || !strings.Contains(err.Error(), "ganesha") {
		t.Errorf("a server on a foreign address: %v", err)
	}
}
