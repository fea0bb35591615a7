// SPDX-License-Identifier: Apache-2.0

package netlab

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestNodeAddr(t *testing.T) {
	l := &Lab{Addr: netip.MustParsePrefix("10.20.30.1/24")}
	if got := l.NodeAddr(2); got.String() != "10.20.30.102/24" {
		t.Errorf("NodeAddr(2) = %v", got)
	}
	if got := l.Tap(3); got != "tap3" {
		t.Errorf("Tap(3) = %q", got)
	}
}

func TestNewRejectsBadAddress(t *testing.T) {
	for _, p := range []string{"fd00::1/64", "10.0.0.1/30"} {
		if _, err := New(context.Background(), Options{Addr: netip.MustParsePrefix(p)}); err == nil {
			t.Errorf("%s accepted", p)
		}
	}
}

func namespaces(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v\n%s", err, out)
	}
	return string(out)
}

// A lab has its bridge with the address and its taps enslaved to it, runs
// commands inside, and Close removes the namespace.
func TestLab(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a network namespace; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root to create a network namespace")
	}
	ctx := context.Background()
	l, err := New(ctx, Options{Taps: 2, Prefix: "osrnetlabtest"})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			l.Close()
		}
	}()
	if !strings.HasPrefix(l.NS, "osrnetlabtest-") || !strings.Contains(namespaces(t), l.NS) {
		t.Fatalf("namespace %q not listed:\n%s", l.NS, namespaces(t))
	}
	out, err := l.Command(ctx, "ip", "addr", "show", "dev", Bridge).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "inet "+DefaultPrefix.String()) || !strings.Contains(string(out), ",UP") {
		t.Errorf("bridge not up with its address: %v\n%s", err, out)
	}
	for _, tap := range []string{"tap1", "tap2"} {
		out, err := l.Command(ctx, "ip", "-d", "link", "show", "dev", tap).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "master "+Bridge) || !strings.Contains(string(out), "tun type tap") {
			t.Errorf("%s: %v\n%s", tap, err, out)
		}
	}
	// The host's namespace has none of it.
	if out, err := exec.Command("ip", "link", "show", "dev", "tap2").CombinedOutput(); err == nil {
		t.Errorf("tap2 visible outside the lab:\n%s", out)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if strings.Contains(namespaces(t), l.NS) {
		t.Errorf("namespace %s left after Close", l.NS)
	}
}

// A namespace left by a dead lab process is removed by the next lab; one
// whose owner lives is kept.
func TestRemoveStale(t *testing.T) {
	if testing.Short() {
		t.Skip("creates network namespaces; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root to create a network namespace")
	}
	// A child that has exited and been reaped: its PID names no process.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := "osrstaletest-" + strconv.Itoa(dead.Process.Pid) + "-00000000"
	alive := "osrstaletest-" + strconv.Itoa(os.Getpid()) + "-00000001"
	for _, ns := range []string{stale, alive} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v\n%s", ns, err, out)
		}
	}
	defer exec.Command("ip", "netns", "del", alive).Run()
	if err := RemoveStale(context.Background(), "osrstaletest"); err != nil {
		t.Fatal(err)
	}
	list := namespaces(t)
	if strings.Contains(list, stale) {
		exec.Command("ip", "netns", "del", stale).Run()
		t.Errorf("stale namespace %s kept", stale)
	}
	if !strings.Contains(list, alive) {
		t.Errorf("namespace %s of a live process removed", alive)
	}
}
