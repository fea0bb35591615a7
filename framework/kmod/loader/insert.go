package loader

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/framework/kmod"
	"golang.org/x/sys/unix"
)

// kernelCompressionName maps a module file suffix to the name the kernel
// uses in <sysfs>/module/compression.
var kernelCompressionName = map[string]string{".zst": "zstd", ".xz": "xz", ".gz": "gzip"}

// KernelCompression returns the module compression the running kernel
// decompresses itself, read from <sysfs>/module/compression (Linux 6.4
// and later with CONFIG_MODULE_DECOMPRESS), or "" when it does none.
func KernelCompression(sysfs string) string {
	data, err := os.ReadFile(filepath.Join(sysfs, "module", "compression"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// insert loads one module file into the kernel.
func (l *Loader) insert(m *kmod.Module) error {
	path := l.ix.Path(m)
	params := l.params[m.Name]
	ext := kmod.Compression(path)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load module %s: %w (is the image's module tree complete?)", m.Name, err)
	}
	defer f.Close()
	if ext != "" && kernelCompressionName[ext] == l.kcomp {
		err = l.kernel.FinitModule(f, params, unix.MODULE_INIT_COMPRESSED_FILE)
		// EINVAL: a kernel older than the flag; EOPNOTSUPP: built without
		// in-kernel decompression. Both take the decompressed file.
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EOPNOTSUPP) {
			return loadError(m.Name, path, err)
		}
	}
	if ext != "" {
		mem, err := decompressToMemfd(f, ext, m.Name)
		if err != nil {
			return fmt.Errorf("load module %s: decompress %s: %w", m.Name, path, err)
		}
		defer mem.Close()
		f = mem
	}
	return loadError(m.Name, path, l.kernel.FinitModule(f, params, 0))
}

// decompressToMemfd writes the decompressed module into an anonymous
// memory file the kernel can read with finit_module.
func decompressToMemfd(f *os.File, ext, name string) (*os.File, error) {
	r, err := kmod.Decompress(f, ext)
	if err != nil {
		return nil, err
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	fd, err := unix.MemfdCreate("osr-module:"+name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "memfd:osr-module:"+name)
	if _, err := io.Copy(mem, r); err != nil {
		mem.Close()
		return nil, err
	}
	return mem, nil
}

// loadError turns the errno of finit_module into an error that says what
// to check; EEXIST (already loaded) is success.
func loadError(name, path string, err error) error {
	var hint string
	switch {
	case err == nil || errors.Is(err, unix.EEXIST):
		return nil
	case errors.Is(err, unix.ENOEXEC):
		hint = "not a module for this kernel: the image's modules must come from the booted kernel's version"
	case errors.Is(err, unix.ENOENT):
		hint = "unknown symbol: a dependency is missing or modules.dep is stale (run depmod when building the image)"
	case errors.Is(err, unix.EKEYREJECTED), errors.Is(err, unix.ENOKEY):
		hint = "signature rejected: the module must be signed by the booted kernel's key (do not strip signed modules)"
	case errors.Is(err, unix.EPERM):
		hint = "module loading is not permitted (kernel.modules_disabled, lockdown or missing CAP_SYS_MODULE)"
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		hint = "no such device: the driver found no hardware it supports"
	default:
		hint = "see the kernel log (dmesg) for the reason"
	}
	return fmt.Errorf("load module %s (%s): %w: %s", name, path, err, hint)
}
