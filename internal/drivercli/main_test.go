// SPDX-License-Identifier: Apache-2.0

package drivercli

import (
	"os"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/driver"
	"github.com/open-sharedroot/osr/internal/cli"
)

// TestMain lets the test binary act as osr-driverhost (mainChildEnv) or as a
// driver stuck in Describe (stuckDriverEnv).
func TestMain(m *testing.M) {
	if os.Getenv(stuckDriverEnv) != "" {
		serveStuckDriver()
	}
	if os.Getenv(mainChildEnv) != "" {
		cli.Main() // the real entry point, signal handling included; it exits
	}
	os.Exit(m.Run())
}

// TestProtocolVersion: osr version prints the protocol the driver package speaks.
func TestProtocolVersion(t *testing.T) {
	want := "(driver protocol " + string(rune('0'+driver.ProtocolVersion)) + ","
	if v := cli.VersionLine(); !strings.Contains(v, want) {
		t.Errorf("osr version says %q; want %q in it", v, want)
	}
}
