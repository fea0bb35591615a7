// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
)

// ErrUnimplemented is wrapped by errors from calls the driver does not implement.
var ErrUnimplemented = errors.New("driver does not implement the call")

// ErrTimeout is wrapped when a driver did not answer a call within its deadline.
var ErrTimeout = errors.New("driver call timed out")

// TimedOut is the error of a call to a driver, named who, that did not answer
// call within limit: it wraps ErrTimeout and context.DeadlineExceeded. Both the
// in-process and the gRPC transport report a stuck driver with it.
func TimedOut(who, call string, limit time.Duration) error {
	return fmt.Errorf("%s did not answer %s within %v (it is stuck; its log above may say where): %w: %w",
		who, call, limit, ErrTimeout, context.DeadlineExceeded)
}

// Factory makes a driver. It receives the logger the driver must log through:
// served as a program (package plugin's Serve) its lines go to stderr as JSON, and
// osr shows them in its own log (at boot, in the boot log) under the driver's name
// while the call runs. A driver keeps the logger in its struct.
type Factory func(log hclog.Logger) Driver
