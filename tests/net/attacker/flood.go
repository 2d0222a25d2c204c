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
	hangingStarted, hangingRefused                                atomic.Int64
	saturated                                                     atomic.Bool
}

// flood keeps n QUIC connections open that never open a stream (so never
// send a Hello), re-opening each as soon as the member drops it, and
// starts rate TLS handshakes a second that never finish (the client goes
// silent once the member answered, so the member waits for a Finished
// that never comes), for duration or until stdin closes. It prints
// "flooding" once started, "saturated" when the member first turns a
// connection away as busy, and the totals at the end.
func flood(ctx context.Context, d *dialer, addr string, n, rate int, duration time.Duration) error {
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			idleWorker(ctx, d, addr, &st)
		}()
	}
	if rate > 0 {
		tokens := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(time.Second / time.Duration(rate))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					select {
					case tokens <- struct{}{}:
					default: // every worker busy: this tick is lost
					}
				}
			}
		}()
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hangingWorker(ctx, d, ua, tokens, &st)
			}()
		}
	}
	fmt.Println("flooding")
	wg.Wait()
	fmt.Printf("flood idle-opened=%d idle-busy=%d idle-timed-out=%d idle-other=%d idle-dial-failed=%d hanging=%d hanging-refused=%d\n",
		st.idleOpened.Load(), st.idleBusy.Load(), st.idleTimedOut.Load(), st.idleOther.Load(),
		st.idleDialFailed.Load(), st.hangingStarted.Load(), st.hangingRefused.Load())
	return nil
}

// turnedAway prints "saturated" the first time the member turns one of
// the flood's connections away (busy, or refused at the QUIC handshake):
// the flood takes all the member gives it.
func (st *floodStats) turnedAway() {
	if st.saturated.CompareAndSwap(false, true) {
		fmt.Println("saturated")
	}
}

// idleWorker keeps one connection open that never sends anything.
func idleWorker(ctx context.Context, d *dialer, addr string, st *floodStats) {
	for ctx.Err() == nil {
		conn, err := d.dial(ctx, addr)
		if err != nil {
			st.idleDialFailed.Add(1)
			st.turnedAway()
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
			st.turnedAway()
			pause(ctx, 500*time.Millisecond) // a flood of connections, not of CPU
		case errors.As(cause, &ae) && ae.Remote, errors.As(cause, &idle):
			st.idleTimedOut.Add(1)
		default:
			st.idleOther.Add(1)
		}
	}
}

// hangingWorker starts a TLS handshake for each token, on a socket of its
// own that lets the client's first flight out and drops everything after
// the member's first answer: the client sees the handshake through, the
// member never gets its Finished and holds the half-open connection until
// its handshake timeout.
func hangingWorker(ctx context.Context, d *dialer, addr *net.UDPAddr, tokens <-chan struct{}, st *floodStats) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tokens:
		}
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: d.udp.LocalAddr().(*net.UDPAddr).IP})
		if err != nil {
			continue
		}
		tr := &quic.Transport{Conn: &mute{c: udp}}
		st.hangingStarted.Add(1)
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		conn, err := tr.Dial(dctx, addr, tlsConfig(d.id.TLSCertificate()), quicConfig())
		if err == nil {
			conn.CloseWithError(0, "") // dropped by mute: the member never hears of it
		} else if dctx.Err() == nil {
			st.hangingRefused.Add(1) // the member said no
		}
		cancel()
		tr.Close()
		udp.Close()
	}
}

// mute is a socket that falls silent once the member has answered the
// client's first flight (a Retry aside): the client never sends its
// Finished. It hides the
// UDP socket's other methods so quic-go goes through ReadFrom/WriteTo.
type mute struct {
	c     *net.UDPConn
	heard atomic.Bool
}

func (m *mute) ReadFrom(b []byte) (int, net.Addr, error) {
	n, a, err := m.c.ReadFrom(b)
	// A Retry (long header, type 3) only asks the client to prove its
	// address: follow it, fall silent after the member's real answer.
	if err == nil && n > 0 && (b[0]&0x80 == 0 || b[0]&0x30 != 0x30) {
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
