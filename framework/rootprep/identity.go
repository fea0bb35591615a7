// SPDX-License-Identifier: Apache-2.0

package rootprep

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/open-sharedroot/osr/framework/cdsl"
)

var machineIDRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{32}$`) })

// writeIdentities gives every node of o.Nodes its hostname, a machine-id of
// its own and ssh host keys of its own, in its tree. The default dir's
// machine-id becomes "uninitialized", so a node added later without running
// Prepare again gets one from systemd at its first boot instead of a copy.
func writeIdentities(r *cdsl.Repo, o Options, res *Result) error {
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	m := r.Model()
	def := m.Settings.DefaultDir
	w := &identityWriter{r: r, o: o, res: res}
	// The installed machine-id is nobody's: every node that still has a
	// copy of it gets a fresh one.
	seen := map[string]string{} // machine-id → node dir having it
	if id := w.read("etc/machine-id", def); machineIDRe().MatchString(id) {
		seen[id] = def
	}
	if err := w.machineIDTemplate(def); err != nil {
		return err
	}
	for _, n := range o.Nodes {
		key := m.Settings.NodeKey(n.ID, n.Name)
		dir := m.NodeDir(key)
		if !r.FS().IsDir(path.Join(r.Layout().TreeDir(), dir)) && !o.DryRun {
			return fmt.Errorf("node %d (%s) has no directory in %s; run 'osr cdsl nodes add %s' first", n.ID, n.Name, r.Layout().TreeDir(), key)
		}
		if err := w.hostname(dir, n); err != nil {
			return err
		}
		if err := w.machineID(dir, n, rnd, seen); err != nil {
			return err
		}
		if err := w.hostKeys(dir, n); err != nil {
			return err
		}
	}
	return nil
}

type identityWriter struct {
	r   *cdsl.Repo
	o   Options
	res *Result
}

// place returns where the CDSL path name (no leading slash) lives in node
// directory dir, relative to the root, and whether it is a per-node path.
func (w *identityWriter) place(name, dir string) (string, bool) {
	m := w.r.Model()
	c := m.Inv.Find(name)
	if c == nil {
		c = m.Parent(name)
	}
	if c == nil || c.Type != hd {
		return "", false
	}
	return w.r.Layout().At(m.Physical(name, dir)), true
}

// read returns the trimmed content of name in node dir dir, "" when absent.
func (w *identityWriter) read(name, dir string) string {
	p, ok := w.place(name, dir)
	if !ok {
		return ""
	}
	b, err := w.r.FS().ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// write replaces name in node dir dir with data, reporting what for whom.
func (w *identityWriter) write(name, dir string, data []byte, perm uint32, what string) error {
	p, ok := w.place(name, dir)
	if !ok {
		return nil
	}
	if w.o.DryRun {
		w.res.Identity = append(w.res.Identity, "would write "+what)
		return nil
	}
	if err := w.r.FS().WriteFileAtomic(p, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	w.res.Identity = append(w.res.Identity, "wrote "+what)
	return nil
}

func (w *identityWriter) hostname(dir string, n cdsl.ClusterNode) error {
	if n.Name == "" {
		return fmt.Errorf("node %d has no name in the cluster configuration; its hostname comes from there", n.ID)
	}
	if w.read("etc/hostname", dir) == n.Name {
		return nil
	}
	return w.write("etc/hostname", dir, []byte(n.Name+"\n"), 0o644,
		fmt.Sprintf("node %d's /etc/hostname: %s", n.ID, n.Name))
}

func (w *identityWriter) machineIDTemplate(def string) error {
	if id := w.read("etc/machine-id", def); id == "" || id == "uninitialized" {
		return nil
	}
	return w.write("etc/machine-id", def, []byte("uninitialized\n"), 0o444,
		"the default dir's /etc/machine-id: uninitialized (a node made from it gets its id at first boot)")
}

// machineID keeps a node's machine-id when it is valid and its own, else
// writes a fresh one.
func (w *identityWriter) machineID(dir string, n cdsl.ClusterNode, rnd io.Reader, seen map[string]string) error {
	id := w.read("etc/machine-id", dir)
	if machineIDRe().MatchString(id) && seen[id] == "" {
		seen[id] = dir
		return nil
	}
	fresh, err := NewMachineID(rnd)
	if err != nil {
		return err
	}
	seen[fresh] = dir
	return w.write("etc/machine-id", dir, []byte(fresh+"\n"), 0o444,
		fmt.Sprintf("node %d's /etc/machine-id: %s", n.ID, fresh))
}

// NewMachineID returns a random machine-id in the form systemd writes: 32
// lower-case hex digits of a version 4 UUID.
func NewMachineID(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("machine-id: read random bytes: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:]), nil
}

// hostKeys gives the node fresh ssh host keys for every per-node private key
// whose copy is still the default dir's (the installed one).
func (w *identityWriter) hostKeys(dir string, n cdsl.ClusterNode) error {
	def := w.r.Model().Settings.DefaultDir
	for _, c := range w.r.Inventory().Sorted() {
		if c.Type != hd {
			continue
		}
		kind, ok := hostKeyKind(c.Src)
		if !ok {
			continue
		}
		mine, theirs := w.read(c.Src, dir), w.read(c.Src, def)
		if mine != "" && mine != theirs {
			continue // the node has its own key already
		}
		if kind == "dsa" {
			w.res.Skipped = append(w.res.Skipped, Outcome{Path: "/" + c.Src, Type: hd,
				Note: fmt.Sprintf("node %d keeps the installed DSA key: osr makes no DSA keys (OpenSSH dropped them); delete it", n.ID)})
			continue
		}
		if w.o.DryRun {
			w.res.Identity = append(w.res.Identity, fmt.Sprintf("would write node %d's new %s host key /%s", n.ID, kind, c.Src))
			continue
		}
		gen := w.o.NewHostKey
		if gen == nil {
			gen = GenerateHostKey
		}
		k, err := gen(kind, "root@"+n.Name)
		if err != nil {
			return fmt.Errorf("node %d's %s host key: %w", n.ID, kind, err)
		}
		if err := w.write(c.Src, dir, k.Private, 0o600, fmt.Sprintf("node %d's new %s host key /%s", n.ID, kind, c.Src)); err != nil {
			return err
		}
		if _, ok := w.place(c.Src+".pub", dir); ok {
			if err := w.write(c.Src+".pub", dir, k.Public, 0o644, fmt.Sprintf("node %d's /%s.pub", n.ID, c.Src)); err != nil {
				return err
			}
		}
	}
	return nil
}

// hostKeyKind returns the key type of an ssh host private key path
// (etc/ssh/ssh_host_ed25519_key → ed25519).
func hostKeyKind(src string) (string, bool) {
	base := path.Base(src)
	if path.Dir(src) != "etc/ssh" || !strings.HasPrefix(base, "ssh_host_") || !strings.HasSuffix(base, "_key") {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(base, "ssh_host_"), "_key"), true
}
