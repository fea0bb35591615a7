// SPDX-License-Identifier: Apache-2.0

package initrd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/framework/elfdeps"
	"github.com/open-sharedroot/osr/framework/initrd/image"
	"github.com/open-sharedroot/osr/framework/kmod"
	"github.com/open-sharedroot/osr/framework/listfile"
)

// addItems adds listfile and driver items, and the ELF closure of every binary.
func (p *Plan) addItems(ctx context.Context, req *Request, items []listfile.Item) error {
	a := p.Archive.Segment(SegmentSystem)
	var binaries []string
	for _, it := range items {
		origin := it.Origin.String()
		var err error
		switch it.Kind {
		case listfile.KindDir:
			mode := it.Mode
			if mode == 0 {
				mode = 0o755
				if st, serr := os.Stat(it.HostPath); it.HostPath != "" && serr == nil {
					mode = st.Mode().Perm()
				}
			}
			err = a.Add(image.Entry{Path: it.ImagePath, Kind: image.Dir, Mode: mode, Origin: origin})
		case listfile.KindSymlink:
			err = a.Add(image.Entry{Path: it.ImagePath, Kind: image.Symlink, Target: it.Target, Origin: origin})
		case listfile.KindFile, listfile.KindBinary:
			if _, serr := os.Stat(it.HostPath); serr != nil {
				return fmt.Errorf("%s: %w", origin, serr)
			}
			// Mode 0 keeps the source's bits, setuid and setgid included.
			err = a.Add(image.Entry{Path: it.ImagePath, Kind: image.File, Source: it.HostPath, Origin: origin})
			if it.Kind == listfile.KindBinary {
				binaries = append(binaries, it.Source)
			}
		default:
			err = fmt.Errorf("unknown item kind %q", it.Kind)
		}
		if err != nil {
			return fmt.Errorf("add %s (%s): %w", it.ImagePath, origin, err)
		}
	}
	if len(binaries) == 0 {
		return nil
	}
	res, err := elfdeps.New(elfdeps.Options{Root: req.root()})
	if err != nil {
		return fmt.Errorf("ELF dependencies: %w", err)
	}
	closure, err := res.Closure(ctx, binaries...)
	if err != nil {
		return fmt.Errorf("ELF dependencies: %w", err)
	}
	if err := closure.Err(); err != nil {
		return fmt.Errorf("ELF dependencies: %w; install the packages that provide them", err)
	}
	for _, f := range closure.Files {
		var e image.Entry
		if f.Link != "" {
			e = image.Entry{Path: f.Path, Kind: image.Symlink, Target: f.Link, Origin: "ELF dependency"}
		} else {
			if _, err := os.Stat(req.hostPath(f.Path)); err != nil {
				return fmt.Errorf("ELF dependency %s: %w", f.Path, err)
			}
			e = image.Entry{Path: f.Path, Kind: image.File, Source: req.hostPath(f.Path), Origin: "ELF dependency"}
		}
		if err := a.Add(e); err != nil {
			return fmt.Errorf("add ELF dependency %s: %w", f.Path, err)
		}
		p.Libraries = append(p.Libraries, f.Path)
	}
	return nil
}

// indexFiles are the module index files copied into the image for the init's loader.
var indexFiles = []string{
	kmod.FileDep, "modules.softdep", "modules.alias", "modules.builtin",
	"modules.builtin.modinfo", "modules.order",
}

// addModules resolves the module closure (the driver's modules, the user's, and the
// generic or host-only set) and adds modules, index files and firmware.
func (p *Plan) addModules(ctx context.Context, req *Request, dplan *driver.Plan) error {
	kreq := kmod.Request{Generic: true, Modules: append([]string{}, req.ExtraModules...)}
	for _, m := range dplan.Modules {
		if m.Optional {
			kreq.Optional = append(kreq.Optional, m.Name)
		} else {
			kreq.Modules = append(kreq.Modules, m.Name)
		}
	}
	if req.HostOnly {
		sysfs := req.Sysfs
		if sysfs == "" {
			sysfs = "/sys"
		}
		host, err := kmod.ReadHost(sysfs)
		if err != nil {
			return fmt.Errorf("--host-only: %w", err)
		}
		kreq.Host = &host
	}
	sel, err := req.Kernel.Resolve(kreq)
	if err != nil {
		return fmt.Errorf("kernel %s: %w; is the module built for this kernel? (osr drivers show %s lists what the driver asks for)",
			req.Kernel.Version(), err, req.DriverInfo.Name)
	}
	p.Modules, p.Builtin = sel.Modules, sel.Builtin
	for _, m := range sel.Missing {
		p.Notes = append(p.Notes, fmt.Sprintf("optional module %s does not exist in kernel %s", m, req.Kernel.Version()))
	}
	base := filepath.Join("/lib/modules", req.Kernel.Version())
	a := p.Archive.Segment(SegmentKernel)
	for _, m := range sel.Modules {
		src := req.Kernel.Path(m)
		if err := a.Add(image.Entry{Path: filepath.Join(base, m.Path), Kind: image.File, Source: src, Mode: 0o644, Origin: "module " + m.Name}); err != nil {
			return fmt.Errorf("add module %s: %w", m.Name, err)
		}
	}
	for _, f := range indexFiles {
		src := filepath.Join(req.Kernel.Dir(), f)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := a.Add(image.Entry{Path: filepath.Join(base, f), Kind: image.File, Source: src, Mode: 0o644, Origin: "module index"}); err != nil {
			return err
		}
	}
	if err := checkContext(ctx); err != nil {
		return err
	}
	read := kmod.ReadFirmwareNames
	if req.CacheDir != "" {
		memo := loadModinfoMemo(req.CacheDir)
		defer memo.save()
		read = memo.firmware
	}
	fws, err := req.Kernel.FirmwareFrom(ctx, sel.Modules, kmod.FirmwareDirs(req.root(), req.Kernel.Version()), read)
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	missingFW := 0
	for _, fw := range fws {
		if fw.Path == "" {
			missingFW++
			continue
		}
		dst := filepath.Join("/lib/firmware", fw.Name)
		if ext := filepath.Ext(fw.Path); (ext == ".zst" || ext == ".xz") && !strings.HasSuffix(dst, ext) {
			dst += ext
		}
		if err := a.Add(image.Entry{Path: dst, Kind: image.File, Source: fw.Path, Mode: 0o644, Origin: "firmware for " + strings.Join(fw.Modules, ",")}); err != nil {
			return fmt.Errorf("add firmware %s: %w", fw.Name, err)
		}
	}
	p.Firmware = fws
	if missingFW > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d firmware files the modules declare are not on this system (install the firmware packages for hardware that needs them)", missingFW))
	}
	return nil
}
