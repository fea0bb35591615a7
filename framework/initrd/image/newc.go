// SPDX-License-Identifier: Apache-2.0

package image

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The newc ("SVR4 portable ASCII") cpio format the kernel's initramfs unpacker reads
// (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte header of
// thirteen 8-digit hexadecimal fields after the 6-byte magic, the NUL-terminated name,
// padding to a multiple of four, the body, padding to a multiple of four.
//
// The header is encoded here rather than through cavaliergopher/cpio because that
// package neither writes nor reads the device-number fields (rdevmajor/rdevminor,
// devmajor/devminor): a /dev/console written through it comes out as device 0:0.
// The package's tests use cavaliergopher/cpio as an independent reader of our output.

const (
	newcMagic    = "070701"
	newcCRCMagic = "070702" // same layout, with a checksum of the body
	newcHeader   = 110
	trailerName  = "TRAILER!!!"
	maxNameLen   = 4096 // PATH_MAX, as the kernel and GNU cpio limit names
	maxBodyLen   = 1<<32 - 1
)

// cpio mode type bits (the S_IF* values of <sys/stat.h>).
const (
	modeTypeMask = 0o170000
	modeSocket   = 0o140000
	modeSymlink  = 0o120000
	modeRegular  = 0o100000
	modeBlock    = 0o060000
	modeDir      = 0o040000
	modeChar     = 0o020000
	modeFifo     = 0o010000
	modePermMask = 0o7777 // permission, setuid, setgid and sticky bits
)

// header is one newc header with every field the format carries.
type header struct {
	ino       uint32
	mode      uint32
	uid       uint32
	gid       uint32
	nlink     uint32
	mtime     uint32
	size      uint32 // body length; for a symlink the length of its target
	devMajor  uint32
	devMinor  uint32
	rdevMajor uint32
	rdevMinor uint32
	check     uint32 // only meaningful with the 070702 magic
	name      string
}

// pad4 returns how many zero bytes follow n bytes to reach a multiple of four.
func pad4(n int64) int64 { return (4 - n%4) % 4 }

// appendHeader appends h's encoding, name and name padding to buf.
func appendHeader(buf []byte, h *header) []byte {
	buf = append(buf, newcMagic...)
	for _, v := range [...]uint32{h.ino, h.mode, h.uid, h.gid, h.nlink, h.mtime, h.size,
		h.devMajor, h.devMinor, h.rdevMajor, h.rdevMinor, uint32(len(h.name) + 1), 0} {
		buf = appendHex8(buf, v)
	}
	buf = append(buf, h.name...)
	buf = append(buf, 0)
	for range pad4(int64(newcHeader + len(h.name) + 1)) {
		buf = append(buf, 0)
	}
	return buf
}

func appendHex8(buf []byte, v uint32) []byte {
	const digits = "0123456789ABCDEF"
	for shift := 28; shift >= 0; shift -= 4 {
		buf = append(buf, digits[(v>>uint(shift))&0xf])
	}
	return buf
}

// errBadHeader marks input that is not a newc header; the message says what was wrong.
var errBadHeader = errors.New("not a newc cpio header")

// readHeader reads one header and its name (with padding) from r. It returns the
// header and the number of bytes consumed. A header whose name is TRAILER!!! is
// returned like any other; the caller decides what it means.
func readHeader(r *bufio.Reader) (*header, int64, error) {
	var raw [newcHeader]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	if !bytes.Equal(raw[:6], []byte(newcMagic)) && !bytes.Equal(raw[:6], []byte(newcCRCMagic)) {
		return nil, 0, fmt.Errorf("%w: magic %q", errBadHeader, raw[:6])
	}
	var f [13]uint32
	for i := range f {
		field := raw[6+8*i : 14+8*i]
		v, err := strconv.ParseUint(string(field), 16, 32)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: field %d is %q, not hexadecimal", errBadHeader, i, field)
		}
		f[i] = uint32(v)
	}
	nameLen := int64(f[11])
	if nameLen < 1 || nameLen > maxNameLen+1 {
		return nil, 0, fmt.Errorf("%w: name length %d", errBadHeader, nameLen)
	}
	name := make([]byte, nameLen+pad4(newcHeader+nameLen))
	if _, err := io.ReadFull(r, name); err != nil {
		return nil, 0, fmt.Errorf("reading entry name: %w", unexpected(err))
	}
	if name[nameLen-1] != 0 {
		return nil, 0, fmt.Errorf("%w: name is not NUL-terminated", errBadHeader)
	}
	h := &header{
		ino: f[0], mode: f[1], uid: f[2], gid: f[3], nlink: f[4], mtime: f[5], size: f[6],
		devMajor: f[7], devMinor: f[8], rdevMajor: f[9], rdevMinor: f[10], check: f[12],
		name: string(name[:nameLen-1]),
	}
	if i := strings.IndexByte(h.name, 0); i >= 0 {
		h.name = h.name[:i] // the kernel reads the name as a C string
	}
	return h, newcHeader + int64(len(name)), nil
}

// unexpected turns io.EOF inside a structure into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
