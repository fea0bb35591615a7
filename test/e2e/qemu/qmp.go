// SPDX-License-Identifier: Apache-2.0

package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// qmpTimeout bounds a QMP exchange when ctx has no deadline.
const qmpTimeout = 30 * time.Second

// qmpMessage is any message qemu sends on its QMP socket: the greeting, a
// reply (return or error) or an asynchronous event.
type qmpMessage struct {
	Greeting json.RawMessage `json:"QMP"`
	Return   json.RawMessage `json:"return"`
	Error    *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error"`
	Event string `json:"event"`
}

// QMP runs one command of qemu's machine protocol on the guest's QMP socket
// (Machine.QMP) and returns its result. Each call opens the socket, leaves
// the protocol's capabilities negotiation and closes it again.
func (in *Instance) QMP(ctx context.Context, command string, args any) (json.RawMessage, error) {
	if in.Machine.QMP == "" {
		return nil, fmt.Errorf("%s: QMP %s: the machine has no QMP socket (Machine.QMP)", in.Machine.Name, command)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", in.Machine.QMP)
	if err != nil {
		return nil, fmt.Errorf("%s: QMP: %w", in.Machine.Name, err)
	}
	defer c.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(qmpTimeout)
	}
	if err := c.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("%s: QMP: %w", in.Machine.Name, err)
	}
	dec, enc := json.NewDecoder(c), json.NewEncoder(c)
	var greeting qmpMessage
	if err := dec.Decode(&greeting); err != nil || greeting.Greeting == nil {
		return nil, fmt.Errorf("%s: QMP: no greeting from qemu: %v", in.Machine.Name, err)
	}
	exchange := func(cmd string, args any) (json.RawMessage, error) {
		req := map[string]any{"execute": cmd}
		if args != nil {
			req["arguments"] = args
		}
		if err := enc.Encode(req); err != nil {
			return nil, err
		}
		for {
			var m qmpMessage
			if err := dec.Decode(&m); err != nil {
				return nil, err
			}
			switch {
			case m.Event != "":
				continue
			case m.Error != nil:
				return nil, fmt.Errorf("%s: %s", m.Error.Class, m.Error.Desc)
			case m.Return != nil:
				return m.Return, nil
			}
			return nil, errors.New("a reply with neither return nor error")
		}
	}
	if _, err := exchange("qmp_capabilities", nil); err != nil {
		return nil, fmt.Errorf("%s: QMP capabilities: %w", in.Machine.Name, err)
	}
	ret, err := exchange(command, args)
	if err != nil {
		return nil, fmt.Errorf("%s: QMP %s: %w", in.Machine.Name, command, err)
	}
	return ret, nil
}

// SetLink takes the link of NIC i (0-based, as in Machine.NICs) up or
// down, as pulling its cable would: the guest sees the carrier go, and
// qemu drops the frames to and from the card.
func (in *Instance) SetLink(ctx context.Context, nic int, up bool) error {
	if nic < 0 || nic >= len(in.Machine.NICs) {
		return fmt.Errorf("%s: no NIC %d (the machine has %d)", in.Machine.Name, nic, len(in.Machine.NICs))
	}
	_, err := in.QMP(ctx, "set_link", map[string]any{"name": NetdevID(nic), "up": up})
	return err
}
