// SPDX-License-Identifier: Apache-2.0

// Package distro identifies the Linux distribution of a root filesystem from its
// os-release file (ID and ID_LIKE, see os-release(5)), never from guessing at
// release strings.
package distro

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/internal/inroot"
)

// Paths are the os-release files read, in order, inside a root (os-release(5)).
var Paths = []string{"/etc/os-release", "/usr/lib/os-release"}

// Distro is what a root's os-release says about it.
type Distro struct {
	// ID is the lower-case distribution name ("debian", "fedora", "rhel"…).
	ID string `json:"id"`
	// Like lists ID_LIKE: the distributions this one derives from, closest first.
	Like []string `json:"id_like,omitempty"`
	// VersionID is VERSION_ID ("12", "39", "9.4"); it may be empty (rolling releases).
	VersionID string `json:"version_id,omitempty"`
	// PrettyName is PRETTY_NAME, for display.
	PrettyName string `json:"pretty_name,omitempty"`
	// Source is the root-relative path the values were read from.
	Source string `json:"source,omitempty"`
}

// Is reports whether the distribution is name or derives from it (ID or ID_LIKE).
func (d Distro) Is(name string) bool {
	return d.ID == name || slices.Contains(d.Like, name)
}

// String names the distribution for messages, e.g. "debian 12" or
// "rocky 9.4 (like rhel centos fedora)".
func (d Distro) String() string {
	s := d.ID
	if d.VersionID != "" {
		s += " " + d.VersionID
	}
	if len(d.Like) > 0 {
		s += " (like " + strings.Join(d.Like, " ") + ")"
	}
	return s
}

// Detect reads the os-release file of root ("/" for the running system).
// os-release(5) defaults ID to "linux" when the file does not set it.
func Detect(root string) (Distro, error) {
	for _, p := range Paths {
		resolved, err := inroot.Resolve(root, p, true)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Distro{}, fmt.Errorf("detect distribution: %w", err)
		}
		f, err := os.Open(inroot.Host(root, resolved))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Distro{}, fmt.Errorf("detect distribution: %w", err)
		}
		d, err := Parse(f)
		f.Close()
		if err != nil {
			return Distro{}, fmt.Errorf("detect distribution: %s: %w", inroot.Host(root, resolved), err)
		}
		d.Source = p
		return d, nil
	}
	return Distro{}, fmt.Errorf("detect distribution: neither %s exists in %s; pass the distribution explicitly or install base-files (Debian) / fedora-release (Fedora)",
		strings.Join(Paths, " nor "), root)
}

// Parse reads os-release text: KEY=value lines, values optionally quoted with shell
// quoting rules; blank lines and comments are skipped.
func Parse(r io.Reader) (Distro, error) {
	vars, err := parseVars(r)
	if err != nil {
		return Distro{}, err
	}
	d := Distro{
		ID:         vars["ID"],
		Like:       fields(vars["ID_LIKE"]),
		VersionID:  vars["VERSION_ID"],
		PrettyName: vars["PRETTY_NAME"],
	}
	if d.ID == "" {
		d.ID = "linux"
	}
	return d, nil
}

func parseVars(r io.Reader) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("line %d: %q is not KEY=value", n, line)
		}
		val, err := unquote(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, key, err)
		}
		vars[key] = val
	}
	return vars, sc.Err()
}

// unquote undoes the shell quoting os-release(5) allows: "double" quotes with
// backslash escapes, 'single' quotes, or a bare word.
func unquote(s string) (string, error) {
	switch {
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		return s[1 : len(s)-1], nil
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		var b strings.Builder
		in := s[1 : len(s)-1]
		for i := 0; i < len(in); i++ {
			if in[i] == '\\' && i+1 < len(in) {
				i++
			}
			b.WriteByte(in[i])
		}
		return b.String(), nil
	case strings.ContainsAny(s, "\"'"):
		return "", fmt.Errorf("unbalanced quotes in %s", strconv.Quote(s))
	default:
		return s, nil
	}
}

// fields is strings.Fields that returns nil for no fields.
func fields(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}
