package main

import (
	"sync"
	"unsafe"

	"p2p/handles"
)

// filler lays out one item of an enumeration.
type filler func(b *cbuf) unsafe.Pointer

// enumeration is an HPEERENUM: a fixed list of items, produced lazily so
// that a large database is never marshalled at once.
type enumeration struct {
	mu   sync.Mutex
	n    int
	next int
	// item returns the filler for item i, nil if the item vanished since
	// the enumeration began (a record deleted meanwhile), or the error
	// that keeps it from being read (a damaged database).
	item func(i int) (filler, error)
}

// newEnum registers an enumeration of n items and returns its handle.
func newEnum(n int, item func(i int) (filler, error)) (uint64, error) {
	return table.New(handles.Enum, &enumeration{n: n, item: item})
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
		arr := b.take(uintptr(len(fills)) * unsafe.Sizeof(uintptr(0)))
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

// sliceEnum enumerates a slice already in memory.
func sliceEnum[T any](items []T, fill func(b *cbuf, it T) unsafe.Pointer) (uint64, error) {
	return newEnum(len(items), func(i int) (filler, error) {
		it := items[i]
		return func(b *cbuf) unsafe.Pointer { return fill(b, it) }, nil
	})
}
