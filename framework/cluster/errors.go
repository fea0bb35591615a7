// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"errors"
	"sort"
)

// joinErrors joins reader errors; each already names its file and line.
func joinErrors(errs []error) error { return errors.Join(errs...) }

func sortStrings(s []string) { sort.Strings(s) }
