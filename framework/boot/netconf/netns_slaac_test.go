// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/internal/nstest"
)

// advertise plays an IPv6 router on peer0: every 300 ms, until the test
// ends, it sends a router advertisement with prefix (autonomous, on-link) and
// itself as default router. It starts once peer0 has its link-local address,
// which needs the node's end up (a veth without carrier has none). The
// returned function waits for that and gives the router's address.
func (l *lab) advertise(prefix netip.Prefix) func() netip.Addr {
	t := l.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type started struct {
		addr netip.Addr
		err  error
	}
	ch := make(chan started, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // this thread stays in the peer's namespace and ends with the goroutine
		if err := netns.Set(l.peer); err != nil {
			ch <- started{err: err}
			return
		}
		ifi, err := net.InterfaceByName("peer0")
		if err != nil {
			ch <- started{err: err}
			return
		}
		// The link-local address is usable once its duplicate address
		// detection is over.
		var c *ndp.Conn
		var addr netip.Addr
		for range 300 {
			if c, addr, err = ndp.Listen(ifi, ndp.LinkLocal); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			ch <- started{err: err}
			return
		}
		defer c.Close()
		ch <- started{addr: addr}
		ra := &ndp.RouterAdvertisement{
			CurrentHopLimit: 64,
			RouterLifetime:  30 * time.Minute,
			Options: []ndp.Option{
				&ndp.PrefixInformation{
					PrefixLength: uint8(prefix.Bits()), OnLink: true, AutonomousAddressConfiguration: true,
					ValidLifetime: time.Hour, PreferredLifetime: time.Hour, Prefix: prefix.Addr(),
				},
				&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: ifi.HardwareAddr},
			},
		}
		for {
			_ = c.WriteTo(ra, nil, netip.IPv6LinkLocalAllNodes())
			select {
			case <-ctx.Done():
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return func() netip.Addr {
		s := <-ch
		if s.err != nil {
			t.Fatalf("router on peer0: %v", s.err)
		}
		return s.addr
	}
}

// auto6 takes the address the kernel makes from a router advertisement
// (SLAAC) and the router as IPv6 default route; without a router it gives
// up after SLAACWait with an error that says what to check.
func TestUpSLAAC(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	l := newLab(t, "enp0s3", nodeMAC)
	prefix := netip.MustParsePrefix("fd00:98::/64")
	routerAddr := l.advertise(prefix)
	res, err := Up(context.Background(), []Interface{{Name: "eth0", MAC: nodeMAC, IP: Auto6, OnBoot: true}},
		Options{CarrierWait: 5 * time.Second, SLAACWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	router := routerAddr().WithZone("") // the node names it without the peer's zone
	c := res.Configured[0]
	if c.Via != "auto6" || !prefix.Contains(c.Addr.Addr()) || c.Addr.Bits() != 64 {
		t.Fatalf("configured %+v; want an address in %s from auto6", c, prefix)
	}
	// The kernel's default interface identifier is the EUI-64 of the MAC.
	if want := netip.MustParseAddr("fd00:98::5054:ff:fe0a:171"); c.Addr.Addr() != want {
		t.Errorf("address %s, want %s (EUI-64 of %s)", c.Addr.Addr(), want, nodeMAC)
	}
	if gw, ok := defaultRoute6(mustLink(t, "enp0s3")); !ok || gw != router {
		t.Errorf("IPv6 default route via %v (%v), want the router %s", gw, ok, router)
	}
	if c.Gateway != router {
		t.Errorf("result gateway %s, want %s", c.Gateway, router)
	}
}

func TestUpSLAACWithoutRouterFails(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	newLab(t, "enp0s3", nodeMAC)
	start := time.Now()
	_, err := Up(context.Background(), []Interface{{Name: "eth0", MAC: nodeMAC, IP: Auto6, OnBoot: true}},
		Options{CarrierWait: 5 * time.Second, SLAACWait: 2 * time.Second})
	if err == nil {
		t.Fatal("auto6 without a router succeeded")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("gave up after %v, want about SLAACWait", d)
	}
	t.Logf("error: %v", err)
}
