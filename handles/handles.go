// Package handles is the typed handle table behind HGROUP, HPEEREVENT and
// HPEERENUM. A handle is an opaque non-zero value that encodes its kind and
// a serial number that is never reused, so a closed, stale, forged or
// wrong-typed handle is detected and refused instead of being dereferenced.
package handles

import (
	"sync"

	"p2p/core/peererr"
)

// Kind is the type of object a handle refers to.
type Kind uint8

// The kinds of handle the API hands out.
const (
	Group Kind = 1 // HGROUP
	Event Kind = 2 // HPEEREVENT
	Enum  Kind = 3 // HPEERENUM
)

// Handles look like 0x5AKK_SSSS_SSSS_SSSS: a fixed tag, the kind and a
// 48-bit serial. The tag makes NULL, small integers and stray pointers
// invalid; the serial is never reused, so a closed handle stays invalid.
const (
	tag        = 0x5A
	tagShift   = 56
	kindShift  = 48
	serialMask = 1<<kindShift - 1
	// MaxLive bounds the live handles of one process, so a leaking caller
	// gets E_OUTOFMEMORY instead of exhausting memory.
	MaxLive = 1 << 20
)

// Table maps handles to Go values. The zero Table is ready to use and safe
// for concurrent use.
type Table struct {
	mu     sync.Mutex
	serial uint64
	live   map[uint64]any
}

// New stores v and returns a fresh handle of the given kind for it. It
// fails with E_OUTOFMEMORY when MaxLive handles are already live.
func (t *Table) New(kind Kind, v any) (uint64, error) {
	if v == nil {
		panic("handles: nil value")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live == nil {
		t.live = make(map[uint64]any)
	}
	if len(t.live) >= MaxLive {
		return 0, peererr.ErrOutOfMemory
	}
	t.serial++
	h := tag<<tagShift | uint64(kind)<<kindShift | t.serial&serialMask
	t.live[h] = v
	return h, nil
}

// Get returns the value behind h, or E_HANDLE if h is not a live handle of
// the given kind.
func (t *Table) Get(h uint64, kind Kind) (any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.live[h]
	if !ok || Kind(h>>kindShift) != kind {
		return nil, peererr.ErrHandle
	}
	return v, nil
}

// Remove invalidates h and returns the value it referred to; any later use
// of h fails with E_HANDLE.
func (t *Table) Remove(h uint64, kind Kind) (any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.live[h]
	if !ok || Kind(h>>kindShift) != kind {
		return nil, peererr.ErrHandle
	}
	delete(t.live, h)
	return v, nil
}

// RemoveAll invalidates every handle and returns their values, so the
// caller can release them (the last PeerGroupShutdown does this).
func (t *Table) RemoveAll() []any {
	t.mu.Lock()
	defer t.mu.Unlock()
	vals := make([]any, 0, len(t.live))
	for h, v := range t.live {
		vals = append(vals, v)
		delete(t.live, h)
	}
	return vals
}

// Len reports how many handles are live.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.live)
}
