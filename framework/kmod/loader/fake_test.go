// SPDX-License-Identifier: Apache-2.0

package loader

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/framework/kmod"
	"github.com/open-sharedroot/osr/framework/kmod/internal/kmodtest"
	"golang.org/x/sys/unix"
)

// fakeKernel stands in for finit_module. Like the kernel it reads the
// module's name and dependencies from its .modinfo and refuses a module
// whose dependencies are not loaded yet (ENOENT, "unknown symbol").
type fakeKernel struct {
	// decompresses is the compression accepted with
	// MODULE_INIT_COMPRESSED_FILE ("" → EINVAL, like a kernel before 6.4).
	decompresses string
	// fail makes loading a module return an errno.
	fail map[string]error
	// delay is how long each insertion takes.
	delay time.Duration
	// onLoad runs after a module is loaded (e.g. to add devices).
	onLoad func(name string)

	mu          sync.Mutex
	loaded      map[string]bool
	order       []string
	calls       []call
	inflight    int
	maxInflight int
}

type call struct {
	name, params string
	flags        int
	// elf is whether the bytes handed over were the plain ELF module.
	elf bool
}

func newFakeKernel(preloaded ...string) *fakeKernel {
	k := &fakeKernel{loaded: map[string]bool{}, fail: map[string]error{}}
	for _, n := range preloaded {
		k.loaded[n] = true
	}
	return k
}

func (k *fakeKernel) FinitModule(f *os.File, params string, flags int) error {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<40))
	if err != nil {
		return err
	}
	isELF := bytes.HasPrefix(data, []byte("\x7fELF"))
	if flags&unix.MODULE_INIT_COMPRESSED_FILE != 0 {
		if k.decompresses == "" {
			return unix.EINVAL
		}
		ext := map[string]string{"zstd": ".zst", "xz": ".xz", "gzip": ".gz"}[k.decompresses]
		r, err := kmod.Decompress(bytes.NewReader(data), ext)
		if err != nil {
			return unix.EINVAL
		}
		if data, err = io.ReadAll(r); err != nil {
			return unix.EINVAL
		}
	} else if !isELF {
		return unix.ENOEXEC
	}
	mi, err := kmod.ParseModinfo(data)
	if err != nil || len(mi["name"]) != 1 {
		return unix.ENOEXEC
	}
	name := kmod.Normalize(mi["name"][0])
	k.mu.Lock()
	k.calls = append(k.calls, call{name: name, params: params, flags: flags, elf: isELF})
	if k.loaded[name] {
		k.mu.Unlock()
		return unix.EEXIST
	}
	if err := k.fail[name]; err != nil {
		k.mu.Unlock()
		return err
	}
	for _, dep := range mi["depends"] {
		for _, d := range strings.Split(dep, ",") {
			if d != "" && !k.loaded[kmod.Normalize(d)] {
				k.mu.Unlock()
				return fmt.Errorf("%s needs %s: %w", name, d, unix.ENOENT)
			}
		}
	}
	k.inflight++
	k.maxInflight = max(k.maxInflight, k.inflight)
	k.mu.Unlock()
	time.Sleep(k.delay)
	k.mu.Lock()
	k.inflight--
	k.loaded[name] = true
	k.order = append(k.order, name)
	k.mu.Unlock()
	if k.onLoad != nil {
		k.onLoad(name)
	}
	return nil
}

// position returns the index of name in the load order, or -1.
func (k *fakeKernel) position(name string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, n := range k.order {
		if n == name {
			return i
		}
	}
	return -1
}

// fakeMod is one module of a fake tree: its path below the modules
// directory and the paths of its dependencies.
type fakeMod struct {
	path string
	deps []string
}

// fakeTree writes a modules directory with modules.dep and the module
// files (their .modinfo carries name= and depends= as real ones do) plus
// the given extra index files.
func fakeTree(t *testing.T, mods []fakeMod, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lib/modules/9.9.9-test")
	var dep strings.Builder
	for _, m := range mods {
		fmt.Fprintf(&dep, "%s:", m.path)
		var names []string
		for _, d := range m.deps {
			fmt.Fprintf(&dep, " %s", d)
			names = append(names, kmod.NameFromPath(d))
		}
		dep.WriteString("\n")
		data, err := kmodtest.Compress(kmod.Compression(m.path), kmodtest.ModuleELF(
			"license=GPL", "depends="+strings.Join(names, ","), "name="+kmod.NameFromPath(m.path)))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, m.path), data)
	}
	writeFile(t, filepath.Join(dir, kmod.FileDep), []byte(dep.String()))
	for name, content := range extra {
		writeFile(t, filepath.Join(dir, name), []byte(content))
	}
	return dir
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
