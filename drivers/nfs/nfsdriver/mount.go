// SPDX-License-Identifier: Apache-2.0

package nfsdriver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/driver"
)

// nfsSource is a parsed root volume: server and exported path.
type nfsSource struct {
	server string
	path   string
}

// parseSource accepts "server:/path" (the cluster configuration's rootvolume) and
// "nfs://server/path".
func parseSource(s string) (nfsSource, error) {
	if rest, ok := strings.CutPrefix(s, "nfs://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		return nfsSource{server: host, path: "/" + path}, nil
	}
	i := strings.LastIndex(s, ":/")
	if i <= 0 {
		return nfsSource{}, fmt.Errorf("root %q is not an NFS export: write it as SERVER:/PATH in the rootvolume name (or root=)", s)
	}
	host := strings.Trim(s[:i], "[]")
	return nfsSource{server: host, path: s[i+1:]}, nil
}

// serverAddr returns the server's IP address. The initrd has no DNS: names are looked
// up in /etc/hosts only (the cluster's nodes are there).
func serverAddr(host string) (string, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String(), nil
	}
	addrs, err := net.DefaultResolver.LookupHost(context.Background(), host)
	if err != nil || len(addrs) == 0 {
		return "", fmt.Errorf("NFS server %q is not an IP address and is not in /etc/hosts; give its address in the rootvolume name", host)
	}
	return addrs[0], nil
}

// mountData builds the kernel's NFS mount options for the resolved version: what
// the driver computes, then the configured options (the originals' "nolock" for
// NFSv3 when none are configured), then those of the cluster configuration and the
// command line; mount(8)-style flags become mount(2) flags.
func mountData(cfg driver.Config, v, addr string, extra []string, readOnly bool) (fstype string, flags uintptr, data string) {
	// The kernel refuses (EINVAL) a proto= of the other address family than
	// addr=: over IPv6 the transports are tcp6, udp6 and rdma6.
	proto := cfg.String("transport")
	if strings.Contains(addr, ":") {
		proto += "6"
	}
	forced := []string{"vers=" + v, "proto=" + proto, "addr=" + addr,
		fmt.Sprintf("timeo=%d", cfg.Int("timeo")), fmt.Sprintf("retrans=%d", cfg.Int("retrans")),
		"sec=" + cfg.String("security")}
	fstype = "nfs4"
	if v == "3" {
		fstype = "nfs"
		if p := cfg.Int("mount_port"); p != 0 {
			forced = append(forced, fmt.Sprintf("mountport=%d", p))
		}
		forced = append(forced, "mountproto="+proto)
	}
	if p := cfg.Int("port"); p != 0 {
		forced = append(forced, fmt.Sprintf("port=%d", p))
	}
	configured := cfg.Strings("mount_options")
	if cfg.Get("mount_options").IsNull() && v == "3" {
		configured = []string{"nolock"} // the originals' default for NFSv3 roots
	}
	flags, data, _ = driver.MountOptions(configured, extra, readOnly, forced...)
	return fstype, flags, data
}

// Mount mounts the NFS export on the target with mount(2), trying mounttimes=
// times (else mount_attempts), mountwait= apart (else mount_wait).
func (d *nfsDriver) Mount(ctx context.Context, req driver.MountRequest) (*driver.MountResult, error) {
	src, err := parseSource(req.Source)
	if err != nil {
		return nil, err
	}
	addr, err := serverAddr(src.server)
	if err != nil {
		return nil, err
	}
	v := effectiveVersion(req.Config, req.FSType)
	fstype, flags, data := mountData(req.Config, v, addr, req.Options, req.ReadOnly)
	device := src.server + ":" + src.path
	if strings.Contains(src.server, ":") {
		device = "[" + src.server + "]:" + src.path
	}
	call := driver.MountCall{Source: device, Target: req.Target, FSType: fstype, Flags: flags, Data: data}
	tries := req.Tries(driver.Tries{
		Attempts: req.Config.Int("mount_attempts"),
		Wait:     time.Duration(req.Config.Int("mount_wait")) * time.Second,
	})
	if err := d.mounter.Mount(ctx, call, tries); err != nil {
		return nil, fmt.Errorf("%w; check that the server exports %s to this node, that the node's network reaches %s (NFSv%s), "+
			"and the rootvolume in the cluster configuration", err, src.path, addr, v)
	}
	return &driver.MountResult{}, nil
}
