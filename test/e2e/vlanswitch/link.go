// SPDX-License-Identifier: Apache-2.0

package vlanswitch

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
)

// StreamLink carries frames over a stream connection the way qemu's
// stream and socket netdevs do: each frame preceded by its length as a
// 32-bit big-endian number.
type StreamLink struct {
	conn net.Conn
	r    *bufio.Reader
}

// NewStreamLink wraps a connection to a qemu stream netdev.
func NewStreamLink(c net.Conn) *StreamLink {
	return &StreamLink{conn: c, r: bufio.NewReaderSize(c, 2*MaxFrame)}
}

// ReadFrame reads the next frame into b.
func (l *StreamLink) ReadFrame(b []byte) (int, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(l.r, hdr[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > uint32(len(b)) || n > MaxFrame {
		return 0, fmt.Errorf("stream link %s: frame of %d bytes, longer than %d", l.conn.RemoteAddr(), n, min(len(b), MaxFrame))
	}
	if _, err := io.ReadFull(l.r, b[:n]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("stream link %s: frame cut short: %w", l.conn.RemoteAddr(), err)
	}
	return int(n), nil
}

// WriteFrame sends one frame.
func (l *StreamLink) WriteFrame(b []byte) error {
	out := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(out, uint32(len(b)))
	_, err := l.conn.Write(append(out, b...))
	return err
}

// Close closes the connection.
func (l *StreamLink) Close() error { return l.conn.Close() }

// MaxSocketPath is the longest unix socket path Linux takes (sun_path
// holds 108 bytes with the terminating NUL).
const MaxSocketPath = 107

// Listen makes the port accept connections from a qemu stream netdev
// (`-netdev stream,server=off,addr.type=unix,addr.path=PATH`) on the unix
// socket path; each connection becomes the port's link in turn. The
// socket file is removed when the switch closes.
func (p *Port) Listen(path string) error {
	if len(path) > MaxSocketPath {
		return fmt.Errorf("port %s: socket path %s is %d bytes, longer than the %d a unix socket takes; use a shorter directory", p.cfg.Name, path, len(path), MaxSocketPath)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("port %s: remove old socket: %w", p.cfg.Name, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("port %s: %w", p.cfg.Name, err)
	}
	s := p.sw
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.Join(errors.New("switch is closed"), ln.Close())
	}
	s.listeners = append(s.listeners, ln)
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				select {
				case <-s.done:
				default:
					p.mu.Lock()
					p.err = fmt.Errorf("port %s: accept: %w", p.cfg.Name, err)
					p.mu.Unlock()
				}
				return
			}
			if err := p.Attach(NewStreamLink(c)); err != nil {
				return
			}
		}
	}()
	return nil
}
