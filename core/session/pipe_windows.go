package session

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unsafe"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// pipeListener accepts connections on a named pipe with the classic server
// loop: one instance of the pipe always waits for the next client
// (CreateNamedPipe, then ConnectNamedPipe), and a connected instance is
// replaced by a fresh one before it is handed out, so the name never
// lapses while the listener is open. (go-winio's listener keeps a first
// instance that never serves; Wine 8 connects clients to it.) Connected
// handles do their I/O through go-winio, which gives them deadlines.
type pipeListener struct {
	name *uint16
	addr pipeAddr
	sa   *windows.SecurityAttributes

	// mu guards next and closed. Accept starts its ConnectNamedPipe under
	// mu, so Close never closes the handle under a call that is about to
	// start; the wait itself happens outside it.
	mu     sync.Mutex
	next   windows.Handle // the instance waiting for a client
	closed bool
}

var _ net.Listener = (*pipeListener)(nil)

// listenPipe creates the first instance of the pipe name with security
// descriptor sd. FILE_FLAG_FIRST_PIPE_INSTANCE makes it fail if the name
// exists, so nobody can hold the name before the host.
func listenPipe(name string, sd *windows.SECURITY_DESCRIPTOR) (*pipeListener, error) {
	n16, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	l := &pipeListener{name: n16, addr: pipeAddr(name),
		sa: &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}}
	if l.next, err = l.instance(true); err != nil {
		return nil, fmt.Errorf("create pipe %s: %w", name, err)
	}
	return l, nil
}

// instance creates one instance of the pipe: byte mode, overlapped I/O,
// local clients only.
func (l *pipeListener) instance(first bool) (windows.Handle, error) {
	mode := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		mode |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	return windows.CreateNamedPipe(l.name, mode,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		windows.PIPE_UNLIMITED_INSTANCES, 64<<10, 64<<10, 0, l.sa)
}

// Accept waits for a client on the waiting instance, puts a fresh
// instance in its place and returns the connected one.
func (l *pipeListener) Accept() (net.Conn, error) {
	for {
		h, err := l.connect()
		if errors.Is(err, windows.ERROR_NO_DATA) {
			continue // the client came and went: the instance was replaced
		}
		if err != nil {
			return nil, err
		}
		f, err := winio.NewOpenFile(h)
		if err != nil {
			windows.CloseHandle(h)
			return nil, err
		}
		return &pipeConn{f: f, addr: l.addr}, nil
	}
}

// connect waits for a client on l.next and replaces it; it returns the
// connected handle.
func (l *pipeListener) connect() (windows.Handle, error) {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return 0, err
	}
	defer windows.CloseHandle(ev)
	ov := &windows.Overlapped{HEvent: ev}

	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, net.ErrClosed
	}
	h := l.next
	err = windows.ConnectNamedPipe(h, ov)
	l.mu.Unlock()

	switch {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
	case errors.Is(err, windows.ERROR_IO_PENDING):
		// Close aborts the wait by closing h, which ends the call.
		if _, err := windows.WaitForSingleObject(ev, windows.INFINITE); err != nil {
			return 0, err
		}
		var n uint32
		err = windows.GetOverlappedResult(h, ov, &n, false)
		if err != nil {
			return 0, l.failed(h, err)
		}
	default:
		return 0, l.failed(h, err)
	}

	next, err := l.instance(false)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		if err == nil {
			windows.CloseHandle(next)
		}
		windows.CloseHandle(h)
		return 0, net.ErrClosed
	}
	if err != nil {
		return 0, fmt.Errorf("create the next pipe instance: %w", err)
	}
	l.next = next
	return h, nil
}

// failed handles a ConnectNamedPipe that ended without a client: after
// Close it reports the listener closed; otherwise the instance is
// replaced and err returned.
func (l *pipeListener) failed(h windows.Handle, err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return net.ErrClosed
	}
	next, cerr := l.instance(false)
	if cerr != nil {
		return fmt.Errorf("create the next pipe instance: %w", cerr)
	}
	windows.CloseHandle(h)
	l.next = next
	return err
}

// Close stops accepting: the waiting instance is closed, which ends a
// pending Accept.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	windows.CancelIoEx(l.next, nil)
	err := windows.CloseHandle(l.next)
	l.next = 0
	return err
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

// pipeConn is one end of a connected pipe.
type pipeConn struct {
	f    io.ReadWriteCloser // go-winio's overlapped file, with deadlines
	addr pipeAddr
}

type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	Fd() uintptr
}

var _ net.Conn = (*pipeConn)(nil)

func (c *pipeConn) Read(b []byte) (int, error)  { return c.f.Read(b) }
func (c *pipeConn) Write(b []byte) (int, error) { return c.f.Write(b) }
func (c *pipeConn) Close() error                { return c.f.Close() }
func (c *pipeConn) LocalAddr() net.Addr         { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr        { return c.addr }
func (c *pipeConn) Fd() uintptr                 { return c.f.(deadliner).Fd() }
func (c *pipeConn) SetReadDeadline(t time.Time) error {
	return c.f.(deadliner).SetReadDeadline(t)
}
func (c *pipeConn) SetWriteDeadline(t time.Time) error {
	return c.f.(deadliner).SetWriteDeadline(t)
}
func (c *pipeConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// pipeAddr is a pipe's name as a net.Addr.
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }
