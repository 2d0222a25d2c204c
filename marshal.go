package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
)

// Conversions of the types every area uses: strings, GUIDs, FILETIMEs,
// byte buffers and addresses.

func wp(p *uint16) *C.WCHAR { return (*C.WCHAR)(unsafe.Pointer(p)) }

func u16(p *C.WCHAR) *uint16 { return (*uint16)(unsafe.Pointer(p)) }

// goGUID converts a Windows GUID (Data1..3 little-endian in memory) to a
// uuid.UUID (RFC 4122 byte order).
func goGUID(g *C.GUID) uuid.UUID {
	w := (*[16]byte)(unsafe.Pointer(g))
	var u uuid.UUID
	binary.BigEndian.PutUint32(u[0:], binary.LittleEndian.Uint32(w[0:]))
	binary.BigEndian.PutUint16(u[4:], binary.LittleEndian.Uint16(w[4:]))
	binary.BigEndian.PutUint16(u[6:], binary.LittleEndian.Uint16(w[6:]))
	copy(u[8:], w[8:])
	return u
}

func putGUID(g *C.GUID, u uuid.UUID) {
	w := (*[16]byte)(unsafe.Pointer(g))
	binary.LittleEndian.PutUint32(w[0:], binary.BigEndian.Uint32(u[0:]))
	binary.LittleEndian.PutUint16(w[4:], binary.BigEndian.Uint16(u[4:]))
	binary.LittleEndian.PutUint16(w[6:], binary.BigEndian.Uint16(u[6:]))
	copy(w[8:], u[8:])
}

func goFiletime(f *C.FILETIME) filetime.FILETIME {
	return filetime.Join(uint32(f.dwLowDateTime), uint32(f.dwHighDateTime))
}

func putFiletime(f *C.FILETIME, t filetime.FILETIME) {
	lo, hi := t.Split()
	f.dwLowDateTime, f.dwHighDateTime = C.DWORD(lo), C.DWORD(hi)
}

// goBytes copies cb bytes at p, refusing more than max with tooBig.
func goBytes(p unsafe.Pointer, cb uint32, max int, tooBig *peererr.Code) ([]byte, error) {
	v, err := cBytes(p, cb, max, tooBig)
	if v == nil {
		return nil, err
	}
	return append([]byte(nil), v...), nil
}

// cBytes is goBytes without the copy: the application's own memory, valid
// only until the call returns. For callees that copy what they keep
// before returning (SendData frames the message at once), it saves a copy
// of every message.
func cBytes(p unsafe.Pointer, cb uint32, max int, tooBig *peererr.Code) ([]byte, error) {
	if cb == 0 {
		return nil, nil
	}
	if int64(cb) > int64(max) {
		return nil, fmt.Errorf("%d bytes exceed %d: %w", cb, max, tooBig)
	}
	if p == nil {
		return nil, fmt.Errorf("NULL data with %d bytes: %w", cb, peererr.ErrInvalidArg)
	}
	return unsafe.Slice((*byte)(p), cb), nil
}

// PEER_ADDRESS carries the platform's AF_INET6 on output; both it and
// Windows' value 23 are accepted on input.
const (
	afInet6        = syscall.AF_INET6
	windowsAFInet6 = 23
)

func fillAddress(a *C.PEER_ADDRESS, ap netip.AddrPort) {
	a.dwSize = C.sizeof_PEER_ADDRESS
	sin := (*[28]byte)(unsafe.Pointer(&a.sin6))
	binary.LittleEndian.PutUint16(sin[0:], afInet6)
	binary.BigEndian.PutUint16(sin[2:], ap.Port())
	ip := ap.Addr().As16()
	copy(sin[8:24], ip[:])
}

func readAddress(a *C.PEER_ADDRESS) (netip.AddrPort, error) {
	if a.dwSize != C.sizeof_PEER_ADDRESS {
		return netip.AddrPort{}, fmt.Errorf("address dwSize %d: %w", a.dwSize, peererr.ErrInvalidArg)
	}
	sin := (*[28]byte)(unsafe.Pointer(&a.sin6))
	if fam := binary.LittleEndian.Uint16(sin[0:]); fam != afInet6 && fam != windowsAFInet6 {
		return netip.AddrPort{}, fmt.Errorf("address family %d is not AF_INET6: %w", fam, peererr.ErrInvalidAddress)
	}
	ip := netip.AddrFrom16([16]byte(sin[8:24])).Unmap()
	port := binary.BigEndian.Uint16(sin[2:])
	if port == 0 || !ip.IsValid() || ip.IsUnspecified() {
		return netip.AddrPort{}, fmt.Errorf("address %s port %d: %w", ip, port, peererr.ErrInvalidAddress)
	}
	return netip.AddrPortFrom(ip, port), nil
}
