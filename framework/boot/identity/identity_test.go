// SPDX-License-Identifier: Apache-2.0

package identity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListNICs(t *testing.T) {
	sys := t.TempDir()
	add := func(name, typ, mac string) {
		d := filepath.Join(sys, "class", "net", name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if typ != "" {
			os.WriteFile(filepath.Join(d, "type"), []byte(typ+"\n"), 0o644)
		}
		if mac != "" {
			os.WriteFile(filepath.Join(d, "address"), []byte(mac+"\n"), 0o644)
		}
	}
	add("lo", "772", "00:00:00:00:00:00")
	add("eth1", "1", "52:54:00:00:01:72")
	add("eth0", "1", "52:54:00:00:01:71")
	add("ib0", "32", "80:00:00:48:FE:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:01")
	add("dummy", "1", "00:00:00:00:00:00")
	add("tun0", "65534", "")
	add("noaddr", "1", "")
	add("notype", "", "52:54:00:00:01:99")
	got, err := ListNICs(sys)
	if err != nil {
		t.Fatal(err)
	}
	want := []NIC{
		{Name: "eth0", MAC: "52:54:00:00:01:71", Type: 1},
		{Name: "eth1", MAC: "52:54:00:00:01:72", Type: 1},
		{Name: "ib0", MAC: "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:01", Type: 32},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"52:54:00:00:01:71", "52:54:00:00:01:72", want[2].MAC}, MACs(got)); diff != "" {
		t.Error(diff)
	}
	if _, err := ListNICs(filepath.Join(sys, "nope")); err == nil {
		t.Error("ListNICs without sysfs succeeded")
	}
}
