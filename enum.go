package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	"p2p/core/service"
	"p2p/handles"
)

// The common calls: PeerFreeData and the enumerations (HPEERENUM).

//export PeerFreeData
func PeerFreeData(pvData uintptr) {
	defer func() { recover() }()
	freeBlock(pvData)
}

//export PeerGetItemCount
func PeerGetItemCount(hPeerEnum uintptr, pCount uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		count := out[uint32](&a, pCount, "pCount")
		e := a.enum(hPeerEnum)
		if a.err != nil {
			return a.err
		}
		*count = uint32(e.remaining())
		return nil
	})
}

//export PeerGetNextItem
func PeerGetNextItem(hPeerEnum uintptr, pCount uintptr, pppvItems uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		count := required[uint32](&a, pCount, "pCount")
		items := out[unsafe.Pointer](&a, pppvItems, "pppvItems")
		var want uint32
		if a.err == nil {
			want, *count = *count, 0
		}
		e := a.enum(hPeerEnum)
		if a.err != nil {
			return a.err
		}
		p, n, err := e.take(int(want))
		if err != nil {
			return err
		}
		*items, *count = p, uint32(n)
		return nil
	})
}

//export PeerEndEnumeration
func PeerEndEnumeration(hPeerEnum uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		_, err := table.Remove(uint64(hPeerEnum), handles.Enum)
		return err
	})
}

// filler lays out one item of an enumeration.
type filler func(b *cbuf) unsafe.Pointer

// enumeration is an HPEERENUM: a fixed list of items, produced lazily so
// that a large database is never marshalled at once.
type enumeration struct {
	mu   sync.Mutex // guards next and serialises take
	n    int
	next int
	// item returns the filler for item i, nil if the item vanished since
	// the enumeration began (a record deleted meanwhile), or the error
	// that keeps it from being read (a damaged database).
	item func(i int) (filler, error)
}

// enum resolves an HPEERENUM.
func (a *args) enum(h uintptr) *enumeration {
	if a.err != nil {
		return nil
	}
	v, err := table.Get(uint64(h), handles.Enum)
	if err != nil {
		a.fail(err)
		return nil
	}
	return v.(*enumeration)
}

// returnEnum registers an enumeration of n items and stores its handle
// into *out.
func returnEnum(out *uintptr, n int, item func(i int) (filler, error)) error {
	return returnHandle(out, handles.Enum, &enumeration{n: n, item: item}, func() {})
}

// returnSlice is returnEnum for a slice already in memory.
func returnSlice[T any](out *uintptr, items []T, fill func(b *cbuf, it *T) unsafe.Pointer) error {
	return returnEnum(out, len(items), func(i int) (filler, error) {
		return func(b *cbuf) unsafe.Pointer { return fill(b, &items[i]) }, nil
	})
}

// remaining reports how many items are left.
func (e *enumeration) remaining() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n - e.next
}

// take returns up to max further items as one block: an array of item
// pointers followed by the items, freed by one PeerFreeData. It returns
// nil when the enumeration is exhausted.
func (e *enumeration) take(max int) (unsafe.Pointer, int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var fills []filler
	for len(fills) < max && e.next < e.n {
		f, err := e.item(e.next)
		if err != nil {
			return nil, 0, err // the item stays next: a later call may read it
		}
		if f != nil {
			fills = append(fills, f)
		}
		e.next++
	}
	if len(fills) == 0 {
		return nil, 0, nil
	}
	p, err := marshal(func(b *cbuf) unsafe.Pointer {
		arr := b.array(uintptr(len(fills)) * unsafe.Sizeof(uintptr(0)))
		for i, f := range fills {
			item := f(b)
			if !b.measuring {
				unsafe.Slice((*unsafe.Pointer)(arr), len(fills))[i] = item
			}
		}
		return arr
	})
	return p, len(fills), err
}

// Close is called when the handle table drops the enumeration.
func (e *enumeration) Close() error { return nil }
