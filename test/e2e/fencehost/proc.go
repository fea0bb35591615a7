// SPDX-License-Identifier: Apache-2.0

package fencehost

import (
	"fmt"
	"os"
	"strings"
)

// proc is a registered node process.
type proc struct {
	pid   int
	start string // /proc/PID/stat start time, to recognise a reused PID
}

// statFields returns the fields of /proc/PID/stat after the command name.
func statFields(pid int) ([]string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return strings.Fields(string(data[i+1:])), nil
}

// startTime is field 22 of /proc/PID/stat (the 20th after the command name).
func startTime(pid int) (string, error) {
	f, err := statFields(pid)
	if err != nil {
		return "", err
	}
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	return f[19], nil
}

// alive reports whether the registered process still runs: it exists, is not a
// zombie, and is the process that was registered.
func alive(p proc) bool {
	f, err := statFields(p.pid)
	if err != nil || len(f) < 20 {
		return false
	}
	if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		return false
	}
	return f[19] == p.start
}
