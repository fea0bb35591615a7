// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// commonConfig holds the parameters every device takes.
type commonConfig struct {
	// delay waits before the device acts; in a two-node cluster one node's devices get
	// a delay so that after a split the nodes do not fence each other at once.
	delay time.Duration
}

// ipmiConfig is an IPMI BMC reached over the LAN.
type ipmiConfig struct {
	addr         string // host:port
	user         string
	password     string
	passwdScript string
	lanplus      bool
	cipher       int // -1: the library's choice
	privilege    string
	reboot       bool // action=reboot: power on again once off is confirmed
	powerTimeout time.Duration
	timeout      time.Duration // per IPMI request
}

// sshConfig is a command run over ssh on a PDU or hypervisor.
type sshConfig struct {
	addr          string // host:port
	user          string
	password      string
	identityFile  string
	knownHosts    string
	command       string // {port}, {node} and {nodeid} filled in
	statusCommand string
	timeout       time.Duration
}

// manualConfig is the manual method.
type manualConfig struct {
	// wait is how long one agent run waits for the acknowledge before it fails and
	// dlm_controld runs it again.
	wait time.Duration
}

// params reads one bound device's parameters, remembering which it used.
type params struct {
	d    *Device
	node *cluster.Node
	used map[string]bool
	errs []error
}

func (p *params) get(names ...string) (string, bool) {
	if p.used == nil {
		p.used = map[string]bool{}
	}
	for _, n := range names {
		p.used[n] = true
	}
	for _, n := range names {
		if v, ok := p.d.Param(n); ok {
			return v, true
		}
	}
	return "", false
}

func (p *params) errorf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: node %q, fence device %q (%s, defined at %s): %s",
		p.d.Pos, p.node.Name, p.d.Name, p.d.Agent, p.d.DevicePos, fmt.Sprintf(format, args...)))
}

func (p *params) required(names ...string) string {
	v, ok := p.get(names...)
	if !ok || strings.TrimSpace(v) == "" {
		p.errorf("%s is required", names[0])
	}
	return strings.TrimSpace(v)
}

func (p *params) seconds(name string, def time.Duration) time.Duration {
	v, ok := p.get(name)
	if !ok || v == "" {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 || f > 24*3600 {
		p.errorf("%s=%q: want a number of seconds", name, v)
		return def
	}
	return time.Duration(f * float64(time.Second))
}

func (p *params) boolean(name string, def bool) bool {
	v, ok := p.get(name)
	if !ok || v == "" {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "on", "yes", "true":
		return true
	case "0", "off", "no", "false":
		return false
	}
	p.errorf("%s=%q: want 1 or 0", name, v)
	return def
}

func (p *params) port(name string, def int) int {
	v, ok := p.get(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 || n > 65535 {
		p.errorf("%s=%q: want a port number", name, v)
		return def
	}
	return n
}

// hostPort joins a host (an address or name, IPv6 without brackets) and a port.
func hostPort(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

func (p *params) common() commonConfig {
	return commonConfig{delay: p.seconds("delay", 0)}
}

func (p *params) action(allowed ...string) string {
	v, ok := p.get("action")
	if !ok || v == "" {
		return "off"
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.errorf("action=%q: this device can do %s", v, strings.Join(allowed, " or "))
	return "off"
}

func (p *params) ipmi() *ipmiConfig {
	c := &ipmiConfig{cipher: -1}
	host := p.required("ipaddr", "ip")
	c.addr = hostPort(host, p.port("ipport", 623))
	c.user, _ = p.get("login", "username")
	c.password, _ = p.get("passwd", "password")
	c.passwdScript, _ = p.get("passwd_script", "password_script")
	c.lanplus = p.boolean("lanplus", true)
	if v, ok := p.get("cipher"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 255 {
			p.errorf("cipher=%q: want a cipher suite number such as 3 or 17", v)
		} else {
			c.cipher = n
		}
	}
	c.privilege = "administrator"
	if v, ok := p.get("privlvl"); ok && v != "" {
		switch strings.ToLower(v) {
		case "administrator", "operator", "user":
			c.privilege = strings.ToLower(v)
		default:
			p.errorf("privlvl=%q: want administrator, operator or user", v)
		}
	}
	c.reboot = p.action("off", "reboot") == "reboot"
	c.powerTimeout = p.seconds("power_timeout", 20*time.Second)
	c.timeout = p.seconds("timeout", 5*time.Second)
	if c.password != "" && c.passwdScript != "" {
		p.errorf("give passwd or passwd_script, not both")
	}
	if c.passwdScript != "" && !path.IsAbs(c.passwdScript) {
		p.errorf("passwd_script=%q: want an absolute path", c.passwdScript)
	}
	return c
}

func (p *params) ssh() *sshConfig {
	c := &sshConfig{}
	host := p.required("ipaddr", "ip")
	c.addr = hostPort(host, p.port("ipport", 22))
	c.user = "root"
	if v, ok := p.get("login", "username"); ok && v != "" {
		c.user = v
	}
	c.password, _ = p.get("passwd", "password")
	c.identityFile, _ = p.get("identity_file")
	c.knownHosts = KnownHostsPath
	if v, ok := p.get("known_hosts"); ok && v != "" {
		c.knownHosts = v
	}
	if c.password == "" && c.identityFile == "" {
		p.errorf("give identity_file (a private key) or passwd to log in")
	}
	for _, f := range []struct{ name, value string }{{"identity_file", c.identityFile}, {"known_hosts", c.knownHosts}} {
		if f.value != "" && !path.IsAbs(f.value) {
			p.errorf("%s=%q: want an absolute path (inside the cluster-services chroot)", f.name, f.value)
		}
	}
	port, hasPort := p.get("port")
	replace := strings.NewReplacer("{node}", p.node.Name, "{nodeid}", strconv.Itoa(p.node.ID), "{port}", port)
	for _, f := range []struct {
		name string
		dst  *string
	}{{"command", &c.command}, {"status_command", &c.statusCommand}} {
		v, _ := p.get(f.name)
		if f.name == "command" {
			v = p.required("command")
		}
		if strings.Contains(v, "{port}") && (!hasPort || port == "") {
			p.errorf("%s uses {port} but neither the device nor the node gives port=", f.name)
		}
		*f.dst = replace.Replace(v)
	}
	p.action("off")
	c.timeout = p.seconds("timeout", 30*time.Second)
	return c
}

func (p *params) manual() *manualConfig {
	p.get("nodename") // the originals' fence_manual named the node; informational
	p.action("off")
	return &manualConfig{wait: p.seconds("timeout", DefaultManualWait)}
}

// unknown reports parameters the device's agent does not take, so that a misspelled
// passwd or ipaddr is an error rather than a fence that cannot work.
func (p *params) unknown() {
	var bad []string
	seen := map[string]bool{}
	for _, a := range p.d.Params {
		if !p.used[a.Name] && !seen[a.Name] {
			seen[a.Name] = true
			bad = append(bad, a.Name)
		}
	}
	if len(bad) == 0 {
		return
	}
	known := make([]string, 0, len(p.used))
	for k := range p.used {
		known = append(known, k)
	}
	sort.Strings(known)
	p.errorf("unknown parameter %s; %s takes %s", strings.Join(bad, ", "), p.d.Agent, strings.Join(known, ", "))
}
