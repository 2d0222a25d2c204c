package mesh

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"p2p/core/wire"
)

// NAT traversal: how a member reaches another that no address reaches.
//
//  1. Direct dials to the addresses its presence record publishes
//     (interfaces, port mapping, reflexive), as for any member.
//  2. A hole punch coordinated by a member connected to both (punch.go):
//     both sides exchange signed candidates through it, measure the round
//     trip through it, and send probes from the group's own UDP socket at
//     the same moment; the first probe that arrives proves the path, and
//     the initiator dials the QUIC connection over it.
//  3. A relay through such a member (relay.go): it forwards the UDP
//     datagrams of an ordinary QUIC connection between the two, who
//     authenticate each other end to end; later punches may move the
//     connection to a direct path (migrate.go).
//
// The small control packets of punches and relays travel beside QUIC on
// the group's socket (Transport.WriteTo, Transport.ReadNonQUICPacket).

// natState is a node's punch and relay sessions. Lock order: Node.mu,
// then natState.mu.
type natState struct {
	mu      sync.Mutex                   // guards the fields below
	punches map[uint64]*punchSession     // punches this node takes part in
	routes  map[uint64]*punchRoute       // punches this node coordinates
	relays  map[uint64]*relaySession     // sessions this node relays for others
	binds   map[uint64]*bindWaiter       // binds of this node waiting for their ack
	asks    map[uint64]chan *relayAnswer // relay requests of this node waiting for an answer
	ends    map[uint64]relayEnd          // this node's sides of relayed sessions
	// relayAddrs are the relay ports this node bound to, with the relay's
	// peer name: a link at such an address is relayed.
	relayAddrs map[netip.AddrPort]string
	inbound    int                      // relay sessions offered to this node and accepted
	lastPunch  map[string]time.Time     // last punch request accepted from each member (as target)
	neighbor   map[string]*punchBackoff // neighbour punches by member
	punching   bool                     // a neighbour punch is running

	limits *rateLimits // requests accepted per neighbour
}

func (s *natState) init() {
	s.punches = make(map[uint64]*punchSession)
	s.routes = make(map[uint64]*punchRoute)
	s.relays = make(map[uint64]*relaySession)
	s.binds = make(map[uint64]*bindWaiter)
	s.asks = make(map[uint64]chan *relayAnswer)
	s.ends = make(map[uint64]relayEnd)
	s.relayAddrs = make(map[netip.AddrPort]string)
	s.lastPunch = make(map[string]time.Time)
	s.neighbor = make(map[string]*punchBackoff)
	s.limits = newRateLimits()
}

// startNAT starts the goroutines of NAT traversal: the reader of control
// packets, the publisher of changed candidates and the port mapper.
func (n *Node) startNAT() {
	n.run(n.controlLoop)
	n.run(n.candidateLoop)
	n.run(func() {
		<-n.ctx.Done()
		n.closeRelays()
	})
	if *n.opts.PortMapping {
		n.run(n.portMapLoop)
	}
}

// controlLoop reads the control packets that arrive on the group's
// socket and hands each to its session.
func (n *Node) controlLoop() {
	buf := make([]byte, 1500)
	for {
		k, from, err := n.tr.ReadNonQUICPacket(n.ctx, buf)
		if err != nil {
			return
		}
		p, ok := wire.ParsePacket(buf[:k])
		if !ok {
			continue
		}
		src := addrPort(from)
		switch p.Kind {
		case wire.PacketProbe, wire.PacketProbeAck:
			n.punchPacket(p, src)
		case wire.PacketBindAck:
			n.bindAcked(p, src)
		}
	}
}

// sendPacket sends one control packet from the group's socket.
func (n *Node) sendPacket(to netip.AddrPort, p wire.Packet) {
	var b [wire.PacketSize]byte
	n.tr.WriteTo(p.Append(b[:0]), udpAddrOf(to))
}

// handleNAT handles the NAT-traversal messages of a neighbour's control
// stream; other unknown types are a protocol error.
func (nb *neighbor) handleNAT(t wire.Type, payload []byte) error {
	switch t {
	case wire.TPunch:
		m, err := wire.DecodePunch(payload)
		if err != nil {
			return err
		}
		nb.n.punchMessage(nb, m)
	case wire.TRelay:
		m, err := wire.DecodeRelay(payload)
		if err != nil {
			return err
		}
		nb.n.relayMessage(nb, m)
	default:
		return fmt.Errorf("unknown message type %d", t)
	}
	return nil
}

// isRelayAddr reports whether a is a relay port this node bound to.
func (n *Node) isRelayAddr(a netip.AddrPort) bool { return n.relayOf(a) != "" }

// relayOf returns the peer name of the relay whose port a is, or "".
func (n *Node) relayOf(a netip.AddrPort) string {
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	return n.nat.relayAddrs[a]
}

func randomID() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) | 1
}

func randomToken() (t [16]byte) {
	rand.Read(t[:])
	return t
}

// rateLimits is a token bucket per key: burst requests, then one every
// interval.
type rateLimits struct {
	mu      sync.Mutex
	buckets map[string]*rateBucket
}

type rateBucket struct {
	tokens float64
	at     time.Time
}

const (
	requestBurst    = 8
	requestInterval = 500 * time.Millisecond
	maxBuckets      = 4096
)

func newRateLimits() *rateLimits { return &rateLimits{buckets: make(map[string]*rateBucket)} }

// allow takes one token of key's bucket.
func (r *rateLimits) allow(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	b := r.buckets[key]
	if b == nil {
		if len(r.buckets) >= maxBuckets {
			clear(r.buckets)
		}
		b = &rateBucket{tokens: requestBurst, at: now}
		r.buckets[key] = b
	}
	b.tokens = math.Min(requestBurst, b.tokens+now.Sub(b.at).Seconds()/requestInterval.Seconds())
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
