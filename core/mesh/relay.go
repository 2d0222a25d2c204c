package mesh

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/peererr"
	"p2p/core/wire"
)

// Relaying, when no punch finds a path (both sides port-randomising, or
// UDP blocked one way): a member connected to both sides (the relay)
// opens a UDP port for the session and forwards datagrams between the
// two addresses bound to it, TURN-like:
//
//	origin -> relay       Relay Request (target's peer name)
//	relay -> target       Relay Offer: port, token
//	target -> relay port  Bind packets (MAC under the token) until BindAck; the relay learns its address
//	relay -> origin       Relay Ready: port, token
//	origin -> relay port  Bind packets until BindAck, then an ordinary QUIC connection to that port
//
// The QUIC connection between origin and target runs through the relay
// port on both sides' own sockets and is authenticated end to end like
// any other (identity certificates, credential chains): the relay sees
// ciphertext only, and a packet it changes or replays is dropped by QUIC.
// A relay bounds its sessions (at once, per member, bytes per second,
// duration) and can refuse to relay at all (RelayOptions.Off).

// RelayOptions bound what a member relays for others. The zero value is
// the default.
type RelayOptions struct {
	// Off refuses every relay request.
	Off bool
	// MaxSessions bounds the sessions relayed at once (default 16).
	MaxSessions int
	// PerMember bounds the sessions one member may have relayed at once
	// (default 4).
	PerMember int
	// Rate bounds the bytes per second forwarded in each direction of a
	// session; datagrams beyond it are dropped (default 64 MiB/s).
	Rate int64
	// MaxDuration ends a session after this long (default 1 hour); its
	// two sides then punch again or ask for another relay.
	MaxDuration time.Duration
}

func (o RelayOptions) withDefaults() RelayOptions {
	if o.MaxSessions <= 0 {
		o.MaxSessions = 16
	}
	if o.PerMember <= 0 {
		o.PerMember = 4
	}
	if o.Rate <= 0 {
		o.Rate = 64 << 20
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = time.Hour
	}
	return o
}

const (
	relaySetupTimeout = 6 * time.Second  // from request to Ready
	relayIdle         = 30 * time.Second // a session without datagrams ends
	bindEvery         = 100 * time.Millisecond
	bindTries         = 30
	maxRelayInbound   = 32 // relay sessions offered to this node at once
	relayCheckEvery   = 5 * time.Second
	relayReadBuffer   = 4 << 20
)

// relayedQUICConfig is the configuration of QUIC connections through a
// relay: a dead relay is noticed within seconds, not after the usual
// idle timeout.
func relayedQUICConfig() *quic.Config {
	c := quicConfig()
	c.MaxIdleTimeout = 10 * time.Second
	c.KeepAlivePeriod = 3 * time.Second
	return c
}

func sendRelay(nb *neighbor, m *wire.Relay) bool { return nb.enqueue(wire.TRelay, m.Encode(), false) }

// relayMessage handles a Relay from a neighbour, in whichever role this
// node has in its session.
func (n *Node) relayMessage(nb *neighbor, m *wire.Relay) {
	switch m.Kind {
	case wire.RelayRequest:
		n.relayRequest(nb, m)
	case wire.RelayOffer:
		n.relayOffer(nb, m)
	case wire.RelayReady:
		n.relayAnswer(nb, m)
	case wire.RelayRefuse:
		if s := n.relaySessionOf(m.Session); s != nil && s.target == nb {
			s.close(fmt.Errorf("target refused: %w", peererr.FromHR(m.HR)), m.HR)
			return
		}
		n.relayAnswer(nb, m)
	case wire.RelayClose:
		if s := n.relaySessionOf(m.Session); s != nil && (s.origin == nb || s.target == nb) {
			s.close(nil, 0)
			return
		}
		n.relayEnded(nb, m.Session)
	}
}

// ---- the relay ----

// relaySession is a session this node relays.
type relaySession struct {
	n              *Node
	id             uint64
	token          [16]byte
	origin, target *neighbor
	conn           *net.UDPConn
	port           uint16
	started        time.Time

	mu    sync.Mutex        // guards the fields below
	addrs [2]netip.AddrPort // bound addresses: origin, target
	ready bool              // Ready sent to the origin

	forwarded atomic.Int64 // bytes
	dropped   atomic.Int64 // datagrams over the rate
	closeOnce sync.Once
}

func (n *Node) relaySessionOf(id uint64) *relaySession {
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	return n.nat.relays[id]
}

// relayRequest sets up a session for a neighbour that asks to be relayed
// to another member, or refuses.
func (n *Node) relayRequest(from *neighbor, m *wire.Relay) {
	refuse := func(code *peererr.Code, why string) {
		n.log.Debug("relay refused", "origin", from.peer, "target", m.Peer, "why", why)
		sendRelay(from, &wire.Relay{Kind: wire.RelayRefuse, Session: m.Session, Peer: m.Peer, HR: code.HR})
	}
	opts := n.opts.Relay
	switch {
	case opts.Off:
		refuse(peererr.ErrConnectionRefused, "relaying is off")
		return
	case !n.nat.limits.allow("relay " + from.peer):
		refuse(peererr.ErrConnectionRefused, "too many requests")
		return
	case m.Peer == from.peer || m.Peer == n.e.Identity().PeerName:
		refuse(peererr.ErrConnectionRefused, "bad target")
		return
	case !n.e.IsMember(m.Peer):
		refuse(peererr.ErrNotAuthorized, "target is not a member")
		return
	}
	to := n.natNeighbor(m.Peer)
	if to == nil {
		refuse(peererr.ErrConnectionFailed, "not connected to the target")
		return
	}
	n.nat.mu.Lock()
	total, mine := len(n.nat.relays), 0
	for _, s := range n.nat.relays {
		if s.origin.peer == from.peer {
			mine++
		}
	}
	dup := n.nat.relays[m.Session] != nil
	n.nat.mu.Unlock()
	if total >= opts.MaxSessions || mine >= opts.PerMember || dup {
		refuse(peererr.ErrConnectionRefused, "relay sessions exhausted")
		return
	}
	la, _ := n.udp.LocalAddr().(*net.UDPAddr)
	laddr := &net.UDPAddr{}
	if la != nil {
		laddr.IP = la.IP
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		refuse(peererr.ErrConnectionFailed, err.Error())
		return
	}
	conn.SetReadBuffer(relayReadBuffer)
	s := &relaySession{n: n, id: m.Session, token: randomToken(), origin: from, target: to, conn: conn,
		port: uint16(conn.LocalAddr().(*net.UDPAddr).Port), started: time.Now()}
	n.nat.mu.Lock()
	if len(n.nat.relays) >= opts.MaxSessions || n.nat.relays[s.id] != nil {
		n.nat.mu.Unlock()
		conn.Close()
		refuse(peererr.ErrConnectionRefused, "relay sessions exhausted")
		return
	}
	n.nat.relays[s.id] = s
	n.nat.mu.Unlock()
	n.log.Info("relaying", "origin", from.peer, "target", to.peer, "port", s.port, "session", s.id)
	n.run(s.forward)
	if !sendRelay(to, &wire.Relay{Kind: wire.RelayOffer, Session: s.id, Peer: from.peer, Port: s.port, Token: s.token}) {
		s.close(fmt.Errorf("target gone: %w", peererr.ErrConnectionFailed), peererr.ErrConnectionFailed.HR)
		return
	}
	n.run(func() {
		select {
		case <-time.After(relaySetupTimeout):
		case <-n.ctx.Done():
			return // closeRelays ends every session
		}
		s.mu.Lock()
		ready := s.ready
		s.mu.Unlock()
		if !ready {
			s.close(fmt.Errorf("target did not bind: %w", peererr.ErrConnectionFailed), peererr.ErrConnectionFailed.HR)
		}
	})
}

// closeRelays ends every session this node relays (the node is closing).
func (n *Node) closeRelays() {
	n.nat.mu.Lock()
	sessions := make([]*relaySession, 0, len(n.nat.relays))
	for _, s := range n.nat.relays {
		sessions = append(sessions, s)
	}
	n.nat.mu.Unlock()
	for _, s := range sessions {
		s.close(nil, 0)
	}
}

// tokenBucket bounds bytes per second; it is used by one goroutine.
type tokenBucket struct {
	rate, burst, tokens float64
	at                  time.Time
}

func newTokenBucket(rate int64) *tokenBucket {
	burst := max(float64(rate)/10, 256<<10)
	return &tokenBucket{rate: float64(rate), burst: burst, tokens: burst, at: time.Now()}
}

func (b *tokenBucket) take(n int, now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	b.at = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// forward moves datagrams between the two bound addresses until the
// session is idle, too old or closed; Bind packets (re)bind a side.
func (s *relaySession) forward() {
	defer s.close(nil, 0)
	buckets := [2]*tokenBucket{newTokenBucket(s.n.opts.Relay.Rate), newTokenBucket(s.n.opts.Relay.Rate)}
	end := s.started.Add(s.n.opts.Relay.MaxDuration)
	buf := make([]byte, 2048)
	var addrs [2]netip.AddrPort
	for {
		now := time.Now()
		if !now.Before(end) {
			s.n.log.Info("relay session reached its maximum duration", "session", s.id)
			return
		}
		deadline := now.Add(relayIdle)
		if end.Before(deadline) {
			deadline = end
		}
		s.conn.SetReadDeadline(deadline)
		k, src, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if k == wire.PacketSize && buf[0] == wire.PacketBind {
			if p, ok := wire.ParsePacket(buf[:k]); ok && p.Valid(s.token) && (p.Role == wire.RoleOrigin || p.Role == wire.RoleTarget) {
				addrs = s.bind(p.Role, src)
				ack := wire.NewPacket(s.token, wire.PacketBindAck, s.id, p.Role)
				var b [wire.PacketSize]byte
				s.conn.WriteToUDPAddrPort(ack.Append(b[:0]), src)
				continue
			}
		}
		var dir int
		switch src {
		case addrs[0]:
			dir = 0
		case addrs[1]:
			dir = 1
		default:
			continue // not bound: dropped
		}
		dst := addrs[1-dir]
		if !dst.IsValid() {
			continue
		}
		if !buckets[dir].take(k, now) {
			s.dropped.Add(1)
			continue
		}
		if _, err := s.conn.WriteToUDPAddrPort(buf[:k], dst); err == nil {
			s.forwarded.Add(int64(k))
		}
	}
}

// bind records the address of one side; the target's first bind makes
// the session ready for the origin.
func (s *relaySession) bind(role byte, a netip.AddrPort) [2]netip.AddrPort {
	s.mu.Lock()
	s.addrs[role-1] = a
	addrs := s.addrs
	tell := role == wire.RoleTarget && !s.ready
	if tell {
		s.ready = true
	}
	s.mu.Unlock()
	if tell {
		sendRelay(s.origin, &wire.Relay{Kind: wire.RelayReady, Session: s.id, Peer: s.target.peer, Port: s.port, Token: s.token})
	}
	return addrs
}

// close ends the session once; err (with its HRESULT) is why the origin
// never got it going, nil for an ordinary end.
func (s *relaySession) close(err error, hr uint32) {
	s.closeOnce.Do(func() {
		s.conn.Close()
		n := s.n
		n.nat.mu.Lock()
		if n.nat.relays[s.id] == s {
			delete(n.nat.relays, s.id)
		}
		n.nat.mu.Unlock()
		s.mu.Lock()
		ready := s.ready
		s.mu.Unlock()
		if err != nil && !ready {
			sendRelay(s.origin, &wire.Relay{Kind: wire.RelayRefuse, Session: s.id, Peer: s.target.peer, HR: hr})
		} else {
			sendRelay(s.origin, &wire.Relay{Kind: wire.RelayClose, Session: s.id})
		}
		sendRelay(s.target, &wire.Relay{Kind: wire.RelayClose, Session: s.id})
		n.log.Info("relay session ended", "session", s.id, "bytes", s.forwarded.Load(), "dropped", s.dropped.Load(), "err", err)
	})
}

// ---- the two sides ----

// relayEnd is this node's side of a relayed session.
type relayEnd struct {
	relay *neighbor
	addr  netip.AddrPort // the relay port
}

// bindWaiter is a bind waiting for its ack.
type bindWaiter struct {
	token [16]byte
	addr  netip.AddrPort
	acked chan struct{}
	once  sync.Once
}

// bind binds this node's address to its side of a relay session,
// retrying until the relay acknowledges.
func (n *Node) bind(ctx context.Context, addr netip.AddrPort, token [16]byte, session uint64, role byte) error {
	w := &bindWaiter{token: token, addr: addr, acked: make(chan struct{})}
	n.nat.mu.Lock()
	n.nat.binds[session] = w
	n.nat.mu.Unlock()
	defer func() {
		n.nat.mu.Lock()
		if n.nat.binds[session] == w {
			delete(n.nat.binds, session)
		}
		n.nat.mu.Unlock()
	}()
	p := wire.NewPacket(token, wire.PacketBind, session, role)
	for range bindTries {
		n.sendPacket(addr, p)
		select {
		case <-w.acked:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(bindEvery):
		}
	}
	return fmt.Errorf("no bind acknowledgement from relay port %s: %w", addr, peererr.ErrConnectionFailed)
}

// bindAcked handles a BindAck from a relay port.
func (n *Node) bindAcked(p wire.Packet, src netip.AddrPort) {
	n.nat.mu.Lock()
	w := n.nat.binds[p.Session]
	n.nat.mu.Unlock()
	if w != nil && w.addr == src && p.Valid(w.token) {
		w.once.Do(func() { close(w.acked) })
	}
}

// addRelayEnd records this node's side of a session; the relay port's
// links count as relayed from now on.
func (n *Node) addRelayEnd(session uint64, e relayEnd) {
	n.nat.mu.Lock()
	n.nat.ends[session] = e
	n.nat.relayAddrs[e.addr] = e.relay.peer
	n.nat.mu.Unlock()
}

func (n *Node) removeRelayEnd(session uint64) {
	n.nat.mu.Lock()
	if e, ok := n.nat.ends[session]; ok {
		delete(n.nat.ends, session)
		delete(n.nat.relayAddrs, e.addr)
	}
	n.nat.mu.Unlock()
}

// relayAnswer delivers Ready or Refuse to the request waiting for it.
func (n *Node) relayAnswer(from *neighbor, m *wire.Relay) {
	n.nat.mu.Lock()
	ch := n.nat.asks[m.Session]
	n.nat.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- &relayAnswer{from: from, m: m}:
	default:
	}
}

type relayAnswer struct {
	from *neighbor
	m    *wire.Relay
}

// relayEnded closes the link through a session its relay ended.
func (n *Node) relayEnded(from *neighbor, session uint64) {
	n.nat.mu.Lock()
	e, ok := n.nat.ends[session]
	n.nat.mu.Unlock()
	if !ok || e.relay != from {
		return
	}
	if nb := n.linkAt(e.addr); nb != nil {
		nb.conn.CloseWithError(codeClosed, "relay session ended")
	}
}

// relayOffer answers a relay's offer of a session from another member:
// this node binds to the relay port and then accepts the origin's QUIC
// connection through it like any other.
func (n *Node) relayOffer(relay *neighbor, m *wire.Relay) {
	refuse := func(code *peererr.Code, why string) {
		n.log.Debug("relay offer refused", "origin", m.Peer, "relay", relay.peer, "why", why)
		sendRelay(relay, &wire.Relay{Kind: wire.RelayRefuse, Session: m.Session, Peer: m.Peer, HR: code.HR})
	}
	if m.Peer == relay.peer || !n.e.IsMember(m.Peer) {
		refuse(peererr.ErrNotAuthorized, "origin is not a member")
		return
	}
	e := relayEnd{relay: relay, addr: netip.AddrPortFrom(relay.addr.Addr(), m.Port)}
	n.nat.mu.Lock()
	full := n.nat.inbound >= maxRelayInbound
	if !full {
		n.nat.inbound++
	}
	n.nat.mu.Unlock()
	if full {
		refuse(peererr.ErrConnectionRefused, "too many relayed sessions")
		return
	}
	n.addRelayEnd(m.Session, e)
	n.run(func() {
		defer func() {
			n.removeRelayEnd(m.Session)
			n.nat.mu.Lock()
			n.nat.inbound--
			n.nat.mu.Unlock()
		}()
		if err := n.bind(n.ctx, e.addr, m.Token, m.Session, wire.RoleTarget); err != nil {
			refuse(peererr.ErrConnectionFailed, err.Error())
			return
		}
		// Stay bound while a link runs through the port (or until the
		// origin has had time to dial).
		idle := 0
		for idle < 2 {
			select {
			case <-n.ctx.Done():
				return
			case <-relay.done:
				return
			case <-time.After(relayCheckEvery):
			}
			if n.linkAt(e.addr) == nil {
				idle++
			} else {
				idle = 0
			}
		}
	})
}

// linkAt is the link whose remote address is a, if any.
func (n *Node) linkAt(a netip.AddrPort) *neighbor {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, nb := range n.links {
		if nb.addr == a {
			return nb
		}
	}
	return nil
}

// relay opens a direct-only link to the member peer through a relay
// member connected to both.
func (n *Node) relay(ctx context.Context, peer string) (*neighbor, error) {
	var relays []*neighbor
	for _, nb := range n.coordinators(peer) {
		if p, ok := n.e.MemberPresence(nb.peer); ok && len(p.Candidates) > 0 && !p.Relay {
			continue // it said it does not relay
		}
		relays = append(relays, nb)
	}
	rand.Shuffle(len(relays), func(i, j int) { relays[i], relays[j] = relays[j], relays[i] })
	if len(relays) == 0 {
		return nil, fmt.Errorf("relay to %s: no member to relay: %w", peer, peererr.ErrConnectionFailed)
	}
	var lastErr error
	for i, r := range relays {
		if i == punchCoordinators {
			break
		}
		link, err := n.relayVia(ctx, r, peer)
		if err == nil {
			return link, nil
		}
		lastErr = err
		n.log.Debug("relay failed", "peer", peer, "relay", r.peer, "err", err)
	}
	return nil, lastErr
}

// relayVia asks relay r for a session to peer and dials through it.
func (n *Node) relayVia(ctx context.Context, r *neighbor, peer string) (*neighbor, error) {
	id := randomID()
	ch := make(chan *relayAnswer, 1)
	n.nat.mu.Lock()
	n.nat.asks[id] = ch
	n.nat.mu.Unlock()
	defer func() {
		n.nat.mu.Lock()
		delete(n.nat.asks, id)
		n.nat.mu.Unlock()
	}()
	if !sendRelay(r, &wire.Relay{Kind: wire.RelayRequest, Session: id, Peer: peer}) {
		return nil, fmt.Errorf("relay %s gone: %w", r.peer, peererr.ErrConnectionFailed)
	}
	var m *wire.Relay
	for m == nil {
		select {
		case a := <-ch:
			if a.from == r {
				m = a.m
			}
		case <-time.After(relaySetupTimeout):
			return nil, fmt.Errorf("no answer from relay %s: %w", r.peer, peererr.ErrConnectionFailed)
		case <-r.done:
			return nil, fmt.Errorf("relay %s gone: %w", r.peer, peererr.ErrConnectionFailed)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if m.Kind == wire.RelayRefuse {
		return nil, fmt.Errorf("relay %s refused: %w", r.peer, peererr.FromHR(m.HR))
	}
	e := relayEnd{relay: r, addr: netip.AddrPortFrom(r.addr.Addr(), m.Port)}
	n.addRelayEnd(id, e)
	fail := func(err error) (*neighbor, error) {
		n.removeRelayEnd(id)
		sendRelay(r, &wire.Relay{Kind: wire.RelayClose, Session: id})
		return nil, err
	}
	if err := n.bind(ctx, e.addr, m.Token, id, wire.RoleOrigin); err != nil {
		return fail(err)
	}
	link, err := n.dialLink(ctx, e.addr, peer, relayedQUICConfig())
	if err != nil {
		return fail(err)
	}
	n.log.Info("relayed connection", "peer", peer, "relay", r.peer, "addr", e.addr)
	n.run(func() {
		select {
		case <-link.conn.Context().Done():
		case <-n.ctx.Done():
		}
		n.removeRelayEnd(id)
		sendRelay(r, &wire.Relay{Kind: wire.RelayClose, Session: id})
	})
	return link, nil
}
