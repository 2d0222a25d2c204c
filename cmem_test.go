package main

import (
	"bytes"
	"testing"
	"unicode/utf16"
	"unsafe"
)

// testObject is laid out like a C struct: two string pointers, a data
// pointer and length, and a nested struct pointer.
type testObject struct {
	name, other *uint16
	data        unsafe.Pointer
	n           uint64
	inner       *testInner
}

type testInner struct {
	flags uint32
	names unsafe.Pointer // array of *uint16
}

// TestMarshalLayout lays out an object with every kind of piece and reads
// it back: strings (a character outside the BMP, invalid UTF-8), data,
// a nested struct and an array, in one block registered for
// PeerFreeData, with no byte left unwritten.
func TestMarshalLayout(t *testing.T) {
	name, other := "héllo 😀", "bad \xff utf-8"
	data := bytes.Repeat([]byte{0xAB}, 1000)
	names := []string{"a", "", "𝄞 clef"}
	fill := func(b *cbuf) unsafe.Pointer {
		o := (*testObject)(b.take(unsafe.Sizeof(testObject{})))
		o.name = b.wstr(name)
		o.other = b.optWstr(other)
		o.data = b.bytes(data)
		o.n = uint64(len(data))
		in := (*testInner)(b.take(unsafe.Sizeof(testInner{})))
		in.flags = 7
		arr := b.array(uintptr(len(names)) * 8)
		for i, s := range names {
			p := b.optWstr(s)
			if !b.measuring {
				unsafe.Slice((**uint16)(arr), len(names))[i] = p
			}
		}
		in.names = arr
		o.inner = in
		return unsafe.Pointer(o)
	}
	p, err := marshal(fill)
	if err != nil {
		t.Fatal(err)
	}
	defer freeData(p)
	o := (*testObject)(p)
	if got := wstring(o.name); got != name {
		t.Errorf("name %q, want %q", got, name)
	}
	if got := wstring(o.other); got != "bad \uFFFD utf-8" {
		t.Errorf("invalid UTF-8 became %q", got)
	}
	if !bytes.Equal(unsafe.Slice((*byte)(o.data), o.n), data) {
		t.Error("data differs")
	}
	if o.inner.flags != 7 {
		t.Errorf("inner flags %d", o.inner.flags)
	}
	got := unsafe.Slice((**uint16)(o.inner.names), len(names))
	if wstring(got[0]) != "a" || got[1] != nil || wstring(got[2]) != names[2] {
		t.Errorf("names %q %v %q", wstring(got[0]), got[1], wstring(got[2]))
	}
	if !allocs.Take(uintptr(p)) {
		t.Fatal("block not registered for PeerFreeData")
	}
	allocs.Add(uintptr(p)) // for the deferred free
}

// TestMarshalAllocations checks that laying out an INCOMING_DATA-like
// object allocates no Go memory.
func TestMarshalAllocations(t *testing.T) {
	data := make([]byte, 64<<10)
	fill := func(b *cbuf) unsafe.Pointer {
		o := (*testObject)(b.take(unsafe.Sizeof(testObject{})))
		o.data = b.bytes(data)
		o.n = uint64(len(data))
		return unsafe.Pointer(o)
	}
	if n := testing.AllocsPerRun(100, func() {
		p, err := marshal(fill)
		if err != nil {
			t.Fatal(err)
		}
		freeData(p)
	}); n != 0 {
		t.Errorf("%v allocations per object", n)
	}
}

// wstring reads a NUL-terminated UTF-16 string.
func wstring(p *uint16) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*uint16)(unsafe.Add(unsafe.Pointer(p), n*2)) != 0 {
		n++
	}
	return string(utf16.Decode(unsafe.Slice(p, n)))
}
