// SPDX-License-Identifier: Apache-2.0

package pxe

import (
	"bytes"
	"fmt"
	"strings"
)

const header = "Written by osr pxe from the cluster configuration; osr pxe writes it again, edit the configuration instead."

func title(e Entry) string {
	return fmt.Sprintf("osr node %s (id %d)", e.Node, e.NodeID)
}

func origin(e Entry) string {
	return fmt.Sprintf("node %s (id %d), %s %s at %s", e.Node, e.NodeID, e.NIC, e.MAC, e.Pos)
}

// PXELinux renders the PXELINUX entry of e (pxelinux.cfg/01-<mac>). Paths
// are relative to pxelinux.0's directory, the output's root.
func PXELinux(p Plan, e Entry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n# %s\nDEFAULT osr\nPROMPT 0\nTIMEOUT 0\n\nLABEL osr\n", header, origin(e))
	fmt.Fprintf(&b, "  MENU LABEL %s\n  KERNEL %s\n  INITRD %s\n  APPEND %s\n", title(e), p.Kernel, p.Initrd, strings.Join(e.Params, " "))
	return b.Bytes()
}

// IPXE renders the iPXE script of e (ipxe/<mac>.ipxe). Paths are absolute
// on the server: iPXE resolves them against the script's own URL, so the
// script works from TFTP and HTTP alike.
func IPXE(p Plan, e Entry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#!ipxe\n# %s\n# %s\necho Booting %s\n", header, origin(e), title(e))
	fmt.Fprintf(&b, "kernel /%s initrd=%s %s\ninitrd /%s\nboot\n", p.Kernel, p.Initrd, strings.Join(e.Params, " "), p.Initrd)
	return b.Bytes()
}

// GRUB renders the GRUB network entry of e (boot/grub/grub.cfg-01-<mac>,
// where a GRUB made by grub-mknetdir looks first).
func GRUB(p Plan, e Entry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n# %s\nset default=0\nset timeout=0\n\nmenuentry '%s' {\n", header, origin(e), title(e))
	fmt.Fprintf(&b, "\tlinux /%s %s\n\tinitrd /%s\n}\n", p.Kernel, strings.Join(e.Params, " "), p.Initrd)
	return b.Bytes()
}

// IPXEMenuScript renders ipxe/menu.ipxe, the script a DHCP server names for
// iPXE clients: it chains the script of the booting NIC's MAC and, for a
// MAC the cluster does not know, offers a menu of the nodes.
func IPXEMenuScript(p Plan) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#!ipxe\n# %s\n# Cluster %s: %d entries.\n", header, p.Cluster, len(p.Entries))
	fmt.Fprintf(&b, "chain --autofree /%s/${mac:hexhyp}.ipxe || goto menu\n\n:menu\n", IPXEDir)
	fmt.Fprintf(&b, "menu osr cluster %s: MAC ${mac} is no node's; choose one\n", p.Cluster)
	for _, e := range p.Entries {
		fmt.Fprintf(&b, "item %s %s, %s %s\n", Hyphens(e.MAC), title(e), e.NIC, e.MAC)
	}
	b.WriteString("item --gap\nitem shell iPXE shell\nchoose target || goto menu\ngoto ${target}\n\n:shell\nshell\ngoto menu\n")
	for _, e := range p.Entries {
		fmt.Fprintf(&b, "\n:%s\nchain /%s/%s.ipxe || goto menu\n", Hyphens(e.MAC), IPXEDir, Hyphens(e.MAC))
	}
	return b.Bytes()
}
