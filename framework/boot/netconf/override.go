// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"fmt"
	"strings"
)

// IPParam is one kernel ip= parameter,
// ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>:<dns0>:<dns1>,
// or a bare method (dhcp, off …), or dracut's <device>:<method>.
type IPParam struct {
	Client, Server, Gateway, Mask, Hostname, Device, Autoconf string
	DNS                                                       []string
}

// ParseIPParam parses one ip= value. The originals' ip=cluster (use the
// cluster configuration) parses to Autoconf "cluster".
func ParseIPParam(v string) (IPParam, error) {
	switch strings.ToLower(v) {
	case "", "cluster":
		return IPParam{Autoconf: "cluster"}, nil
	case "off", "none":
		return IPParam{Autoconf: "off"}, nil
	case "on", "any", "dhcp", "bootp", "rarp", "both":
		return IPParam{Autoconf: DHCP}, nil
	}
	f := strings.Split(v, ":")
	if len(f) == 2 { // dracut: <device>:<method>
		m, err := method(f[1])
		if err != nil {
			return IPParam{}, fmt.Errorf("ip=%s: %w", v, err)
		}
		return IPParam{Device: f[0], Autoconf: m}, nil
	}
	get := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	p := IPParam{Client: get(0), Server: get(1), Gateway: get(2), Mask: get(3), Hostname: get(4), Device: get(5)}
	m, err := method(get(6))
	if err != nil {
		return IPParam{}, fmt.Errorf("ip=%s: %w", v, err)
	}
	p.Autoconf = m
	for _, d := range []string{get(7), get(8)} {
		if d != "" {
			p.DNS = append(p.DNS, d)
		}
	}
	if p.Autoconf == "" {
		if p.Client == "" {
			p.Autoconf = DHCP // the kernel: no client address means autoconfiguration
		} else {
			p.Autoconf = "static"
		}
	}
	if p.Autoconf == "static" && p.Client == "" {
		return IPParam{}, fmt.Errorf("ip=%s: no client address and autoconf off", v)
	}
	return p, nil
}

func method(s string) (string, error) {
	switch strings.ToLower(s) {
	case "":
		return "", nil
	case "off", "none", "static":
		return "static", nil
	case "on", "any", "dhcp", "bootp", "rarp", "both":
		return DHCP, nil
	}
	return "", fmt.Errorf("autoconf %q is not one of off, none, dhcp, on, any, bootp, rarp, both", s)
}

// Override applies the kernel's ip= values to a node's interfaces:
//   - none, or ip=cluster: the configuration as it is;
//   - ip=off: every interface left down;
//   - ip=dhcp (on, any …) without a device: DHCP on every interface that is
//     brought up with an address (or, for a node with no interfaces, on
//     every NIC the machine has);
//   - with a device (by configured name or kernel name): that interface
//     gets the address or DHCP, and is brought up even if the configuration
//     said onboot=no; a device the configuration does not know is added;
//   - a static ip= without a device: the first interface with an address
//     (or the first NIC) gets it.
//
// nics are the machine's NICs (kernel name and MAC), used when the
// configuration has no interface to give an address to.
func Override(ifaces []Interface, ipParams []string, nics []Interface) ([]Interface, error) {
	out := append([]Interface(nil), ifaces...)
	for _, v := range ipParams {
		p, err := ParseIPParam(v)
		if err != nil {
			return nil, err
		}
		switch {
		case p.Autoconf == "cluster":
			continue
		case p.Autoconf == "off":
			for i := range out {
				out[i].OnBoot = false
			}
			continue
		}
		targets := targetsFor(out, p.Device)
		if len(targets) == 0 {
			var add []Interface
			if p.Device != "" {
				add = []Interface{{Name: p.Device}}
			} else {
				add = append(add, nics...)
				if p.Autoconf != DHCP && len(add) > 1 {
					add = add[:1]
				}
			}
			if len(add) == 0 {
				return nil, fmt.Errorf("ip=%s: the node has no network interface to configure and the machine has no NIC", v)
			}
			for _, a := range add {
				out = append(out, a)
				targets = append(targets, len(out)-1)
			}
		}
		if p.Autoconf != DHCP && p.Device == "" {
			targets = targets[:1]
		}
		for _, i := range targets {
			out[i].OnBoot = true
			out[i].Master = ""
			if p.Autoconf == DHCP {
				out[i].IP, out[i].Mask, out[i].Gateway = DHCP, "", ""
				continue
			}
			out[i].IP, out[i].Mask, out[i].Gateway = p.Client, p.Mask, p.Gateway
		}
	}
	return out, nil
}

// targetsFor returns the indexes of the interfaces an ip= value applies to:
// the one named dev, or without dev every one brought up with an address.
func targetsFor(ifaces []Interface, dev string) []int {
	var out []int
	for i, f := range ifaces {
		if dev != "" {
			if f.Name == dev {
				out = append(out, i)
			}
			continue
		}
		if f.OnBoot && f.IP != "" && f.Master == "" {
			out = append(out, i)
		}
	}
	return out
}
