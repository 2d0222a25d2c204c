package main

import (
	"fmt"
	"unsafe"

	"p2p/core/peererr"
)

// Every pointer argument arrives as an integer (see P2P_NO_PROTOTYPES in
// p2p.h) and becomes a pointer only here, after a check. No valid pointer
// lies in the first page, and the Go runtime treats a pointer-typed value
// there as memory corruption if it ever sees one on a stack, so such a
// value is refused with E_POINTER before any pointer variable holds it.
// A fault on any other bad pointer is caught by guard.

// minLegalPointer is the lowest address a valid pointer can have.
const minLegalPointer = 4096

// ptrArgs collects the first bad pointer argument of a call.
type ptrArgs struct{ err error }

// argPtr converts a pointer argument; 0 gives nil.
func argPtr[T any](a *ptrArgs, u uintptr) *T {
	if u != 0 && u < minLegalPointer {
		if a.err == nil {
			a.err = fmt.Errorf("pointer argument %#x: %w", u, peererr.ErrPointer)
		}
		return nil
	}
	return (*T)(*(*unsafe.Pointer)(unsafe.Pointer(&u)))
}
