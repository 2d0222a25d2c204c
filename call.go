package main

/*
#cgo CFLAGS: -I${SRCDIR}
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"unsafe"

	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/handles"
)

// How every exported function runs: guard (or call, for those that need
// PeerGroupStartup first) around a body that checks its arguments with
// an args, calls the core and marshals the results. A body returns an
// error, or a success code (peererr.SNoEventData...) as one.

// guard runs the body of one exported function: it turns a memory fault
// on a bad application pointer into E_POINTER and any other panic into
// E_UNEXPECTED, so nothing crosses into C, and maps the result to an
// HRESULT.
func guard(body func() error) (hr C.HRESULT) {
	prev := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(prev)
	defer func() {
		if p := recover(); p != nil {
			hr = C.HRESULT(int32(panicHR(p)))
		}
	}()
	return C.HRESULT(int32(hresult(body())))
}

// call is guard for functions that need PeerGroupStartup first: before
// it they fail with PEER_E_NOT_INITIALIZED.
func call(body func(svc *service.Service) error) C.HRESULT {
	return guard(func() error {
		svc, err := rt.service()
		if err != nil {
			return err
		}
		return body(svc)
	})
}

// hresult maps a body's result to its HRESULT, logging failures.
func hresult(err error) uint32 {
	if err == nil {
		return peererr.SOK
	}
	if c, ok := err.(*peererr.Code); ok && c.Success() {
		return c.HR // PEER_S_NO_EVENT_DATA on every drain: no errors.As
	}
	slog.Debug("call failed", "err", err)
	return peererr.HResult(err)
}

// panicHR classifies a recovered panic.
func panicHR(p any) uint32 {
	if e, ok := p.(error); ok {
		var re interface{ Addr() uintptr }
		if errors.As(e, &re) || strings.Contains(e.Error(), "invalid memory address") {
			slog.Debug("fault on application pointer", "err", e)
			return peererr.ErrPointer.HR
		}
	}
	slog.Error("panic in library call", "panic", p, "stack", string(debug.Stack()))
	return peererr.ErrUnexpected.HR
}

// Every pointer argument arrives as an integer (see P2P_NO_PROTOTYPES in
// p2p.h) and becomes a pointer only in args, after a check. No valid
// pointer lies in the first page, and the Go runtime treats a
// pointer-typed value there as memory corruption if it ever sees one on a
// stack, so such a value is refused with E_POINTER before any pointer
// variable holds it. A fault on any other bad pointer is caught by guard.

// minLegalPointer is the lowest address a valid pointer can have.
const minLegalPointer = 4096

// args checks and converts the arguments of one call, in the order the
// body asks, and keeps the first error: once an argument is found wrong,
// nothing more is read or written, and the body returns a.err before it
// does any work. One rule keeps the contract that pointers are checked
// before anything else: a first-page pointer gives E_POINTER even when an
// argument before it was already found wrong in another way.
type args struct {
	err    error
	badPtr bool // err is a first-page pointer
}

// fail records err unless an error is recorded already.
func (a *args) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

// ptr converts a pointer argument; 0 gives nil.
func ptr[T any](a *args, u uintptr) *T {
	if u != 0 && u < minLegalPointer {
		if !a.badPtr {
			a.err, a.badPtr = fmt.Errorf("pointer argument %#x: %w", u, peererr.ErrPointer), true
		}
		return nil
	}
	return (*T)(*(*unsafe.Pointer)(unsafe.Pointer(&u)))
}

// required converts a pointer argument that must not be NULL.
func required[T any](a *args, u uintptr, name string) *T {
	p := ptr[T](a, u)
	if p == nil && a.err == nil {
		a.fail(errNull(name))
	}
	return p
}

// out converts a required out parameter and clears it, so that a bad out
// pointer faults before any work is done and a failed call leaves zero.
func out[T any](a *args, u uintptr, name string) *T {
	p := required[T](a, u, name)
	clearOut(a, p)
	return p
}

// clearOut zeroes an out parameter converted by required or ptr, unless
// an argument was wrong or p is nil.
func clearOut[T any](a *args, p *T) {
	if a.err == nil && p != nil {
		var zero T
		*p = zero
	}
}

// errNull is the error of a required pointer argument that is NULL.
func errNull(what string) error { return fmt.Errorf("%s is NULL: %w", what, peererr.ErrInvalidArg) }

// str reads a required string argument of at most max UTF-16 units.
func (a *args) str(u uintptr, max int) string {
	p := ptr[uint16](a, u)
	if a.err != nil {
		return ""
	}
	s, err := goString(p, max)
	a.fail(err)
	return s
}

// optStr reads an optional string argument: NULL is "".
func (a *args) optStr(u uintptr, max int) string {
	p := ptr[uint16](a, u)
	if a.err != nil {
		return ""
	}
	s, err := optString(p, max)
	a.fail(err)
	return s
}

// group resolves an HGROUP.
func (a *args) group(h uintptr) *service.Group {
	if a.err != nil {
		return nil
	}
	v, err := table.Get(uint64(h), handles.Group)
	if err != nil {
		a.fail(err)
		return nil
	}
	return v.(*service.Group)
}

// openGroup resolves an HGROUP whose group is still open (not deleted
// under the handle).
func (a *args) openGroup(h uintptr) *service.Group {
	g := a.group(h)
	if g != nil && g.Closed() {
		a.fail(peererr.ErrInvalidGroup)
		return nil
	}
	return g
}

// event resolves an HPEEREVENT; an unknown one is
// PEER_E_EVENT_HANDLE_NOT_FOUND, as the API documents.
func (a *args) event(h uintptr) *service.Registration {
	if a.err != nil {
		return nil
	}
	v, err := table.Get(uint64(h), handles.Event)
	if err != nil {
		a.fail(fmt.Errorf("event handle: %w", peererr.ErrEventHandleNotFound))
		return nil
	}
	return v.(*service.Registration)
}

// returnString lays out s as one block for PeerFreeData into *out, unless
// err (of the call that gave s) is not nil.
func returnString(out *unsafe.Pointer, s string, err error) error {
	if err != nil {
		return err
	}
	return returnBlock(out, func(b *cbuf) unsafe.Pointer { return unsafe.Pointer(b.wstr(s)) })
}

// returnBlock lays out one object with fill (cbuf) into *out.
func returnBlock(out *unsafe.Pointer, fill func(b *cbuf) unsafe.Pointer) error {
	p, err := marshal(fill)
	if err != nil {
		return err
	}
	*out = p
	return nil
}

// returnHandle registers v in the handle table and stores its handle into
// *out; undo releases v if that fails.
func returnHandle(out *uintptr, kind handles.Kind, v any, undo func()) error {
	h, err := table.New(kind, v)
	if err != nil {
		undo()
		return err
	}
	*out = uintptr(h)
	return nil
}
