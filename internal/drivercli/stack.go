// SPDX-License-Identifier: Apache-2.0

package drivercli

// osr cluster fence, fence-ack, status and watch run in osr-driverhost as well:
// they link the fence methods (ssh, IPMI), which osr leaves out to start fast.
import _ "github.com/open-sharedroot/osr/internal/stackcli"
