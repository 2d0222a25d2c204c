package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
)

// floodStats counts what happened to the flood's connections.
type floodStats struct {
	idleOpened, idleBusy, idleTimedOut, idleOther, idleDialFailed atomic.Int64
	hangingStarted                                                atomic.Int64
}

// flood keeps n QUIC connections open that never open a stream (so never
// send a Hello) and n more whose TLS handshake never finishes (after the
// member's first answer the client goes silent), re-opening each as soon
// as it ends, for duration or until stdin closes. It prints "flooding"
// once started and the totals at the end.
func flood(ctx context.Context, d *dialer, addr string, n int, duration time.Duration) error {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	go func() {
		// Stop early when the test closes stdin.
		bufio.NewReader(os.Stdin).ReadString(0)
		cancel()
	}()
	var st floodStats
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			idleWorker(ctx, d, addr, &st)
		}()
		go func() {
			defer wg.Done()
			hangingWorker(ctx, d, ua, &st)
		}()
	}
	fmt.Println("flooding")
	wg.Wait()
	fmt.Printf("flood idle-opened=%d idle-busy=%d idle-timed-out=%d idle-other=%d idle-dial-failed=%d hanging=%d\n",
		st.idleOpened.Load(), st.idleBusy.Load(), st.idleTimedOut.Load(), st.idleOther.Load(),
		st.idleDialFailed.Load(), st.hangingStarted.Load())
	return nil
}

// idleWorker keeps one connection open that never sends anything.
func idleWorker(ctx context.Context, d *dialer, addr string, st *floodStats) {
	for ctx.Err() == nil {
		conn, err := d.dial(ctx, addr)
		if err != nil {
			st.idleDialFailed.Add(1)
			pause(ctx, 200*time.Millisecond)
			continue
		}
		st.idleOpened.Add(1)
		select {
		case <-ctx.Done():
			conn.CloseWithError(0, "")
			return
		case <-conn.Context().Done():
		}
		var ae *quic.ApplicationError
		var idle *quic.IdleTimeoutError
		cause := context.Cause(conn.Context())
		switch {
		case errors.As(cause, &ae) && ae.Remote && ae.ErrorCode == 1: // core/mesh codeBusy
			st.idleBusy.Add(1)
			pause(ctx, 100*time.Millisecond) // a flood of connections, not of CPU
		case errors.As(cause, &ae) && ae.Remote, errors.As(cause, &idle):
			st.idleTimedOut.Add(1)
		default:
			st.idleOther.Add(1)
		}
	}
}

// hangingWorker starts TLS handshakes that never finish: each on its own
// socket that lets the client's first flight out and drops everything
// after the member's first answer, abandoned after 3 s.
func hangingWorker(ctx context.Context, d *dialer, addr *net.UDPAddr, st *floodStats) {
	for ctx.Err() == nil {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: d.udp.LocalAddr().(*net.UDPAddr).IP})
		if err != nil {
			pause(ctx, 200*time.Millisecond)
			continue
		}
		tr := &quic.Transport{Conn: &mute{c: udp}}
		st.hangingStarted.Add(1)
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if conn, err := tr.Dial(dctx, addr, tlsConfig(d.id.TLSCertificate()), quicConfig()); err == nil {
			conn.CloseWithError(0, "") // it should not finish; if it did, let go
		}
		cancel()
		tr.Close()
		udp.Close()
	}
}

// mute is a socket that falls silent once it has received a datagram:
// the client sends its first flight, never its Finished. It hides the
// UDP socket's other methods so quic-go goes through ReadFrom/WriteTo.
type mute struct {
	c     *net.UDPConn
	heard atomic.Bool
}

func (m *mute) ReadFrom(b []byte) (int, net.Addr, error) {
	n, a, err := m.c.ReadFrom(b)
	if err == nil {
		m.heard.Store(true)
	}
	return n, a, err
}

func (m *mute) WriteTo(b []byte, a net.Addr) (int, error) {
	if m.heard.Load() {
		return len(b), nil
	}
	return m.c.WriteTo(b, a)
}

func (m *mute) Close() error                       { return m.c.Close() }
func (m *mute) LocalAddr() net.Addr                { return m.c.LocalAddr() }
func (m *mute) SetDeadline(t time.Time) error      { return m.c.SetDeadline(t) }
func (m *mute) SetReadDeadline(t time.Time) error  { return m.c.SetReadDeadline(t) }
func (m *mute) SetWriteDeadline(t time.Time) error { return m.c.SetWriteDeadline(t) }

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
