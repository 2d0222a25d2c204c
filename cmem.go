package main

/*
#include <stdlib.h>
#include <string.h>
*/
import "C"

import (
	"fmt"
	"unicode/utf16"
	"unsafe"

	"p2p/core/peererr"
)

// cbuf lays out one returned object (a struct, its strings and its data)
// in a single C allocation, so one PeerFreeData releases everything. It
// runs the same layout code twice: once measuring, once writing.
type cbuf struct {
	base      unsafe.Pointer
	off, size uintptr
	measuring bool
	scratch   unsafe.Pointer // where measuring writes structs
	scratchN  uintptr
	retired   []unsafe.Pointer // outgrown scratch blocks, still referenced until the pass ends
}

const align = 8

func alignUp(n uintptr) uintptr { return (n + align - 1) &^ (align - 1) }

// take reserves n bytes, 8-aligned and zeroed.
func (b *cbuf) take(n uintptr) unsafe.Pointer {
	off := alignUp(b.off)
	b.off = off + n
	if b.measuring {
		if n > b.scratchN {
			// Earlier pieces of the object may still point into the old
			// block: keep it until the pass ends.
			if b.scratch != nil {
				b.retired = append(b.retired, b.scratch)
			}
			b.scratch, b.scratchN = C.calloc(C.size_t(n), 1), n
		}
		return b.scratch
	}
	if b.off > b.size {
		panic("cbuf: layout changed between passes")
	}
	return unsafe.Add(b.base, off)
}

// wstr copies s as a NUL-terminated UTF-16 string.
func (b *cbuf) wstr(s string) *uint16 {
	u := utf16.Encode([]rune(s))
	p := b.take(uintptr(len(u)+1) * 2)
	if b.measuring {
		return nil
	}
	dst := unsafe.Slice((*uint16)(p), len(u)+1)
	copy(dst, u)
	dst[len(u)] = 0
	return (*uint16)(p)
}

// optWstr is wstr, or NULL for the empty string.
func (b *cbuf) optWstr(s string) *uint16 {
	if s == "" {
		return nil
	}
	return b.wstr(s)
}

// bytes copies data, returning NULL for none.
func (b *cbuf) bytes(data []byte) unsafe.Pointer {
	if len(data) == 0 {
		return nil
	}
	p := b.take(uintptr(len(data)))
	if !b.measuring {
		copy(unsafe.Slice((*byte)(p), len(data)), data)
	}
	return p
}

// marshal lays out an object with fill and returns the block, registered
// for PeerFreeData. fill must take the same sizes on both passes.
func marshal(fill func(b *cbuf) unsafe.Pointer) (unsafe.Pointer, error) {
	m := cbuf{measuring: true}
	fill(&m)
	C.free(m.scratch)
	for _, p := range m.retired {
		C.free(p)
	}
	size := alignUp(m.off)
	if size == 0 {
		size = align
	}
	base := C.calloc(C.size_t(size), 1)
	if base == nil {
		return nil, fmt.Errorf("allocate %d bytes: %w", size, peererr.ErrOutOfMemory)
	}
	w := cbuf{base: base, size: size}
	if p := fill(&w); p != base {
		C.free(base)
		panic("cbuf: object does not start the block")
	}
	allocs.Add(uintptr(base))
	return base, nil
}

// freeData releases a block returned by marshal; unknown pointers are
// ignored.
func freeData(p unsafe.Pointer) { freeBlock(uintptr(p)) }

// freeBlock is freeData for an address received from the application: it
// becomes a pointer only once it is known to be one of our blocks.
func freeBlock(u uintptr) {
	if u != 0 && allocs.Take(u) {
		C.free(*(*unsafe.Pointer)(unsafe.Pointer(&u)))
	}
}

// Each returned string is an object of its own.
func marshalString(s string) (*uint16, error) {
	p, err := marshal(func(b *cbuf) unsafe.Pointer { return unsafe.Pointer(b.wstr(s)) })
	return (*uint16)(p), err
}
