// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"github.com/open-sharedroot/osr/framework/driver"

	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
)

// handshakeLine is the first line a go-plugin plugin prints on stdout:
//
//	CORE-PROTOCOL|APP-PROTOCOL|NETWORK|ADDRESS|PROTOCOL[|SERVER-CERT[|MUX]]
//
// go-plugin parses it itself; osr parses it again to say precisely what is
// wrong with a driver that did not connect.
type handshakeLine struct {
	Core, App        int
	Network, Address string
	Protocol         string
}

// parseHandshake reads a handshake line. The error says which field is wrong.
func parseHandshake(line string) (handshakeLine, error) {
	var h handshakeLine
	line = strings.TrimSpace(line)
	if line == "" {
		return h, fmt.Errorf("empty line")
	}
	parts := strings.Split(line, "|")
	if len(parts) < 4 {
		return h, fmt.Errorf("%d fields, want at least 4 (core|protocol|network|address|grpc)", len(parts))
	}
	var err error
	if h.Core, err = strconv.Atoi(parts[0]); err != nil {
		return h, fmt.Errorf("core protocol %q is not a number", parts[0])
	}
	if h.App, err = strconv.Atoi(parts[1]); err != nil {
		return h, fmt.Errorf("driver protocol %q is not a number", parts[1])
	}
	h.Network, h.Address = parts[2], parts[3]
	switch h.Network {
	case "unix":
		if h.Address == "" {
			return h, fmt.Errorf("empty unix socket path")
		}
	case "tcp":
		if _, _, err := net.SplitHostPort(h.Address); err != nil {
			return h, fmt.Errorf("tcp address %q: %v", h.Address, err)
		}
	default:
		return h, fmt.Errorf("network %q is neither unix nor tcp", h.Network)
	}
	h.Protocol = string(goplugin.ProtocolNetRPC)
	if len(parts) >= 5 {
		h.Protocol = parts[4]
	}
	return h, nil
}

// check says what in a well-formed handshake osr cannot use: another core or
// driver protocol, net/rpc, or an address nobody answers at.
func (h handshakeLine) check(dialTimeout time.Duration) error {
	if h.Core != goplugin.CoreProtocolVersion {
		return fmt.Errorf("it speaks go-plugin core protocol %d, osr speaks %d: %w", h.Core, goplugin.CoreProtocolVersion, ErrProtocolMismatch)
	}
	if h.App != driver.ProtocolVersion {
		return fmt.Errorf("it speaks osr driver protocol %d, this osr speaks %d; install a driver built for this osr: %w", h.App, driver.ProtocolVersion, ErrProtocolMismatch)
	}
	if h.Protocol != string(goplugin.ProtocolGRPC) {
		return fmt.Errorf("it offers %q, osr drivers speak grpc: %w", h.Protocol, ErrProtocolMismatch)
	}
	conn, err := net.DialTimeout(h.Network, h.Address, dialTimeout)
	if err != nil {
		return fmt.Errorf("it announced %s address %s, but nothing answers there: %w: %w", h.Network, h.Address, err, ErrUnreachable)
	}
	conn.Close()
	return nil
}
