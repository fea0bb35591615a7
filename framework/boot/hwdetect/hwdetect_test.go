package hwdetect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func device(t *testing.T, sys, path, alias string) {
	t.Helper()
	d := filepath.Join(sys, "devices", path)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "modalias"), []byte(alias+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestModaliases(t *testing.T) {
	sys := t.TempDir()
	device(t, sys, "pci0000:00/0000:00:02.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	device(t, sys, "pci0000:00/0000:00:03.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	device(t, sys, "platform/serial8250", "platform:serial8250")
	device(t, sys, "virtual/empty", "")
	got, err := Modaliases(sys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", "platform:serial8250"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if _, err := Modaliases(filepath.Join(sys, "none")); err == nil {
		t.Error("Modaliases without sysfs succeeded")
	}
}

// TestColdplug: loading virtio_pci makes a virtio device appear, whose
// driver is loaded in the next round.
func TestColdplug(t *testing.T) {
	sys := t.TempDir()
	device(t, sys, "pci0000:00/0000:00:02.0", "pci:v00001AF4d00001000")
	var calls [][]string
	load := func(ctx context.Context, aliases []string) ([]string, error) {
		calls = append(calls, aliases)
		var mods []string
		for _, a := range aliases {
			switch {
			case strings.HasPrefix(a, "pci:v00001AF4"):
				mods = append(mods, "virtio_pci")
				device(t, sys, "pci0000:00/0000:00:02.0/virtio0", "virtio:d00000001v00001AF4")
			case strings.HasPrefix(a, "virtio:d00000001"):
				mods = append(mods, "virtio_net")
			}
		}
		return mods, nil
	}
	loaded, err := Coldplug(context.Background(), sys, load, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"virtio_pci", "virtio_net"}, loaded); diff != "" {
		t.Error(diff)
	}
	want := [][]string{{"pci:v00001AF4d00001000"}, {"virtio:d00000001v00001AF4"}}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("load calls (-want +got):\n%s", diff)
	}
}

func TestColdplugKeepsGoingAfterErrors(t *testing.T) {
	sys := t.TempDir()
	device(t, sys, "a", "pci:a")
	boom := errors.New("firmware missing")
	rounds := 0
	load := func(ctx context.Context, aliases []string) ([]string, error) {
		rounds++
		if rounds == 1 {
			device(t, sys, "b", "pci:b")
			return []string{"a"}, boom
		}
		return []string{"b"}, nil
	}
	loaded, err := Coldplug(context.Background(), sys, load, nil)
	if !errors.Is(err, boom) || len(loaded) != 2 {
		t.Fatalf("Coldplug = %v, %v", loaded, err)
	}
}
