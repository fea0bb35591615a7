// SPDX-License-Identifier: Apache-2.0

package listfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/open-sharedroot/osr/framework/internal/hcldepth"
	"github.com/open-sharedroot/osr/framework/internal/inroot"
	"github.com/open-sharedroot/osr/internal/paths"
)

// Ext is the file name extension of listfiles; other files in a listfile
// directory (editor backups, packagers' .dpkg-dist copies) are ignored.
const Ext = ".hcl"

// SystemDirs are the listfile directories of an installed osr, in load order:
// the listfiles osr ships (DATADIR/osr/listfiles), then the drop-ins of packagers
// and administrators (SYSCONFDIR/osr/listfiles.d). The directories are compiled in;
// a distribution package has /usr/share/osr/listfiles and /etc/osr/listfiles.d.
var SystemDirs = []string{paths.ListfileDir(), paths.ListfileDropinDir()}

// Listfile is one loaded listfile.
type Listfile struct {
	// Name is the file name ("gfs2.hcl"); it is unique within a Set.
	Name string
	// Path is the host path the file was read from.
	Path string
	// Overrides lists the host paths of same-named listfiles in earlier directories
	// that this one replaced.
	Overrides []string
	// Masked is set for an empty file or a link to /dev/null: it replaces a shipped
	// listfile of the same name with nothing.
	Masked bool
	// Description says what the listfile is for.
	Description string
	// OnRequest listfiles are taken only when a build names them (Query.Listfiles).
	OnRequest bool
	// Condition applies to every entry of the file.
	Condition Condition
	// Entries are the file's entries in source order.
	Entries []*Entry
}

// Set is the listfiles of some directories, each name once, sorted by name.
type Set struct {
	// Listfiles are sorted by name.
	Listfiles []*Listfile
	// Dirs are the host directories read, in order.
	Dirs []string

	parser *hclparse.Parser
}

// Load reads the *.hcl files of dirs, in order, inside root ("" or "/" for the host):
// a file in a later directory replaces the file of the same name from an earlier one.
// Directories that do not exist are skipped. The Set is returned even when there are
// errors, so that WriteDiagnostics can show the offending lines.
func Load(dirs []string, root string) (*Set, hcl.Diagnostics) {
	s := &Set{parser: hclparse.NewParser()}
	var diags hcl.Diagnostics
	byName := map[string]*Listfile{}
	for _, dir := range dirs {
		if !filepath.IsAbs(dir) {
			if rootName(root) != "/" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Relative listfile directory",
					Detail:   fmt.Sprintf("%s is relative, but listfile directories are read inside %s; give it as an absolute path in the root.", dir, root),
				})
				continue
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Bad listfile directory", Detail: err.Error()})
				continue
			}
			dir = abs
		}
		hostDir, names, err := readDir(root, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read listfile directory",
				Detail:   fmt.Sprintf("%v. Fix its permissions or remove it from the listfile directories.", err),
			})
			continue
		}
		s.Dirs = append(s.Dirs, hostDir)
		for _, name := range names {
			lf, d := s.loadFile(root, path.Join(dir, name), filepath.Join(hostDir, name))
			diags = append(diags, d...)
			if lf == nil {
				continue
			}
			if prev := byName[name]; prev != nil {
				lf.Overrides = append(append(lf.Overrides, prev.Overrides...), prev.Path)
			}
			byName[name] = lf
		}
	}
	for _, lf := range byName {
		s.Listfiles = append(s.Listfiles, lf)
	}
	sort.Slice(s.Listfiles, func(i, j int) bool { return s.Listfiles[i].Name < s.Listfiles[j].Name })
	if len(s.Listfiles) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "No listfiles",
			Detail:   fmt.Sprintf("None of %s holds a *%s listfile inside %s; an image would hold only what drivers ask for.", strings.Join(dirs, ", "), Ext, rootName(root)),
		})
	}
	return s, diags
}

// readDir returns the host path of a listfile directory and the listfile names in it.
func readDir(root, dir string) (string, []string, error) {
	resolved, err := inroot.Resolve(root, dir, true)
	if err != nil {
		return "", nil, err
	}
	host := inroot.Host(root, resolved)
	ents, err := os.ReadDir(host)
	if err != nil {
		return host, nil, err
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), Ext) && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return host, names, nil
}

// loadFile reads and decodes one listfile; p is its path inside root.
func (s *Set) loadFile(root, p, host string) (*Listfile, hcl.Diagnostics) {
	lf := &Listfile{Name: path.Base(p), Path: host}
	if target, err := os.Readlink(host); err == nil && target == os.DevNull {
		lf.Masked = true
		return lf, nil
	}
	resolved, err := inroot.Resolve(root, p, true)
	var src []byte
	if err == nil {
		src, err = readFile(inroot.Host(root, resolved))
	}
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read listfile",
			Detail:   fmt.Sprintf("%s: %v.", host, err),
		}}
	}
	if len(strings.TrimSpace(string(src))) == 0 {
		lf.Masked = true
		return lf, nil
	}
	if diags := hcldepth.Check(src, host); diags.HasErrors() {
		return nil, diags
	}
	f, diags := s.parser.ParseHCL(src, host)
	if diags.HasErrors() {
		return nil, diags
	}
	diags = append(diags, decodeFile(f.Body, lf)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return lf, diags
}

func readFile(host string) ([]byte, error) {
	f, err := os.Open(host)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	return io.ReadAll(f)
}

// Lookup returns the listfile of that name ("gfs2" or "gfs2.hcl"), or nil.
func (s *Set) Lookup(name string) *Listfile {
	if !strings.HasSuffix(name, Ext) {
		name += Ext
	}
	for _, lf := range s.Listfiles {
		if lf.Name == name {
			return lf
		}
	}
	return nil
}

// WriteDiagnostics writes diagnostics as text with the offending source lines,
// wrapped at width columns (0 for no wrapping).
func (s *Set) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, width uint) error {
	var files map[string]*hcl.File
	if s != nil && s.parser != nil {
		files = s.parser.Files()
	}
	return hcl.NewDiagnosticTextWriter(w, files, width, false).WriteDiagnostics(diags)
}

func rootName(root string) string {
	if root == "" {
		return "/"
	}
	return root
}
