// SPDX-License-Identifier: Apache-2.0

package pid1

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// AttachConsole opens the console device (normally /dev/console) and makes it
// stdin, stdout and stderr of the process, so the init and every child it
// starts talk to the console even when the kernel started the init with no
// open files (an image without /dev/console). It returns the opened file.
func AttachConsole(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open console %s: %w", path, err)
	}
	for fd := 0; fd <= 2; fd++ {
		if int(f.Fd()) == fd {
			continue
		}
		if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("console %s as fd %d: %w", path, fd, err)
		}
	}
	return f, nil
}
