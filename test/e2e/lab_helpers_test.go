// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/internal/testkernel"
	"github.com/open-sharedroot/osr/test/e2e/bbinitrd"
	"github.com/open-sharedroot/osr/test/e2e/busybox"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// EnvLogDir names a directory that keeps the console logs of every boot;
// by default they go to each test's temporary directory.
const EnvLogDir = "OSR_E2E_LOGDIR"

// bootTimeout bounds each boot: a hang fails the test instead of blocking.
const bootTimeout = 4 * time.Minute

// labTools are the host programs the boot tests run.
var labTools = []string{"qemu-system-x86_64", "ip", "mkfs.ext3", "mkfs.gfs2", "mkfs.ocfs2", "debugfs.ocfs2", "ganesha.nfsd", "rpcbind"}

// requireLab skips under -short and fails when the host cannot run the
// boot tests (they need root for namespaces, taps and the NFS server).
func requireLab(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("boots guests under qemu; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the boot tests need root (network namespaces, tap devices, nfs-ganesha); run them as root or with -short")
	}
	for _, tool := range labTools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install qemu-system-x86, iproute2, e2fsprogs, gfs2-utils, ocfs2-tools, nfs-ganesha, nfs-ganesha-vfs, rpcbind", tool)
		}
	}
}

// labKit is what every boot needs: the kernel, a static busybox and the
// lab's initrds, one per filesystem with just its modules (fewer modules
// boot faster under emulation). Built once per test binary.
type labKit struct {
	Kernel  testkernel.Kernel
	Busybox string
	// Initrds maps a filesystem (ext3, nfs, gfs2, ocfs2) to its initrd.
	Initrds map[string]string
}

// labFilesystems are the module sets of the lab's initrds.
var labFilesystems = map[string][]string{
	"ext3":  bbinitrd.Ext3Modules,
	"nfs":   bbinitrd.NFSModules,
	"gfs2":  bbinitrd.GFS2Modules,
	"ocfs2": bbinitrd.OCFS2Modules,
}

var (
	kitOnce sync.Once
	kit     labKit
	kitErr  error
	kitDir  string
)

// Nodes of the lab's initrd node map: MAC → id and address.
func labNodes() []bbinitrd.Node {
	l := netlab.Lab{Addr: netlab.DefaultPrefix}
	var nodes []bbinitrd.Node
	for id := 1; id <= 4; id++ {
		nodes = append(nodes, bbinitrd.Node{MAC: qemu.NodeMAC(id), ID: id, Addr: l.NodeAddr(id)})
	}
	return nodes
}

func getKit(t testing.TB) labKit {
	t.Helper()
	k := testkernel.Get(t)
	kitOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		kit.Kernel = k
		if kit.Busybox, kitErr = busybox.Find(ctx, testkernel.CacheDir()); kitErr != nil {
			return
		}
		if kitDir, kitErr = os.MkdirTemp("", "osr-e2e-kit-"); kitErr != nil {
			return
		}
		kit.Initrds = map[string]string{}
		for fs, mods := range labFilesystems {
			kit.Initrds[fs] = filepath.Join(kitDir, "initrd-"+fs+".gz")
			_, kitErr = bbinitrd.Build(ctx, bbinitrd.Spec{
				Busybox:    kit.Busybox,
				ModulesDir: k.ModulesDir,
				Modules:    append(append([]string(nil), bbinitrd.BlockModules...), mods...),
				Nodes:      labNodes(),
			}, kit.Initrds[fs])
			if kitErr != nil {
				return
			}
		}
	})
	if kitErr != nil {
		t.Fatalf("lab kit: %v", kitErr)
	}
	return kit
}

func TestMain(m *testing.M) {
	code := m.Run()
	if kitDir != "" {
		os.RemoveAll(kitDir)
	}
	os.Exit(code)
}

// logDir returns where the test's console logs go.
func logDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv(EnvLogDir); d != "" {
		dir := filepath.Join(d, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("log dir: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// machine returns a lab machine that boots the lab initrd for filesystem
// fs with the given kernel parameters.
func machine(t testing.TB, k labKit, name, fs string, params ...string) qemu.Machine {
	t.Helper()
	initrd, ok := k.Initrds[fs]
	if !ok {
		t.Fatalf("no lab initrd for filesystem %q", fs)
	}
	return qemu.Machine{
		Name:    name,
		Kernel:  k.Kernel.Vmlinuz,
		Initrd:  initrd,
		Append:  append([]string{"loglevel=4", "osr.fstype=" + fs}, params...),
		LogPath: filepath.Join(logDir(t), name+".log"),
		Timeout: bootTimeout,
	}
}

// labTree makes a shared root whose /etc/hostname and /etc/osr-marker
// are hostdependent for nodes 1…n.
func labTree(t testing.TB, k labKit, n int) *sharedroot.Tree {
	t.Helper()
	tree, err := sharedroot.NewTree(context.Background(), filepath.Join(t.TempDir(), "root"), k.Busybox)
	if err != nil {
		t.Fatal(err)
	}
	hosts, markers := map[int]string{}, map[int]string{}
	for id := 1; id <= n; id++ {
		hosts[id] = fmt.Sprintf("node%d\n", id)
		markers[id] = fmt.Sprintf("marker-of-node%d\n", id)
	}
	if err := tree.LinkHostDependent(sharedroot.HostnameFile, hosts); err != nil {
		t.Fatal(err)
	}
	if err := tree.LinkHostDependent(sharedroot.MarkerPath, markers); err != nil {
		t.Fatal(err)
	}
	return tree
}

// identity returns the console lines that prove node id booted as itself.
func identity(id int) []string {
	return []string{
		fmt.Sprintf("%snode%d", sharedroot.MarkerHostname, id),
		fmt.Sprintf("%smarker-of-node%d", sharedroot.MarkerFile, id),
		sharedroot.MarkerDone,
	}
}

// logTimes reports each boot's wall time and its time to the init's first line.
func logTimes(t *testing.T, results []*qemu.Result) {
	t.Helper()
	for _, r := range results {
		if r == nil {
			continue
		}
		var first time.Duration
		if lines := r.Console.Lines(); len(lines) > 0 {
			first = lines[0].At
		}
		at, _ := r.Marker(sharedroot.MarkerHostname)
		t.Logf("%s: first console output after %v, root init after %v, qemu ran %v (log %s)", r.Name,
			first.Round(time.Millisecond), at.Round(time.Millisecond), r.Wall.Round(time.Millisecond), r.LogPath)
	}
}
