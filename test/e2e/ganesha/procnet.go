// SPDX-License-Identifier: Apache-2.0

package ganesha

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// tcpListen is the socket state LISTEN in /proc/net/tcp.
const tcpListen = "0A"

// listeningPorts returns the TCP ports (IPv4 and IPv6) listening in the
// network namespace of process pid, read from /proc/PID/net/tcp{,6}.
func listeningPorts(pid int) (map[int]bool, error) {
	ports := map[int]bool{}
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, name))
		if err != nil {
			return nil, fmt.Errorf("sockets of pid %d: %w", pid, err)
		}
		err = parseListening(f, ports)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("sockets of pid %d (%s): %w", pid, name, err)
		}
	}
	return ports, nil
}

// parseListening adds the local ports of the LISTEN rows of a
// /proc/net/tcp table ("sl local_address rem_address st …", addresses as
// HEXADDR:HEXPORT) to ports.
func parseListening(r io.Reader, ports map[int]bool) error {
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != tcpListen {
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			return fmt.Errorf("bad local address %q", f[1])
		}
		p, err := strconv.ParseUint(f[1][i+1:], 16, 16)
		if err != nil {
			return fmt.Errorf("bad port in %q: %w", f[1], err)
		}
		ports[int(p)] = true
	}
	return sc.Err()
}
