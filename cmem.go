package main

/*
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"sync"
	"unicode/utf16"
	"unsafe"

	"p2p/core/peererr"
)

// cbuf lays out one returned object (a struct, its strings and its data)
// in a single C allocation, so one PeerFreeData releases everything. It
// runs the same layout code twice: once measuring, once writing. While
// measuring, only structs are written (layout code sets their fields on
// both passes), into scratch memory; strings, data and arrays are only
// counted. So an INCOMING_DATA event costs one allocation and one copy of
// its data, whatever its size.
type cbuf struct {
	base      unsafe.Pointer
	off, size uintptr
	measuring bool
	// scratch takes the structs of the measuring pass; big one larger
	// than scratch (none of p2p.h's structs is).
	scratch [scratchBytes / 8]uint64
	big     unsafe.Pointer
	bigN    uintptr
}

const (
	align        = 8
	scratchBytes = 512
)

func alignUp(n uintptr) uintptr { return (n + align - 1) &^ (align - 1) }

// cbufs recycles cbufs, so that marshalling allocates no Go memory.
var cbufs = sync.Pool{New: func() any { return new(cbuf) }}

// reserve reserves n bytes, 8-aligned, and returns where they start in
// the block (nil while measuring); the alignment gap before them is
// zeroed.
func (b *cbuf) reserve(n uintptr) unsafe.Pointer {
	start := alignUp(b.off)
	gap := b.off
	b.off = start + n
	if b.measuring {
		return nil
	}
	if b.off > b.size {
		panic("cbuf: layout changed between passes")
	}
	zero(unsafe.Add(b.base, gap), start-gap)
	return unsafe.Add(b.base, start)
}

// take reserves a struct of n bytes, zeroed. Unlike the other methods it
// returns memory on both passes: scratch while measuring.
func (b *cbuf) take(n uintptr) unsafe.Pointer {
	p := b.reserve(n)
	if !b.measuring {
		zero(p, n)
		return p
	}
	if n <= scratchBytes {
		clear(b.scratch[:(n+7)/8])
		return unsafe.Pointer(&b.scratch)
	}
	if n > b.bigN {
		C.free(b.big)
		b.big, b.bigN = C.malloc(C.size_t(n)), n
	}
	zero(b.big, n)
	return b.big
}

// array reserves n bytes, zeroed, that the caller fills only when
// writing (nil while measuring).
func (b *cbuf) array(n uintptr) unsafe.Pointer {
	p := b.reserve(n)
	if p != nil {
		zero(p, n)
	}
	return p
}

// zero clears n bytes of C memory at p.
func zero(p unsafe.Pointer, n uintptr) {
	if n > 0 {
		clear(unsafe.Slice((*byte)(p), n))
	}
}

// wstr copies s as a NUL-terminated UTF-16 string.
func (b *cbuf) wstr(s string) *uint16 {
	n := 1
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++ // invalid runes become U+FFFD, one unit
		}
	}
	p := b.reserve(uintptr(n) * 2)
	if b.measuring {
		return nil
	}
	out := unsafe.Slice((*uint16)(p), n)
	dst := out[:0]
	for _, r := range s {
		dst = utf16.AppendRune(dst, r)
	}
	out[n-1] = 0
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
	p := b.reserve(uintptr(len(data)))
	if !b.measuring {
		copy(unsafe.Slice((*byte)(p), len(data)), data)
	}
	return p
}

// marshal lays out an object with fill and returns the block, registered
// for PeerFreeData. fill must take the same sizes on both passes.
func marshal(fill func(b *cbuf) unsafe.Pointer) (unsafe.Pointer, error) {
	b := cbufs.Get().(*cbuf)
	defer func() {
		if b.big != nil {
			C.free(b.big)
		}
		*b = cbuf{}
		cbufs.Put(b)
	}()
	b.measuring = true
	fill(b)
	size := alignUp(b.off)
	if size == 0 {
		size = align
	}
	base := C.malloc(C.size_t(size))
	if base == nil {
		return nil, fmt.Errorf("allocate %d bytes: %w", size, peererr.ErrOutOfMemory)
	}
	b.base, b.size, b.off, b.measuring = base, size, 0, false
	if p := fill(b); p != base {
		C.free(base)
		panic("cbuf: object does not start the block")
	}
	zero(unsafe.Add(base, b.off), size-b.off)
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
