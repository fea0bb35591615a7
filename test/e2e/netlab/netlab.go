// SPDX-License-Identifier: Apache-2.0

// Package netlab gives boot tests a private network: a network namespace
// with a unique name, a bridge carrying the host side's address, and tap
// devices for the guests, all enslaved to the bridge. Nothing is routed out
// of the namespace. Close deletes the namespace and with it everything the
// lab created inside.
package netlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Bridge is the name of the bridge inside the namespace.
const Bridge = "br0"

// DefaultPrefix is the lab's subnet; the bridge takes its first address.
var DefaultPrefix = netip.MustParsePrefix("192.168.122.1/24")

// Options configure New.
type Options struct {
	// Taps is the number of tap devices, tap1…tapN.
	Taps int
	// Addr is the bridge's address and prefix; zero means DefaultPrefix.
	Addr netip.Prefix
	// Prefix starts the namespace's name; a random suffix follows.
	Prefix string
}

// Lab is a live network namespace.
type Lab struct {
	// NS is the namespace's name (ip netns).
	NS string
	// Addr is the bridge's address, where servers for the guests listen.
	Addr netip.Prefix
	taps int
}

// New creates the namespace, the bridge with its address and the taps.
// When a step fails, what was made so far is removed again.
func New(ctx context.Context, o Options) (_ *Lab, err error) {
	if o.Addr == (netip.Prefix{}) {
		o.Addr = DefaultPrefix
	}
	if !o.Addr.Addr().Is4() || o.Addr.Bits() > 24 {
		return nil, fmt.Errorf("lab address %v: want an IPv4 address with a prefix of /24 or shorter", o.Addr)
	}
	if o.Prefix == "" {
		o.Prefix = "osre2e"
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return nil, fmt.Errorf("name network namespace: %w", err)
	}
	if err := RemoveStale(ctx, o.Prefix); err != nil {
		return nil, err
	}
	l := &Lab{NS: fmt.Sprintf("%s-%d-%s", o.Prefix, os.Getpid(), hex.EncodeToString(suffix)), Addr: o.Addr, taps: o.Taps}
	if err := ip(ctx, "netns", "add", l.NS); err != nil {
		return nil, fmt.Errorf("create network namespace: %w", err)
	}
	defer func() {
		if err != nil {
			if cerr := l.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
	}()
	steps := [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", Bridge, "type", "bridge"},
		{"addr", "add", o.Addr.String(), "dev", Bridge},
		{"link", "set", Bridge, "up"},
	}
	for i := 1; i <= o.Taps; i++ {
		tap := l.Tap(i)
		steps = append(steps,
			[]string{"tuntap", "add", "dev", tap, "mode", "tap"},
			[]string{"link", "set", tap, "master", Bridge},
			[]string{"link", "set", tap, "up"})
	}
	for _, s := range steps {
		if err := ip(ctx, append([]string{"-n", l.NS}, s...)...); err != nil {
			return nil, fmt.Errorf("set up network namespace %s: %w", l.NS, err)
		}
	}
	return l, nil
}

// Tap returns the name of tap device i (1…Taps).
func (l *Lab) Tap(i int) string { return fmt.Sprintf("tap%d", i) }

// NodeAddr returns the address node n (1…150) gets in the lab's subnet:
// the bridge's network plus 100+n, with the lab's prefix length.
func (l *Lab) NodeAddr(n int) netip.Prefix {
	b := l.Addr.Masked().Addr().As4()
	b[3] += byte(100 + n)
	return netip.PrefixFrom(netip.AddrFrom4(b), l.Addr.Bits())
}

// Command returns a command that runs name inside the namespace.
func (l *Lab) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.NS, name}, args...)...)
}

// Close deletes the namespace, and with it the bridge and the taps. The
// processes running inside (servers, guests) must have been stopped first,
// or the namespace lives on until they exit.
func (l *Lab) Close() error {
	if err := ip(context.Background(), "netns", "del", l.NS); err != nil {
		return fmt.Errorf("delete network namespace: %w", err)
	}
	return nil
}

// RemoveStale deletes the namespaces an earlier lab with this prefix left
// behind when its process died before Close (a test binary killed on a
// timeout, say): those named prefix-PID-… whose PID no longer exists.
func RemoveStale(ctx context.Context, prefix string) error {
	out, err := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	if err != nil {
		return fmt.Errorf("list network namespaces: %w", err)
	}
	var errs []error
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		rest, ok := strings.CutPrefix(f[0], prefix+"-")
		if !ok {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // its owner lives (or cannot be told apart from a live one)
		}
		if err := ip(ctx, "netns", "del", f[0]); err != nil {
			errs = append(errs, fmt.Errorf("remove stale lab: %w", err))
		}
	}
	return errors.Join(errs...)
}

func ip(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
