package mesh

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/sig"
	"p2p/core/wire"
)

// Hole punching, coordinated by a member connected to both sides (as
// libp2p's DCUtR and BitTorrent's BEP 55 do):
//
//	initiator -> coordinator -> target   Punch Request: signed candidates, probe key
//	target -> coordinator -> initiator   Punch Reply: signed candidates (the round trip is measured)
//	initiator -> coordinator -> target   Punch Sync; the initiator waits half the round trip
//
// Then both send probes at once from the group's socket, each to the
// address the coordinator saw the other's packets come from, which the
// other must have signed as its own: so neither a lying coordinator nor
// a lying member alone can point probes at a third party, and each punch
// sends at most punchProbeBudget small packets. A probe that arrives
// proves the path both ways (the receiver's NAT let it in because the
// receiver had sent toward its source); the receiver answers it, and the
// initiator dials the QUIC connection to the source of the first probe or
// answer it gets.

const (
	punchReplyTimeout = 3 * time.Second
	punchSyncTimeout  = 5 * time.Second
	punchMinWindow    = 300 * time.Millisecond
	punchMaxWindow    = 3 * time.Second
	punchProbeBudget  = 64 // probes one side sends in one punch
	punchCoordinators = 3  // coordinators tried by one punch
	maxPunchSessions  = 16 // punches this node takes part in at once
	maxPunchRoutes    = 64 // punches this node coordinates at once
	punchRouteTTL     = 15 * time.Second
	// punchAcceptEvery is how often a target accepts a punch from the
	// same member.
	punchAcceptEvery = time.Second
	// neighborPunchDelay gives direct dials a head start before a member
	// that publishes candidates is punched as a neighbour.
	neighborPunchDelay = 3 * time.Second
	neighborPunchRetry = 30 * time.Second
	neighborPunchMax   = 10 * time.Minute
)

var errNoPath = fmt.Errorf("no path found by hole punching: %w", peererr.ErrConnectionFailed)

// punchSession is one punch this node takes part in.
type punchSession struct {
	id        uint64
	token     [16]byte
	peer      string    // the other side
	initiator bool      // this node dials
	via       *neighbor // the coordinator
	replies   chan *wire.Punch
	synced    chan struct{}
	syncOnce  sync.Once
	confirmed chan netip.AddrPort // the source of the first valid probe or answer
}

// punchRoute is a punch this node coordinates.
type punchRoute struct {
	from, to *neighbor
	expires  time.Time
}

// punchBackoff paces neighbour punches to one member.
type punchBackoff struct {
	next     time.Time
	failures int
}

func (n *Node) addPunch(s *punchSession) bool {
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	if len(n.nat.punches) >= maxPunchSessions || n.nat.punches[s.id] != nil {
		return false
	}
	n.nat.punches[s.id] = s
	return true
}

func (n *Node) removePunch(s *punchSession) {
	n.nat.mu.Lock()
	if n.nat.punches[s.id] == s {
		delete(n.nat.punches, s.id)
	}
	n.nat.mu.Unlock()
}

func (n *Node) punchSessionOf(id uint64) *punchSession {
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	return n.nat.punches[id]
}

// sendPunch queues a Punch on a neighbour's control stream without
// waiting; false if the neighbour is gone or its queue full.
func sendPunch(nb *neighbor, m *wire.Punch) bool { return nb.enqueue(wire.TPunch, m.Encode(), false) }

// punchMessage handles a Punch from a neighbour, in whichever role this
// node has in its session.
func (n *Node) punchMessage(nb *neighbor, m *wire.Punch) {
	switch m.Kind {
	case wire.PunchRequest:
		if m.Observed.IsValid() {
			n.punchTarget(nb, m) // forwarded by a coordinator
		} else {
			n.punchCoordinate(nb, m)
		}
	case wire.PunchReply, wire.PunchRefuse:
		if r := n.takeRoute(m.Session, nb, m.Kind == wire.PunchRefuse); r != nil {
			fwd := *m
			fwd.Peer = nb.peer
			if m.Kind == wire.PunchReply {
				fwd.Observed = nb.addr
			}
			sendPunch(r.from, &fwd)
			return
		}
		if s := n.punchSessionOf(m.Session); s != nil && s.initiator && s.via == nb {
			select {
			case s.replies <- m:
			default:
			}
		}
	case wire.PunchSync:
		if r := n.routeFrom(m.Session, nb); r != nil {
			sendPunch(r.to, m)
			return
		}
		if s := n.punchSessionOf(m.Session); s != nil && !s.initiator && s.via == nb {
			s.syncOnce.Do(func() { close(s.synced) })
		}
	}
}

// punchCoordinate forwards a punch request from one neighbour to the
// neighbour it names, recording the route of the answers.
func (n *Node) punchCoordinate(from *neighbor, m *wire.Punch) {
	refuse := func(code *peererr.Code) {
		sendPunch(from, &wire.Punch{Kind: wire.PunchRefuse, Session: m.Session, Peer: m.Peer, HR: code.HR})
	}
	if !n.nat.limits.allow("punch " + from.peer) {
		refuse(peererr.ErrConnectionRefused)
		return
	}
	to := n.natNeighbor(m.Peer)
	if to == nil || to == from || m.Peer == from.peer {
		refuse(peererr.ErrConnectionFailed)
		return
	}
	now := time.Now()
	n.nat.mu.Lock()
	for id, r := range n.nat.routes {
		if now.After(r.expires) {
			delete(n.nat.routes, id)
		}
	}
	ok := len(n.nat.routes) < maxPunchRoutes && n.nat.routes[m.Session] == nil
	if ok {
		n.nat.routes[m.Session] = &punchRoute{from: from, to: to, expires: now.Add(punchRouteTTL)}
	}
	n.nat.mu.Unlock()
	if !ok {
		refuse(peererr.ErrConnectionRefused)
		return
	}
	fwd := *m
	fwd.Peer, fwd.Observed = from.peer, from.addr
	if !sendPunch(to, &fwd) {
		refuse(peererr.ErrConnectionFailed)
	}
}

// takeRoute returns the route of an answer from its target, removing it
// when the answer ends the punch.
func (n *Node) takeRoute(id uint64, from *neighbor, last bool) *punchRoute {
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	r := n.nat.routes[id]
	if r == nil || r.to != from {
		return nil
	}
	if last {
		delete(n.nat.routes, id)
	}
	return r
}

// routeFrom returns and removes the route of a Sync from its initiator.
func (n *Node) routeFrom(id uint64, from *neighbor) *punchRoute {
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	r := n.nat.routes[id]
	if r == nil || r.from != from {
		return nil
	}
	delete(n.nat.routes, id)
	return r
}

// natNeighbor is a neighbour connection to the member peer that speaks
// the NAT-traversal messages.
func (n *Node) natNeighbor(peer string) *neighbor {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, nb := range n.neighbors {
		if nb.peer == peer && nb.natCap {
			return nb
		}
	}
	return nil
}

// signPunch fills in this member's candidates and signature.
func (n *Node) signPunch(m *wire.Punch) {
	m.Candidates = n.Addresses()
	if len(m.Candidates) > wire.MaxPunchCandidates {
		m.Candidates = m.Candidates[:wire.MaxPunchCandidates]
	}
	id := n.e.Identity()
	m.Key = id.PublicKey()
	m.Sig = ed25519.Sign(id.Key, wire.PunchSigningBytes(n.e.GroupPeerName(), m.Kind, m.Session, m.Token, m.Candidates))
}

// verifyPunch checks that m's candidates were signed by the member peer.
func (n *Node) verifyPunch(peer string, m *wire.Punch) error {
	if len(m.Key) != ed25519.PublicKeySize || len(m.Sig) != ed25519.SignatureSize {
		return errors.New("unsigned candidates")
	}
	auth, _, err := peername.Parse(peer)
	if err != nil || !strings.EqualFold(auth, peername.Authority(m.Key)) {
		return fmt.Errorf("candidates signed by another key than %s's", peer)
	}
	if !n.e.IsMember(peer) {
		return fmt.Errorf("%s is not a member", peer)
	}
	if !sig.Verify(m.Key, wire.PunchSigningBytes(n.e.GroupPeerName(), m.Kind, m.Session, m.Token, m.Candidates), m.Sig) {
		return errors.New("bad signature on the candidates")
	}
	return nil
}

// probeAddress is where to probe the other side: the address the
// coordinator saw, if the other side signed it as its own.
func probeAddress(m *wire.Punch) netip.AddrPort {
	if m.Observed.IsValid() && slices.Contains(m.Candidates, m.Observed) {
		return m.Observed
	}
	return netip.AddrPort{}
}

// punchTarget answers a punch request a coordinator forwarded, then
// probes the initiator once its Sync arrives.
func (n *Node) punchTarget(via *neighbor, m *wire.Punch) {
	origin := m.Peer
	refuse := func(code *peererr.Code, why string) {
		n.log.Debug("punch refused", "from", origin, "via", via.peer, "why", why)
		sendPunch(via, &wire.Punch{Kind: wire.PunchRefuse, Session: m.Session, Peer: origin, HR: code.HR})
	}
	if origin == via.peer || origin == n.e.Identity().PeerName {
		refuse(peererr.ErrConnectionRefused, "the coordinator names itself")
		return
	}
	if err := n.verifyPunch(origin, m); err != nil {
		refuse(peererr.ErrNotAuthorized, err.Error())
		return
	}
	now := time.Now()
	n.nat.mu.Lock()
	recent := now.Sub(n.nat.lastPunch[origin]) < punchAcceptEvery
	if !recent {
		if len(n.nat.lastPunch) > maxBuckets {
			clear(n.nat.lastPunch)
		}
		n.nat.lastPunch[origin] = now
	}
	n.nat.mu.Unlock()
	if recent {
		refuse(peererr.ErrConnectionRefused, "too frequent")
		return
	}
	s := &punchSession{id: m.Session, token: m.Token, peer: origin, via: via,
		synced: make(chan struct{}), confirmed: make(chan netip.AddrPort, 1)}
	if !n.addPunch(s) {
		refuse(peererr.ErrConnectionRefused, "too many punches")
		return
	}
	reply := &wire.Punch{Kind: wire.PunchReply, Session: m.Session, Peer: origin, Token: m.Token}
	n.signPunch(reply)
	if !sendPunch(via, reply) {
		n.removePunch(s)
		return
	}
	to := probeAddress(m)
	n.run(func() {
		defer n.removePunch(s)
		select {
		case <-s.synced:
		case <-time.After(punchSyncTimeout):
			return
		case <-n.ctx.Done():
			return
		}
		if to.IsValid() {
			n.probe(s, to, punchMaxWindow, nil)
		} else {
			// Nothing signed to probe: stay to answer the initiator's
			// probes (it may reach this member without help).
			select {
			case <-time.After(punchMaxWindow):
			case <-n.ctx.Done():
			}
		}
	})
}

// probe sends s's probes to to for at most window (every 10 ms at
// first, then every 50 ms), until stop closes.
func (n *Node) probe(s *punchSession, to netip.AddrPort, window time.Duration, stop <-chan struct{}) {
	role := wire.RoleTarget
	if s.initiator {
		role = wire.RoleOrigin
	}
	p := wire.NewPacket(s.token, wire.PacketProbe, s.id, role)
	start := time.Now()
	for range punchProbeBudget {
		n.sendPacket(to, p)
		every := 10 * time.Millisecond
		if time.Since(start) > 100*time.Millisecond {
			every = 50 * time.Millisecond
		}
		if time.Since(start)+every > window {
			return
		}
		select {
		case <-stop:
			return
		case <-n.ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// punchPacket handles a probe or probe answer: a valid probe is
// answered, and either one confirms its source.
func (n *Node) punchPacket(p wire.Packet, src netip.AddrPort) {
	s := n.punchSessionOf(p.Session)
	if s == nil || !p.Valid(s.token) {
		return
	}
	if p.Kind == wire.PacketProbe {
		n.sendPacket(src, wire.NewPacket(s.token, wire.PacketProbeAck, s.id, p.Role))
	}
	select {
	case s.confirmed <- src:
	default:
	}
}

// coordinators are the neighbours that may coordinate a punch or relay
// to peer, in random order.
func (n *Node) coordinators(peer string) []*neighbor {
	n.mu.Lock()
	var out []*neighbor
	for _, nb := range n.neighbors {
		if nb.natCap && nb.peer != peer {
			out = append(out, nb)
		}
	}
	n.mu.Unlock()
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// punch opens a connection to the member peer by hole punching: a
// neighbour connection with wire.PunchNeighbor in flags, else a
// direct-only link.
func (n *Node) punch(ctx context.Context, peer string, flags uint32) (*neighbor, error) {
	coords := n.coordinators(peer)
	if len(coords) == 0 {
		return nil, fmt.Errorf("punch to %s: no member to coordinate: %w", peer, peererr.ErrConnectionFailed)
	}
	var lastErr error
	for i, c := range coords {
		if i == punchCoordinators {
			break
		}
		link, err, again := n.punchVia(ctx, c, peer, flags)
		if err == nil {
			return link, nil
		}
		lastErr = err
		if !again {
			break
		}
	}
	return nil, lastErr
}

// punchVia runs one punch through coordinator c; again says whether
// another coordinator might do better.
func (n *Node) punchVia(ctx context.Context, c *neighbor, peer string, flags uint32) (*neighbor, error, bool) {
	s := &punchSession{id: randomID(), token: randomToken(), peer: peer, initiator: true, via: c,
		replies: make(chan *wire.Punch, 1), confirmed: make(chan netip.AddrPort, 1)}
	if !n.addPunch(s) {
		return nil, fmt.Errorf("punch to %s: too many punches: %w", peer, peererr.ErrConnectionRefused), false
	}
	defer n.removePunch(s)
	req := &wire.Punch{Kind: wire.PunchRequest, Session: s.id, Peer: peer, Flags: flags, Token: s.token}
	n.signPunch(req)
	start := time.Now()
	if !sendPunch(c, req) {
		return nil, fmt.Errorf("punch to %s: coordinator %s gone: %w", peer, c.peer, peererr.ErrConnectionFailed), true
	}
	var reply *wire.Punch
	select {
	case reply = <-s.replies:
	case <-time.After(punchReplyTimeout):
		return nil, fmt.Errorf("punch to %s: no answer through %s: %w", peer, c.peer, peererr.ErrConnectionFailed), true
	case <-c.done:
		return nil, fmt.Errorf("punch to %s: coordinator %s gone: %w", peer, c.peer, peererr.ErrConnectionFailed), true
	case <-ctx.Done():
		return nil, ctx.Err(), false
	}
	rtt := time.Since(start)
	if reply.Kind == wire.PunchRefuse {
		err := fmt.Errorf("punch to %s refused through %s: %w", peer, c.peer, peererr.FromHR(reply.HR))
		return nil, err, reply.HR == peererr.ErrConnectionFailed.HR
	}
	if reply.Peer != peer {
		return nil, fmt.Errorf("punch to %s answered for %s: %w", peer, reply.Peer, peererr.ErrConnectionRefused), true
	}
	if err := n.verifyPunch(peer, reply); err != nil {
		return nil, fmt.Errorf("punch to %s: %v: %w", peer, err, peererr.ErrNotAuthorized), true
	}
	sendPunch(c, &wire.Punch{Kind: wire.PunchSync, Session: s.id, Peer: peer})
	to := probeAddress(reply)
	if !to.IsValid() {
		return nil, fmt.Errorf("punch to %s: it signed no address %s sees: %w", peer, c.peer, errNoPath), false
	}
	window := min(max(6*rtt, punchMinWindow), punchMaxWindow)
	select {
	case <-time.After(rtt / 2):
	case <-ctx.Done():
		return nil, ctx.Err(), false
	}
	stop := make(chan struct{})
	var probing sync.WaitGroup
	probing.Add(1)
	go func() {
		defer probing.Done()
		n.probe(s, to, window, stop)
	}()
	defer func() {
		close(stop)
		probing.Wait()
	}()
	var at netip.AddrPort
	select {
	case at = <-s.confirmed:
	case <-time.After(window):
		return nil, fmt.Errorf("punch to %s at %s: no probe came through in %v: %w", peer, to, window, errNoPath), false
	case <-ctx.Done():
		return nil, ctx.Err(), false
	}
	n.log.Debug("punched", "peer", peer, "addr", at, "rtt", rtt, "after", time.Since(start))
	var link *neighbor
	var err error
	if flags&wire.PunchNeighbor != 0 {
		link, err = n.dialNeighbor(ctx, at, peer)
	} else {
		link, err = n.dialLink(ctx, at, peer, quicConfig())
	}
	return link, err, false
}

// dialNeighbor opens a neighbour connection to the member peer at a.
func (n *Node) dialNeighbor(ctx context.Context, a netip.AddrPort, peer string) (*neighbor, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := n.tr.Dial(ctx, udpAddrOf(a), n.tlsConfig(), quicConfig())
	if err != nil {
		return nil, fmt.Errorf("dial %s: %v: %w", a, err, peererr.ErrConnectionFailed)
	}
	nb, br, err := n.clientHandshake(ctx, conn, a, 0)
	if err != nil {
		return nil, err
	}
	if nb.peer != peer {
		conn.CloseWithError(codeRefused, "")
		return nil, fmt.Errorf("%s is %s, not %s: %w", a, nb.peer, peer, peererr.ErrConnectionRefused)
	}
	if err := n.startNeighbor(nb, br); err != nil {
		return nil, err
	}
	return nb, nil
}

// punchNeighbors punches, one at a time, to a present member that no
// dial reached while the node has fewer neighbours than its degree.
func (n *Node) punchNeighbors() {
	n.mu.Lock()
	want := n.opts.Degree - len(n.neighbors)
	connected := make(map[string]bool)
	coordinator := false
	for _, nb := range n.neighbors {
		connected[nb.peer] = true
		coordinator = coordinator || nb.natCap
	}
	closed := n.closed
	n.mu.Unlock()
	if want <= 0 || !coordinator || closed {
		return
	}
	now := time.Now()
	members := n.e.PresentMembers()
	rand.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	if n.nat.punching {
		return
	}
	for _, peer := range members {
		if connected[peer] {
			continue
		}
		if p, ok := n.e.MemberPresence(peer); !ok || len(p.Candidates) == 0 {
			continue // not online, or a member that knows no NAT traversal
		}
		b := n.nat.neighbor[peer]
		if b == nil {
			if len(n.nat.neighbor) >= maxBuckets {
				clear(n.nat.neighbor)
			}
			n.nat.neighbor[peer] = &punchBackoff{next: now.Add(neighborPunchDelay)}
			continue
		}
		if now.Before(b.next) {
			continue
		}
		n.nat.punching = true
		n.run(func() {
			_, err := n.punch(n.ctx, peer, wire.PunchNeighbor)
			n.nat.mu.Lock()
			defer n.nat.mu.Unlock()
			n.nat.punching = false
			if err == nil || errors.Is(err, errDuplicate) {
				b.failures, b.next = 0, time.Now().Add(neighborPunchRetry)
				return
			}
			b.failures++
			b.next = time.Now().Add(min(neighborPunchRetry<<min(b.failures-1, 5), neighborPunchMax))
			n.log.Debug("neighbour punch failed", "peer", peer, "err", err)
		})
		return
	}
}
