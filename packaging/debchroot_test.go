// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/open-sharedroot/osr/internal/testkernel"
	"github.com/open-sharedroot/osr/internal/testos"
)

// TestDebInDebian12 builds the .deb with make package, installs it with dpkg into
// a clean Debian 12 root (internal/testos, mmdebstrap) holding a real kernel's
// modules, and there runs osr drivers, then the postinst.d hook with kernel_hooks
// on, which builds a real image from that root, and the postrm.d hook, which
// removes it. Needs root (chroot).
func TestDebInDebian12(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the packages and a Debian root")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for chroot and dpkg")
	}
	k := testkernel.Get(t)
	root := testos.Get(t)
	dir := t.TempDir()
	if err := root.Unpack(context.Background(), dir, k); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("make", "-C", "..", "-s", "package").CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}
	for glob, to := range map[string]string{"../dist/osr_*.deb": "tmp/osr.deb", "../dist/osr-compat_*.deb": "tmp/osr-compat.deb"} {
		debs, _ := filepath.Glob(glob)
		if len(debs) != 1 {
			t.Fatalf("make package left %v in dist/; want one %s", debs, glob)
		}
		deb, err := os.ReadFile(debs[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), deb, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chroot := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("chroot", append([]string{dir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("chroot %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	chroot("dpkg", "-i", "/tmp/osr.deb")
	drivers := chroot("osr", "drivers")
	for _, d := range []string{"nfs", "gfs2", "ocfs2", "ext3"} {
		if !strings.Contains(drivers, "/usr/libexec/osr/drivers/osr-driver-"+d) {
			t.Errorf("osr drivers in the Debian root lacks %s:\n%s", d, drivers)
		}
	}

	if err := os.MkdirAll(filepath.Join(dir, "etc/cluster"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "testdata/one-node.conf", filepath.Join(dir, "etc/cluster/cluster.conf"))
	// osr-compat, on top of osr: the originals' names answer.
	chroot("dpkg", "-i", "/tmp/osr-compat.deb")
	if ids := chroot("com-queryclusterconf", "nodeids"); ids != "1" {
		t.Errorf("com-queryclusterconf nodeids from osr-compat = %q, want 1", ids)
	}
	// The packaged osr.hcl has the switch commented out; turn it on as an admin would.
	hclPath := filepath.Join(dir, "etc/osr/osr.hcl")
	hcl, err := os.ReadFile(hclPath)
	if err != nil {
		t.Fatal(err)
	}
	on := strings.Replace(string(hcl), "# kernel_hooks = true", "kernel_hooks = true", 1)
	if on == string(hcl) {
		t.Fatal("the packaged osr.hcl has no '# kernel_hooks = true' line to turn on")
	}
	if err := os.WriteFile(hclPath, []byte(on), 0o644); err != nil {
		t.Fatal(err)
	}
	// osr build copies itself into the image through /proc/self/exe.
	proc := filepath.Join(dir, "proc")
	if err := syscall.Mount("proc", proc, "proc", 0, ""); err != nil {
		t.Fatalf("mount proc in the Debian root: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(proc, 0); err != nil {
			t.Errorf("unmount %s: %v", proc, err)
		}
	})
	image := "/boot/initrd_sr-" + k.Version + ".img"
	t.Log(chroot("/etc/kernel/postinst.d/osr", k.Version, "/boot/vmlinuz-"+k.Version))
	// The installed nfs driver is built in: the image's /init (osr-init) calls it.
	if m := chroot("osr", "inspect", image, "--cat", "etc/osr/manifest.json"); !strings.Contains(m, `"name": "nfs"`) || !strings.Contains(m, `"built_in": true`) {
		t.Errorf("the image built in the Debian root does not have the nfs driver built in:\n%.2000s", m)
	}
	chroot("/etc/kernel/postrm.d/osr", k.Version, "/boot/vmlinuz-"+k.Version)
	if _, err := os.Stat(filepath.Join(dir, image)); err == nil {
		t.Errorf("postrm.d/osr left %s", image)
	}
}
