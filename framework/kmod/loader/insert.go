// SPDX-License-Identifier: Apache-2.0

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
			return l.loadError(m, path, err)
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
	return l.loadError(m, path, l.kernel.FinitModule(f, params, 0))
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

// ErrUnsupported is wrapped by the error of a module that does not fit
// this machine; the loader logs and skips it, and it fails a Load only
// when no other module provides the name asked for. finit_module's errno
// decides, as the kernel's drivers use it:
//
//   - ENODEV, ENXIO, for any module: its init found no device it drives,
//     or a CPU feature it needs is missing (crc32c_intel without SSE4.2,
//     aesni_intel without AES-NI).
//   - EINVAL, only for a device driver (a module with a device modalias,
//     kmod.IsDeviceAlias) given no parameters: some drivers answer an
//     unsupported device or CPU model with it. From any other module, or
//     from a module given parameters, EINVAL means a parameter value was
//     rejected or the module's symbol versions disagree with the kernel
//     (a module from another build): real errors.
//
// Every other errno (ENOEXEC, ENOENT, EKEYREJECTED, EPERM, EBUSY, …) is a
// broken image or a refused load, never ErrUnsupported.
var ErrUnsupported = errors.New("not supported by this machine")

// loadError turns the errno of finit_module into an error that says what
// to check; EEXIST (already loaded) is success.
func (l *Loader) loadError(m *kmod.Module, path string, err error) error {
	var hint string
	switch {
	case err == nil || errors.Is(err, unix.EEXIST):
		return nil
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO),
		errors.Is(err, unix.EINVAL) && l.params[m.Name] == "" && l.ix.Aliases().DeviceDriver(m.Name):
		return fmt.Errorf("load module %s (%s): %w: %w (it found no device it drives, or a CPU feature it needs is missing)", m.Name, path, err, ErrUnsupported)
	case errors.Is(err, unix.EINVAL):
		hint = "a module parameter was rejected, or the module's symbol versions disagree with the kernel (the image's modules must come from the booted kernel's build)"
	case errors.Is(err, unix.ENOEXEC):
		hint = "not a module for this kernel: the image's modules must come from the booted kernel's version"
	case errors.Is(err, unix.ENOENT):
		hint = "unknown symbol: a dependency is missing or modules.dep is stale (run depmod when building the image)"
	case errors.Is(err, unix.EKEYREJECTED), errors.Is(err, unix.ENOKEY):
		hint = "signature rejected: the module must be signed by the booted kernel's key (do not strip signed modules)"
	case errors.Is(err, unix.EPERM):
		hint = "module loading is not permitted (kernel.modules_disabled, lockdown or missing CAP_SYS_MODULE)"
	default:
		hint = "see the kernel log (dmesg) for the reason"
	}
	return fmt.Errorf("load module %s (%s): %w: %s", m.Name, path, err, hint)
}
