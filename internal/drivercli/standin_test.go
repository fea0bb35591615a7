// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/internal/cli"
)

// TestStandInsMatch: osr, which does not link these commands, lists each of them
// with the name and one-line help the real command has, and no other.
func TestStandInsMatch(t *testing.T) {
	var out bytes.Buffer
	real := map[string]string{}
	for _, c := range cli.Tree(&out).Commands() {
		if c.Annotations["osr:driverhost"] == "" && registered[c.Name()] {
			real[c.Name()] = c.Short
		}
	}
	if diff := cmp.Diff(cli.StandIns(), real); diff != "" {
		t.Errorf("osr's stand-ins differ from osr-driverhost's commands (-stand-ins +real):\n%s", diff)
	}
}
