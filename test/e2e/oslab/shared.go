// SPDX-License-Identifier: Apache-2.0

package oslab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// makeShared turns the unpacked root into a shared root for the lab's nodes with
// `osr cdsl init --standard`: the CDSL infrastructure, the standard hostdependent
// paths, and each node's own hostname (its name in the cluster configuration),
// machine-id and ssh host keys. It records the machine-ids osr wrote.
func (l *Lab) makeShared(ctx context.Context) error {
	out, err := l.Kit.OSR(ctx, "cdsl", "init", "-r", l.RootDir, "--cluster", l.ClusterConf, "--standard")
	if err != nil {
		return err
	}
	l.PrepareLog = out
	for _, n := range l.Nodes {
		p := filepath.Join(l.RootDir, sharedroot.CDSLTree, fmt.Sprint(n.ID), "etc", "machine-id")
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("node %d's machine-id after osr cdsl init --standard: %w", n.ID, err)
		}
		l.MachineIDs[n.ID] = strings.TrimSpace(string(b))
	}
	return nil
}

// writeIdentity gives a plain root node 1's hostname and a fresh machine-id.
func (l *Lab) writeIdentity() error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	mid := hex.EncodeToString(b)
	for rel, content := range map[string]string{"etc/hostname": osrlab.NodeName(1), "etc/machine-id": mid} {
		if err := os.WriteFile(filepath.Join(l.RootDir, rel), []byte(content+"\n"), 0o644); err != nil {
			return fmt.Errorf("plain root: %w", err)
		}
	}
	l.MachineIDs[1] = mid
	return nil
}
