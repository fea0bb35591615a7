// SPDX-License-Identifier: Apache-2.0

package stackcli

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/internal/cli"
)

// TestStandInsMatch: osr, which does not link these commands, lists each of
// them under osr cluster with the use line and help of the real command, and
// the tree of a program that links them holds the real ones.
func TestStandInsMatch(t *testing.T) {
	standIns := cli.ClusterStandIns()
	e := cli.NewEnv(context.Background(), nil, io.Discard, io.Discard, hclog.NewNullLogger())
	for _, f := range registered {
		c := f(e)
		s, ok := standIns[c.Name()]
		switch {
		case !ok:
			t.Errorf("osr cluster %s has no stand-in in osr", c.Name())
		case s.Use != c.Use || s.Short != c.Short:
			t.Errorf("osr cluster %s: the stand-in says %q, %q; the command %q, %q", c.Name(), s.Use, s.Short, c.Use, c.Short)
		}
		delete(standIns, c.Name())
	}
	for name := range standIns {
		t.Errorf("osr lists a stand-in for osr cluster %s, which no package registers", name)
	}
	var out bytes.Buffer
	for _, c := range cli.Tree(&out).Commands() {
		if c.Name() != "cluster" {
			continue
		}
		for _, sub := range c.Commands() {
			if sub.Annotations["osr:driverhost"] != "" {
				t.Errorf("osr cluster %s is a stand-in in a program that links the command", sub.Name())
			}
		}
	}
}
