// SPDX-License-Identifier: Apache-2.0

// Package vlanswitch is a learning Ethernet switch with 802.1Q VLANs in
// userspace, for boot tests that need tagged traffic on hosts whose kernel
// has no 8021q, bonding or bridge support. Guests' NICs reach it through
// qemu's stream netdev (unix sockets), the host side through a tap device
// in a network namespace. Access ports carry one VLAN untagged, trunk ports
// carry theirs tagged; the switch learns each (VLAN, MAC) on the port it
// was last seen on, sends known unicast there and floods the rest to every
// other port of the VLAN.
package vlanswitch

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// Mode says how a port carries its VLANs.
type Mode int

const (
	// Access ports carry one VLAN untagged: frames from the port must be
	// untagged, frames to it leave untagged.
	Access Mode = iota
	// Trunk ports carry their VLANs tagged: frames from the port must carry
	// the tag of one of them, frames to it get their VLAN's tag.
	Trunk
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Access:
		return "access"
	case Trunk:
		return "trunk"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// PortConfig describes a port.
type PortConfig struct {
	// Name identifies the port in errors and statistics.
	Name string
	Mode Mode
	// VLANs are the VLAN ids the port carries: exactly one for an access
	// port, one or more for a trunk.
	VLANs []uint16
}

// QueueLen is how many frames wait for a port's link before more are lost.
const QueueLen = 1024

// MaxFrame is the longest frame a link reads: qemu's NET_BUFSIZE.
const MaxFrame = 4096 + 65536

// Link carries a port's frames: one ReadFrame returns one whole frame, one
// WriteFrame sends one.
type Link interface {
	ReadFrame(b []byte) (int, error)
	WriteFrame(b []byte) error
	Close() error
}

// Stats counts a port's frames.
type Stats struct {
	// In counts the frames taken from the port, Out those sent to it.
	In, Out uint64
	// Refused counts the frames from the port its VLAN rules refused:
	// untagged on a trunk, tagged on an access port, a VLAN the port does
	// not carry, frames too short to be Ethernet.
	Refused uint64
	// Lost counts the frames for the port dropped because no link was
	// attached, its queue was full or the write failed.
	Lost uint64
}

// Port is one port of a Switch.
type Port struct {
	sw    *Switch
	cfg   PortConfig
	queue chan []byte

	mu   sync.Mutex
	link Link
	// err is the last link error, for Err.
	err error

	in, out, refused, lost atomic.Uint64
}

type fdbKey struct {
	vid uint16
	mac [macLen]byte
}

// Switch is a running switch.
type Switch struct {
	mu        sync.Mutex
	ports     []*Port
	fdb       map[fdbKey]*Port
	listeners []io.Closer
	done      chan struct{}
	closed    bool
	wg        sync.WaitGroup
}

// New returns a switch without ports.
func New() *Switch {
	return &Switch{fdb: map[fdbKey]*Port{}, done: make(chan struct{})}
}

// AddPort adds a port; it forwards once a link is attached.
func (s *Switch) AddPort(cfg PortConfig) (*Port, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("switch is closed")
	}
	for _, p := range s.ports {
		if p.cfg.Name == cfg.Name {
			return nil, fmt.Errorf("port %q exists already", cfg.Name)
		}
	}
	cfg.VLANs = slices.Clone(cfg.VLANs)
	p := &Port{sw: s, cfg: cfg, queue: make(chan []byte, QueueLen)}
	s.ports = append(s.ports, p)
	s.wg.Add(1)
	go p.writeLoop()
	return p, nil
}

func (c PortConfig) validate() error {
	if c.Name == "" {
		return errors.New("port has no name")
	}
	if c.Mode != Access && c.Mode != Trunk {
		return fmt.Errorf("port %s: unknown mode %v", c.Name, c.Mode)
	}
	if len(c.VLANs) == 0 || c.Mode == Access && len(c.VLANs) != 1 {
		return fmt.Errorf("port %s: an %v port carries %s VLAN, not %d", c.Name, c.Mode,
			map[Mode]string{Access: "exactly one", Trunk: "at least one"}[c.Mode], len(c.VLANs))
	}
	seen := map[uint16]bool{}
	for _, v := range c.VLANs {
		if v < 1 || v > MaxVID {
			return fmt.Errorf("port %s: VLAN id %d is out of range (1-%d)", c.Name, v, MaxVID)
		}
		if seen[v] {
			return fmt.Errorf("port %s: VLAN %d given twice", c.Name, v)
		}
		seen[v] = true
	}
	return nil
}

// Name returns the port's name.
func (p *Port) Name() string { return p.cfg.Name }

// Stats returns the port's counters.
func (p *Port) Stats() Stats {
	return Stats{In: p.in.Load(), Out: p.out.Load(), Refused: p.refused.Load(), Lost: p.lost.Load()}
}

// Err returns the last error of the port's links (a read or write that
// failed, or nil).
func (p *Port) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Linked reports whether a link is attached to the port.
func (p *Port) Linked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.link != nil
}

// carries reports whether the port is in VLAN vid.
func (p *Port) carries(vid uint16) bool { return slices.Contains(p.cfg.VLANs, vid) }

// Attach makes l the port's link, closing the one before, and forwards the
// frames it reads until it fails or is closed.
func (p *Port) Attach(l Link) error {
	s := p.sw
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.Join(errors.New("switch is closed"), l.Close())
	}
	s.wg.Add(1)
	s.mu.Unlock()
	p.mu.Lock()
	old := p.link
	p.link = l
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
	go p.readLoop(l)
	return nil
}

// detach drops l as the port's link if it still is, and records why.
func (p *Port) detach(l Link, err error) {
	p.mu.Lock()
	if p.link == l {
		p.link = nil
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		p.err = err
	}
	p.mu.Unlock()
	l.Close()
}

func (p *Port) readLoop(l Link) {
	defer p.sw.wg.Done()
	buf := make([]byte, MaxFrame)
	for {
		n, err := l.ReadFrame(buf)
		if err != nil {
			select {
			case <-p.sw.done:
				err = nil
			default:
			}
			p.detach(l, err)
			return
		}
		p.sw.receive(p, slices.Clone(buf[:n]))
	}
}

func (p *Port) writeLoop() {
	defer p.sw.wg.Done()
	for {
		select {
		case <-p.sw.done:
			return
		case b := <-p.queue:
			p.mu.Lock()
			l := p.link
			p.mu.Unlock()
			if l == nil {
				p.lost.Add(1)
				continue
			}
			// A failed write loses the frame, not the link: a tap refuses
			// frames while it is down; a broken connection ends its reader.
			if err := l.WriteFrame(b); err != nil {
				p.lost.Add(1)
				p.mu.Lock()
				p.err = fmt.Errorf("port %s: %w", p.cfg.Name, err)
				p.mu.Unlock()
				continue
			}
			p.out.Add(1)
		}
	}
}

func (p *Port) enqueue(b []byte) {
	select {
	case p.queue <- b:
	default:
		p.lost.Add(1)
	}
}

// delivery is a frame bound for a port, as it leaves the port.
type delivery struct {
	port  *Port
	frame []byte
}

// receive forwards a frame that arrived on port in.
func (s *Switch) receive(in *Port, b []byte) {
	for _, d := range s.forward(in, b) {
		d.port.enqueue(d.frame)
	}
}

// forward applies in's VLAN rules to the frame b, learns its source and
// returns where it goes: to the port its destination was last seen on in
// its VLAN, else to every other port of the VLAN; tagged for trunks,
// untagged for access ports.
func (s *Switch) forward(in *Port, b []byte) []delivery {
	f, err := Decode(b)
	if err != nil {
		in.refused.Add(1)
		return nil
	}
	vid := f.VID
	switch in.cfg.Mode {
	case Access:
		if vid != 0 {
			in.refused.Add(1)
			return nil
		}
		vid = in.cfg.VLANs[0]
	case Trunk:
		if vid == 0 || !in.carries(vid) {
			in.refused.Add(1)
			return nil
		}
	}
	in.in.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !isGroup(f.Src) {
		s.fdb[fdbKey{vid, [macLen]byte(f.Src)}] = in
	}
	var to []*Port
	if known, ok := s.fdb[fdbKey{vid, [macLen]byte(f.Dst)}]; ok && !isGroup(f.Dst) {
		if known != in {
			to = append(to, known)
		}
	} else {
		for _, p := range s.ports {
			if p != in && p.carries(vid) {
				to = append(to, p)
			}
		}
	}
	out := make([]delivery, 0, len(to))
	for _, p := range to {
		frame := f.Untagged
		if p.cfg.Mode == Trunk {
			frame = Tag(f.Untagged, vid, f.Priority)
		}
		out = append(out, delivery{p, frame})
	}
	return out
}

// Close stops the switch: it closes every listener and link and waits for
// its goroutines.
func (s *Switch) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	listeners, ports := s.listeners, s.ports
	s.mu.Unlock()
	var errs []error
	for _, l := range listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for _, p := range ports {
		p.mu.Lock()
		l := p.link
		p.link = nil
		p.mu.Unlock()
		if l != nil {
			if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrClosed) {
				errs = append(errs, fmt.Errorf("port %s: %w", p.cfg.Name, err))
			}
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}
