package event

import (
	"fmt"

	"golang.org/x/sys/windows"

	"p2p/core/peererr"
)

// winSignaler signals a Win32 event object with SetEvent. It holds its own
// duplicate of the application's handle, so a handle the application
// closes early cannot be reused under it.
type winSignaler struct{ h windows.Handle }

// NewHandleSignaler returns the Signaler for an application-supplied
// HANDLE: a Win32 event object. Duplicating it checks that it is an open
// handle without touching its state, so a bad one is refused here.
func NewHandleSignaler(h uintptr) (Signaler, error) {
	if h == 0 || windows.Handle(h) == windows.InvalidHandle {
		return nil, fmt.Errorf("event handle %#x: %w", h, peererr.ErrInvalidArg)
	}
	self := windows.CurrentProcess()
	var dup windows.Handle
	if err := windows.DuplicateHandle(self, windows.Handle(h), self, &dup, 0, false, windows.DUPLICATE_SAME_ACCESS); err != nil {
		return nil, fmt.Errorf("event handle %#x: %v: %w", h, err, peererr.ErrInvalidArg)
	}
	return &winSignaler{h: dup}, nil
}

// Signal sets the event.
func (s *winSignaler) Signal() error { return windows.SetEvent(s.h) }

// Close releases the duplicate handle.
func (s *winSignaler) Close() error { return windows.CloseHandle(s.h) }
