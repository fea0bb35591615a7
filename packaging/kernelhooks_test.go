// SPDX-License-Identifier: Apache-2.0

// Package packaging holds what distributions install besides the binaries: the
// kernel hooks, the nfpm package definition and the man page sources. Its tests run
// the hooks against a real kernel and the real osr.
package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/internal/testkernel"
)

// buildOSR builds osr, osr-driverhost, osr-init, osr-init-plugin and the nfs driver into dir.
func buildOSR(t *testing.T, dir string) {
	t.Helper()
	for out, pkg := range map[string]string{"osr": "../cmd/osr", "osr-driverhost": "../cmd/osr-driverhost", "osr-init": "../cmd/osr-init", "osr-init-plugin": "../cmd/osr-init-plugin", "osr-driver-nfs": "../drivers/nfs"} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, out), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
}

// installHook writes the hook src with @BINDIR@ replaced, as make install does.
func installHook(t *testing.T, src, dst, bindir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, bytes.ReplaceAll(b, []byte("@BINDIR@"), []byte(bindir)), 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestKernelHooks installs a real kernel's modules into nothing but a directory,
// calls the hooks as dpkg's run-parts and kernel-install call them, and checks the
// image appears, holds osr and the driver, and goes away again.
func TestKernelHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches a Debian kernel and builds images")
	}
	k := testkernel.Get(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	buildOSR(t, bin)
	hooks := filepath.Join(dir, "hooks")
	postinst := installHook(t, "kernel/postinst.d/osr", filepath.Join(hooks, "postinst.d/osr"), bin)
	postrm := installHook(t, "kernel/postrm.d/osr", filepath.Join(hooks, "postrm.d/osr"), bin)
	plugin := installHook(t, "kernel/50-osr.install", filepath.Join(hooks, "install.d/50-osr.install"), bin)

	cluster := filepath.Join(dir, "cluster.conf")
	copyFile(t, "testdata/one-node.conf", cluster)
	listfiles, err := filepath.Abs("../listfiles")
	if err != nil {
		t.Fatal(err)
	}
	boot := filepath.Join(dir, "boot")
	if err := os.Mkdir(boot, 0o755); err != nil {
		t.Fatal(err)
	}
	image := filepath.Join(boot, "initrd_sr-"+k.Version+".img")
	writeConfig := func(hooksOn bool) string {
		path := filepath.Join(dir, "osr.hcl")
		hcl := fmt.Sprintf(`cluster_config = %q
listfile_dirs  = [%q]
initrd {
  driver       = "nfs"
  compression  = "gzip"
  modules_dir  = %q
  output       = %q
  kernel_hooks = %v
}
`, cluster, listfiles, k.ModulesDir, filepath.Join(boot, "initrd_sr-{kernel}.img"), hooksOn)
		if err := os.WriteFile(path, []byte(hcl), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cache := t.TempDir() // osr build's segment cache
	run := func(cfg string, args ...string) (string, error) {
		cmd := exec.Command("/bin/sh", args...)
		cmd.Env = append(os.Environ(), "OSR_CONFIG="+cfg, "OSR_DRIVER_PATH="+bin, "OSR_CACHE_DIR="+cache)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	// Off: the hooks say so and build nothing.
	cfg := writeConfig(false)
	if out, err := run(cfg, postinst, k.Version, k.Vmlinuz); err != nil || !strings.Contains(out, "kernel hooks are off") || exists(image) {
		t.Fatalf("postinst with kernel_hooks = false: err %v, image built %v, output:\n%s", err, exists(image), out)
	}

	cfg = writeConfig(true)
	for _, tt := range []struct {
		name        string
		add, remove []string
	}{
		{"postinst.d and postrm.d", []string{postinst, k.Version, k.Vmlinuz}, []string{postrm, k.Version, k.Vmlinuz}},
		{"kernel-install", []string{plugin, "add", k.Version, filepath.Join(boot, "entry"), k.Vmlinuz},
			[]string{plugin, "remove", k.Version, filepath.Join(boot, "entry")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := run(cfg, tt.add...); err != nil || !exists(image) {
				t.Fatalf("add: err %v, image built %v, output:\n%s", err, exists(image), out)
			}
			list, err := exec.Command(filepath.Join(bin, "osr"), "inspect", image).CombinedOutput()
			if err != nil {
				t.Fatalf("osr inspect %s: %v\n%s", image, err, list)
			}
			for _, want := range []string{"usr/libexec/osr/drivers/osr-driver-nfs", "lib/modules/" + k.Version + "/modules.dep"} {
				if !strings.Contains(string(list), want) {
					t.Errorf("the image lacks %s", want)
				}
			}
			if out, err := run(cfg, tt.remove...); err != nil || exists(image) {
				t.Fatalf("remove: err %v, image left %v, output:\n%s", err, exists(image), out)
			}
		})
	}

	// A configuration error fails the hook, so the package manager shows it.
	if err := os.WriteFile(cfg, []byte("initrd { kernel_hooks = true }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(cfg, postinst, k.Version); err == nil || !strings.Contains(out, "kernel_hooks without a driver") {
		t.Errorf("postinst with a broken osr.hcl: err %v, output:\n%s", err, out)
	}
}

// copyFile copies a test fixture to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
