// SPDX-License-Identifier: Apache-2.0

package pkgdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
	"github.com/open-sharedroot/osr/framework/listfile/arch"
)

const (
	dpkgStatus = "/var/lib/dpkg/status"
	dpkgInfo   = "/var/lib/dpkg/info"
)

// Dpkg reads dpkg's database inside a root: the status file for what is installed,
// info/<pkg>.list and info/<pkg>:<arch>.list for what each package owns.
type Dpkg struct {
	root string
	arch string // dpkg's spelling

	once   sync.Once
	status map[string][]dpkgEntry
	err    error
}

// dpkgEntry is one stanza of the status file.
type dpkgEntry struct {
	arch   string
	status string // "install ok installed"
}

func (e dpkgEntry) installed() bool {
	f := strings.Fields(e.status)
	return len(f) == 3 && (f[2] == "installed")
}

// NewDpkg returns the dpkg database of root, preferring packages of the canonical
// architecture goarch when one is installed for several.
func NewDpkg(root, goarch string) *Dpkg {
	return &Dpkg{root: root, arch: arch.Dpkg(goarch)}
}

// Name returns "dpkg".
func (d *Dpkg) Name() string { return "dpkg" }

// InstallHint returns an apt-get command line.
func (d *Dpkg) InstallHint(pkgs ...string) string {
	return "apt-get install " + strings.Join(pkgs, " ")
}

// SearchHint returns an apt-file command line.
func (d *Dpkg) SearchHint(file string) string { return "apt-file search " + file }

// Files lists what an installed package owns; pkg may carry an architecture
// qualifier ("libc6:amd64").
func (d *Dpkg) Files(ctx context.Context, pkg string) ([]File, error) {
	d.once.Do(d.loadStatus)
	if d.err != nil {
		return nil, d.err
	}
	name, want, _ := strings.Cut(pkg, ":")
	entry, err := d.pick(pkg, name, want)
	if err != nil {
		return nil, err
	}
	// Multiarch packages ("Multi-Arch: same") keep name:arch.list; the others name.list.
	candidates := []string{dpkgInfo + "/" + name + ":" + entry.arch + ".list", dpkgInfo + "/" + name + ".list"}
	for _, c := range candidates {
		files, err := d.readList(c)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("dpkg: package %s: %w", pkg, err)
		}
		return files, nil
	}
	return nil, fmt.Errorf("dpkg: package %s is installed but neither %s nor %s exists in %s; reinstall it (apt-get install --reinstall %s)",
		pkg, candidates[0], candidates[1], d.root, name)
}

// pick chooses the installed stanza of name: the one of the wanted architecture,
// else the preferred one, else "all", else the only one installed.
func (d *Dpkg) pick(pkg, name, want string) (dpkgEntry, error) {
	entries := d.status[name]
	var installed []dpkgEntry
	for _, e := range entries {
		if e.installed() {
			installed = append(installed, e)
		}
	}
	prefs := []string{want}
	if want == "" {
		prefs = []string{d.arch, "all"}
	}
	for _, p := range prefs {
		for _, e := range installed {
			if e.arch == p {
				return e, nil
			}
		}
	}
	if want == "" && len(installed) == 1 {
		return installed[0], nil
	}
	nie := &NotInstalledError{Package: pkg}
	for _, e := range entries {
		if want == "" || e.arch == want {
			nie.State = e.status
		}
	}
	if len(installed) > 1 {
		return dpkgEntry{}, fmt.Errorf("dpkg: package %s is installed for several architectures and none is %s; name one (%s:ARCH)", name, d.arch, name)
	}
	return dpkgEntry{}, nie
}

func (d *Dpkg) loadStatus() {
	p, err := inroot.Resolve(d.root, dpkgStatus, true)
	if err != nil {
		d.err = fmt.Errorf("dpkg: %w", err)
		return
	}
	f, err := os.Open(inroot.Host(d.root, p))
	if err != nil {
		d.err = fmt.Errorf("dpkg: %w", err)
		return
	}
	defer f.Close()
	d.status, err = parseStatus(f)
	if err != nil {
		d.err = fmt.Errorf("dpkg: %s: %w", inroot.Host(d.root, p), err)
	}
}

// parseStatus reads the stanzas of dpkg's status file, keeping Package,
// Architecture and Status.
func parseStatus(r io.Reader) (map[string][]dpkgEntry, error) {
	out := map[string][]dpkgEntry{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var name string
	var cur dpkgEntry
	flush := func() {
		if name != "" {
			out[name] = append(out[name], cur)
		}
		name, cur = "", dpkgEntry{}
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a multi-line field
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Package":
			name = val
		case "Architecture":
			cur.arch = val
		case "Status":
			cur.status = val
		}
	}
	flush()
	return out, sc.Err()
}

// readList reads one info/*.list file: a path a line, "/." for the root itself.
func (d *Dpkg) readList(p string) ([]File, error) {
	resolved, err := inroot.Resolve(d.root, p, true)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(inroot.Host(d.root, resolved))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var files []File
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line == "/." || line == "/" {
			continue
		}
		files = append(files, File{Path: line})
	}
	return files, sc.Err()
}
