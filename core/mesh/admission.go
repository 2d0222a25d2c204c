package mesh

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
)

// Admission bounds what strangers can make a member hold. Two stages are
// counted: QUIC handshakes in progress (state quic-go keeps for every
// first packet that parses, even from a forged address), and
// authenticated connections that have not yet shown a credential.
//
//   - Once more than retryAbove QUIC handshakes are pending, new clients
//     must first prove their address with a stateless Retry, so forged
//     sources cost nothing.
//   - No more than maxHandshakes are pending at once, and no more than
//     maxHandshakesPerAddr from one proven address; beyond that, refused.
//     (Unproven addresses are bounded by the Retry threshold instead, so
//     packets forged with a victim's address cannot lock the victim out.)
//   - After TLS, at most maxPendingHandshake connections may wait for
//     their Hello, maxPendingPerAddr of them from one address.
const (
	retryAbove           = 16
	maxHandshakes        = 256
	maxHandshakesPerAddr = 16
	maxPendingPerAddr    = 4
)

var errTooManyHandshakes = errors.New("too many handshakes in progress")

// admission counts pending work per source address.
type admission struct {
	mu     sync.Mutex
	quic   int
	quicBy map[netip.Addr]int
	hello  map[netip.Addr]int
}

func newAdmission() *admission {
	return &admission{quicBy: make(map[netip.Addr]int), hello: make(map[netip.Addr]int)}
}

func addrOf(a net.Addr) netip.Addr {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// needRetry is the transport's VerifySourceAddress: ask for a Retry once
// handshakes pile up.
func (a *admission) needRetry(net.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.quic > retryAbove
}

type pendingKey struct{}

// pending is one counted QUIC handshake; it is released when the
// connection is accepted or when the handshake must have timed out.
type pending struct {
	a        *admission
	addr     netip.Addr
	verified bool
	once     sync.Once
}

func (p *pending) release() {
	p.once.Do(func() {
		p.a.mu.Lock()
		defer p.a.mu.Unlock()
		p.a.quic--
		if !p.verified {
			return
		}
		if p.a.quicBy[p.addr]--; p.a.quicBy[p.addr] <= 0 {
			delete(p.a.quicBy, p.addr)
		}
	})
}

// connContext is the transport's ConnContext: it admits or refuses a new
// server-side connection before any handshake work.
func (a *admission) connContext(ctx context.Context, info *quic.ClientInfo) (context.Context, error) {
	addr := addrOf(info.RemoteAddr)
	a.mu.Lock()
	if a.quic >= maxHandshakes || info.AddrVerified && a.quicBy[addr] >= maxHandshakesPerAddr {
		a.mu.Unlock()
		return nil, errTooManyHandshakes
	}
	a.quic++
	if info.AddrVerified {
		a.quicBy[addr]++
	}
	a.mu.Unlock()
	p := &pending{a: a, addr: addr, verified: info.AddrVerified}
	time.AfterFunc(handshakeTimeout+time.Second, p.release)
	return context.WithValue(ctx, pendingKey{}, p), nil
}

// accepted releases the QUIC handshake count of an accepted connection.
func accepted(conn *quic.Conn) {
	if p, ok := conn.Context().Value(pendingKey{}).(*pending); ok {
		p.release()
	}
}

// awaitHello admits an authenticated connection to wait for its Hello,
// or refuses it; release ends the wait.
func (a *admission) awaitHello(addr netip.Addr) (release func(), ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hello[addr] >= maxPendingPerAddr {
		return nil, false
	}
	a.hello[addr]++
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.hello[addr]--; a.hello[addr] <= 0 {
			delete(a.hello, addr)
		}
	}, true
}
