// SPDX-License-Identifier: Apache-2.0

package pxe

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/internal/atomicfile"
)

// Write writes the plan into its output directory: every file through a
// temporary file and a rename, so a TFTP server never serves half a kernel
// or half an entry. Entries of MACs the plan does not hold are left alone.
func (p Plan) Write() error {
	for _, f := range p.Files {
		dst := filepath.Join(p.Output, f.Path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("pxe: %w", err)
		}
		if f.Source == "" {
			if err := atomicfile.WriteFile(dst, f.Data, 0o644); err != nil {
				return fmt.Errorf("pxe: %w", err)
			}
			continue
		}
		if err := copyFile(f.Source, dst); err != nil {
			return fmt.Errorf("pxe: copy %s to %s: %w", f.Source, dst, err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := atomicfile.Create(dst, atomicfile.Options{Mode: 0o644})
	if err != nil {
		return err
	}
	defer out.Discard()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Commit()
}

// Summary describes the plan for people: the files and what each entry
// boots.
func (p Plan) Summary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %s: %d entries into %s\n", p.Cluster, len(p.Entries), p.Output)
	for _, f := range p.Files {
		if f.Source != "" {
			fmt.Fprintf(&b, "  copy   %-40s from %s (%d bytes)\n", f.Path, f.Source, f.Size)
		}
	}
	for _, e := range p.Entries {
		fmt.Fprintf(&b, "  node %s (id %d) %s %s: %s\n", e.Node, e.NodeID, e.NIC, e.MAC, strings.Join(e.Params, " "))
		for _, f := range []string{filepath.Join(PXELinuxDir, e.PXEName()), filepath.Join(IPXEDir, Hyphens(e.MAC)+".ipxe"), filepath.Join(GRUBDir, "grub.cfg-"+e.PXEName())} {
			fmt.Fprintf(&b, "    write %s\n", f)
		}
	}
	fmt.Fprintf(&b, "  write  %s (chains ipxe/<mac>.ipxe; a menu for unknown MACs)\n", IPXEMenu)
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonPlan is the plan as --json prints it.
type jsonPlan struct {
	Cluster string      `json:"cluster"`
	Output  string      `json:"output"`
	Kernel  string      `json:"kernel"`
	Initrd  string      `json:"initrd"`
	Entries []jsonEntry `json:"entries"`
	Files   []jsonFile  `json:"files"`
}

type jsonEntry struct {
	Node   string   `json:"node"`
	NodeID int      `json:"nodeid"`
	NIC    string   `json:"nic"`
	MAC    string   `json:"mac"`
	Params []string `json:"params"`
	Where  string   `json:"where"`
}

type jsonFile struct {
	Path   string `json:"path"`
	Source string `json:"source,omitempty"`
	Size   int64  `json:"size"`
}

// JSON writes the plan as JSON.
func (p Plan) JSON(w io.Writer) error {
	out := jsonPlan{Cluster: p.Cluster, Output: p.Output, Kernel: p.Kernel, Initrd: p.Initrd, Entries: []jsonEntry{}, Files: []jsonFile{}}
	for _, e := range p.Entries {
		out.Entries = append(out.Entries, jsonEntry{Node: e.Node, NodeID: e.NodeID, NIC: e.NIC, MAC: e.MAC, Params: e.Params, Where: e.Pos.String()})
	}
	for _, f := range p.Files {
		out.Files = append(out.Files, jsonFile{Path: f.Path, Source: f.Source, Size: f.Size})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
