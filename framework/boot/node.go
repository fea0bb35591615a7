// SPDX-License-Identifier: Apache-2.0

package boot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/boot/identity"
	"github.com/open-sharedroot/osr/framework/boot/steps"
)

// identifyAndName finds the node and gives the machine its name.
func (s *state) identifyAndName(ctx context.Context) error {
	if err := s.identify(ctx); err != nil {
		return err
	}
	s.setHostname()
	return nil
}

// setHostname names the machine after its node before the root is mounted:
// the NFSv4 client identifies itself to the server by the hostname at mount
// time, and nodes that all mount as "(none)" take each other's open files
// and locks away (the server sees one client rebooting over and over). The
// root's init sets the same name again from /etc/hostname.
func (s *state) setHostname() {
	name := s.node.Name
	if name == "" && s.node.ID != 0 {
		name = fmt.Sprintf("node%d", s.node.ID)
	}
	if name == "" || s.cfg.SetHostname == nil {
		return
	}
	if err := s.cfg.SetHostname(name); err != nil {
		s.log.Warnf("set the hostname to %q: %v; NFSv4 clients of nodes with one name disturb each other", name, err)
		return
	}
	s.log.Infof("hostname %s", name)
}

// identify finds the node: by nodeid= or nodename= when given, else by the
// MACs of the machine's NICs, waiting for late NICs up to NICWait.
func (s *state) identify(ctx context.Context) error {
	p, nodes := s.params, s.cfg.Nodes
	if nodes == nil {
		s.node = Node{ID: p.NodeID, Name: p.NodeName}
		s.log.Infof("no cluster configuration in this image; node id %d and name %q from the command line", p.NodeID, p.NodeName)
		s.nics, _ = identity.ListNICs(s.cfg.Sysfs)
		return nil
	}
	switch {
	case p.NodeID != 0:
		n, err := nodes.NodeByID(p.NodeID)
		if err != nil {
			id := strconv.Itoa(p.NodeID)
			return steps.Fail(err, "find node "+id+" given by nodeid=", []string{"nodeid=" + id},
				"check the node id against the cluster configuration (osr cluster nodes) and fix nodeid=")
		}
		s.node = n
		s.nics, _ = identity.ListNICs(s.cfg.Sysfs)
		s.log.Infof("node %d (%s), from nodeid=", n.ID, n.Name)
		return nil
	case p.NodeName != "":
		n, err := nodes.NodeByName(p.NodeName)
		if err != nil {
			return steps.Fail(err, "find node "+p.NodeName+" given by nodename=", []string{"nodename=" + p.NodeName},
				"check the name against the cluster configuration (osr cluster nodes) and fix nodename=")
		}
		s.node = n
		s.nics, _ = identity.ListNICs(s.cfg.Sysfs)
		s.log.Infof("node %d (%s), from nodename=", n.ID, n.Name)
		return nil
	}
	deadline := time.Now().Add(s.cfg.NICWait)
	for {
		nics, err := identity.ListNICs(s.cfg.Sysfs)
		if err != nil {
			return steps.Fail(err, "list this machine's network cards", []string{s.cfg.Sysfs + "/class/net"}, "check that sysfs is mounted (step api-mounts)")
		}
		s.nics = nics
		n, err := nodes.NodeByMAC(identity.MACs(nics))
		if err == nil {
			s.node = n
			s.log.Infof("node %d (%s), found by MAC among %s", n.ID, n.Name, describeNICs(nics))
			return nil
		}
		if !errors.Is(err, ErrNoNode) {
			return steps.Fail(err, "look the node up by MAC", []string{describeNICs(nics)}, "check the cluster configuration embedded in the image (osr cluster validate), then rebuild it")
		}
		if all := nodes.All(); len(all) == 1 {
			s.node = all[0]
			s.log.Infof("node %d (%s): the only node of the cluster (no MAC matched)", all[0].ID, all[0].Name)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return steps.Fail(fmt.Errorf("none of this machine's MACs belongs to a node of the cluster configuration (%d nodes): %w", len(nodes.All()), err),
				"find this node by the MACs of its network cards",
				[]string{fmt.Sprintf("NICs seen during %s: %s", s.cfg.NICWait, describeNICs(nics))},
				"add one of these MACs to the node's NICs in the cluster configuration and rebuild the image, "+
					"or boot with nodeid=<id> (osr.nodeid=<id>); if no NIC is listed, its driver did not load (see step modules)")
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func describeNICs(nics []identity.NIC) string {
	if len(nics) == 0 {
		return "no network cards"
	}
	var out []string
	for _, n := range nics {
		out = append(out, n.Name+" "+n.MAC)
	}
	return strings.Join(out, ", ")
}
