//go:build unix

package event

import (
	"encoding/binary"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"p2p/core/peererr"
)

// fdSignaler signals an application's eventfd, pipe or socket by writing
// the 8-byte integer 1 to it, the POSIX stand-in for a Win32 event HANDLE.
type fdSignaler struct {
	mu      sync.Mutex // one poll and write at a time on a pipe or socket, so the poll stays true
	fd      int
	eventfd bool // its counter never fills, so a write never blocks
}

// NewHandleSignaler returns the Signaler for an application-supplied
// HANDLE: on POSIX, a file descriptor that must be an eventfd, a pipe or a
// socket, so that a wrong value never has bytes written into a file.
func NewHandleSignaler(h uintptr) (Signaler, error) {
	if h == 0 || h > 1<<31-1 {
		return nil, fmt.Errorf("event handle %#x: %w", h, peererr.ErrInvalidArg)
	}
	fd := int(h)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("event handle %d: %v: %w", fd, err, peererr.ErrInvalidArg)
	}
	s := &fdSignaler{fd: fd}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK:
	default:
		if !isEventFD(fd, &st) {
			return nil, fmt.Errorf("event handle %d is not an eventfd, pipe or socket: %w", fd, peererr.ErrInvalidArg)
		}
		s.eventfd = true
	}
	return s, nil
}

// Signal writes 1 unless the descriptor is not writable at once (a full
// pipe already holds wake-ups), so the library never blocks on the
// application.
func (s *fdSignaler) Signal() error {
	one := [8]byte{}
	binary.NativeEndian.PutUint64(one[:], 1)
	if s.eventfd { // one write, whole or not at all: no poll, no lock
		_, err := unix.Write(s.fd, one[:])
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pfd := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLOUT}}
	n, err := unix.Poll(pfd, 0)
	if err != nil || n == 0 || pfd[0].Revents&unix.POLLOUT == 0 {
		return err
	}
	_, err = unix.Write(s.fd, one[:])
	return err
}
