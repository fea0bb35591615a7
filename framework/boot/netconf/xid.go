// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	uiorand "github.com/u-root/uio/rand"
	"golang.org/x/sys/unix"
)

// The DHCP library draws every transaction id from u-root's rand.Reader,
// which spins on getrandom(GRND_NONBLOCK) until the kernel's random pool is
// ready, for up to two minutes. Early at boot on a machine without a hardware
// random number generator (qemu's default CPU model has no RDRAND, and no
// virtio-rng is common) nothing feeds the pool while the CPU spins, and the
// initrd's DHCP gave up after those two minutes. A transaction id must differ
// from other clients' on the wire; it need not be secret. So the initrd reads
// it with GRND_INSECURE (Linux 5.6 and later), which never blocks, or from
// /dev/urandom on older kernels.
var useXIDReader = sync.OnceFunc(func() { uiorand.Reader = xidReader{} })

// xidReader reads random bytes that never wait for the kernel's pool.
type xidReader struct{}

// Read fills b.
func (xidReader) Read(b []byte) (int, error) { return readInsecure(b) }

// ReadContext fills b; it never blocks, so ctx only matters when it is done
// already.
func (xidReader) ReadContext(ctx context.Context, b []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return readInsecure(b)
}

func readInsecure(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Getrandom(b[n:], unix.GRND_INSECURE)
		switch {
		case err == nil:
			n += m
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS):
			// A kernel older than 5.6 has no GRND_INSECURE.
			return readURandom(b)
		default:
			return n, fmt.Errorf("getrandom: %w", err)
		}
	}
	return n, nil
}

func readURandom(b []byte) (int, error) {
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return 0, fmt.Errorf("random bytes for DHCP: %w", err)
	}
	defer f.Close()
	n, err := f.Read(b)
	if err != nil {
		return n, fmt.Errorf("random bytes for DHCP: %w", err)
	}
	if n < len(b) {
		return n, fmt.Errorf("random bytes for DHCP: short read of /dev/urandom (%d of %d)", n, len(b))
	}
	return n, nil
}
