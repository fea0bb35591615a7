// SPDX-License-Identifier: Apache-2.0

package builtin_test

import (
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/open-sharedroot/osr/drivers/builtin"
	"github.com/open-sharedroot/osr/framework/driver/drivertest"
)

// Every built-in driver keeps the contract over gRPC and in process, under the
// name it is listed by.
func TestBuiltInDrivers(t *testing.T) {
	for name, f := range builtin.Drivers() {
		t.Run(name, func(t *testing.T) {
			info := drivertest.Check(t, f(hclog.NewNullLogger()))
			if info.Name != name {
				t.Errorf("listed as %q, but the driver calls itself %q", name, info.Name)
			}
		})
	}
}
