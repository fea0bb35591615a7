// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	uiorand "github.com/u-root/uio/rand"
)

func TestXIDReader(t *testing.T) {
	useXIDReader()
	if _, ok := uiorand.Reader.(xidReader); !ok {
		t.Fatalf("the DHCP library's random source is %T, want xidReader", uiorand.Reader)
	}
	start := time.Now()
	seen := map[dhcpv4.TransactionID]bool{}
	for range 64 {
		xid, err := dhcpv4.GenerateTransactionID()
		if err != nil {
			t.Fatal(err)
		}
		seen[xid] = true
	}
	if len(seen) < 60 {
		t.Errorf("64 transaction ids, only %d distinct", len(seen))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("64 transaction ids took %v", d)
	}
	a, b := make([]byte, 4096), make([]byte, 4096)
	if _, err := readURandom(a); err != nil {
		t.Fatal(err)
	}
	if _, err := readInsecure(b); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 4096)) {
		t.Error("random reads gave equal or zero bytes")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (xidReader{}).ReadContext(ctx, a); err == nil {
		t.Error("ReadContext with a done context gave no error")
	}
}
