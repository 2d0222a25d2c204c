package mesh

import (
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"p2p/core/group"
)

// A member gathers the addresses where others may reach it (candidates):
// the addresses of its interfaces, the address each member it dialled
// saw its packets come from (reflexive, reported in the Welcome), and a
// port mapping on its gateway when one was granted (portmap.go). They go
// into its presence record, and Candidates returns them for anyone who
// publishes them elsewhere.

// Candidate is an address of this member and how it was learned
// (group.CandidateHost, CandidateMapped, CandidateReflexive).
type Candidate = group.Candidate

const (
	// maxReflexive bounds the reflexive addresses remembered; the oldest
	// goes first.
	maxReflexive = 4
	// reflexiveTTL is how long a reflexive address is kept without a
	// member confirming it again.
	reflexiveTTL = 10 * time.Minute
	// presenceDebounce is the shortest time between two presence records
	// published because candidates changed.
	presenceDebounce = time.Second
)

// candidateSet is what a node knows of its own addresses beyond its
// interfaces.
type candidateSet struct {
	mu        sync.Mutex                   // guards the fields below
	reflexive map[netip.AddrPort]time.Time // last confirmed
	mapped    netip.AddrPort               // granted port mapping, if any
	changed   chan struct{}                // signalled (capacity 1) when the set changed
}

func newCandidateSet() *candidateSet {
	return &candidateSet{reflexive: make(map[netip.AddrPort]time.Time), changed: make(chan struct{}, 1)}
}

func (c *candidateSet) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// learnReflexive records where a member saw this node's packets come from.
func (n *Node) learnReflexive(a netip.AddrPort) {
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	if !a.IsValid() || a.Port() == 0 || a.Addr().IsUnspecified() || a.Addr().IsMulticast() {
		return
	}
	if slices.Contains(n.hostAddresses(), a) {
		return // not behind a NAT on this path
	}
	c := n.cands
	c.mu.Lock()
	_, known := c.reflexive[a]
	c.reflexive[a] = time.Now()
	for len(c.reflexive) > maxReflexive {
		var oldest netip.AddrPort
		var at time.Time
		for k, t := range c.reflexive {
			if at.IsZero() || t.Before(at) {
				oldest, at = k, t
			}
		}
		delete(c.reflexive, oldest)
	}
	c.mu.Unlock()
	if !known {
		n.log.Info("reflexive address", "addr", a)
		c.signal()
	}
}

// setMapped records the port mapping the gateway granted (or its loss,
// with the zero address).
func (n *Node) setMapped(a netip.AddrPort) {
	c := n.cands
	c.mu.Lock()
	same := c.mapped == a
	c.mapped = a
	c.mu.Unlock()
	if !same {
		c.signal()
	}
}

// Candidates returns the addresses where this member may be reached now,
// best first for a member elsewhere on the Internet: its port mapping,
// the reflexive addresses members saw (most recently confirmed first),
// then its interface addresses (loopback last). Its presence record
// publishes exactly these; a caller may publish them anywhere else as
// they are (they change as the node learns: call again for the current
// set). Empty once the node is closed.
func (n *Node) Candidates() []Candidate {
	var out []Candidate
	c := n.cands
	c.mu.Lock()
	if c.mapped.IsValid() {
		out = append(out, Candidate{Addr: c.mapped, Kind: group.CandidateMapped})
	}
	type seen struct {
		a netip.AddrPort
		t time.Time
	}
	var refl []seen
	for a, t := range c.reflexive {
		if time.Since(t) < reflexiveTTL {
			refl = append(refl, seen{a, t})
		}
	}
	c.mu.Unlock()
	slices.SortFunc(refl, func(x, y seen) int { return y.t.Compare(x.t) })
	for _, r := range refl {
		out = append(out, Candidate{Addr: r.a, Kind: group.CandidateReflexive})
	}
	for _, a := range n.hostAddresses() {
		out = append(out, Candidate{Addr: a, Kind: group.CandidateHost})
	}
	return dedupCandidates(out)
}

func dedupCandidates(in []Candidate) []Candidate {
	seen := make(map[netip.AddrPort]bool, len(in))
	out := in[:0]
	for _, c := range in {
		if !seen[c.Addr] {
			seen[c.Addr] = true
			out = append(out, c)
		}
	}
	return out
}

// Addresses are every candidate address of this node, best first (see
// Candidates): what Hello, Welcome, presence records and invitations
// announce.
func (n *Node) Addresses() []netip.AddrPort {
	cands := n.Candidates()
	out := make([]netip.AddrPort, 0, len(cands))
	for _, c := range cands {
		out = append(out, c.Addr)
	}
	return out
}

// presence is this node's presence as published now.
func (n *Node) presence() group.Presence {
	cands := n.Candidates()
	addrs := make([]netip.AddrPort, 0, len(cands))
	for _, c := range cands {
		addrs = append(addrs, c.Addr)
	}
	return group.Presence{NodeID: n.nodeID, Addresses: addrs, Candidates: cands, Relay: !n.opts.Relay.Off}
}

// publishPresence publishes this node's presence record with its current
// candidates.
func (n *Node) publishPresence() error {
	return n.e.PublishPresenceInfo(n.presence())
}

// candidateLoop publishes the presence record again whenever the
// candidates change, at most once per presenceDebounce.
func (n *Node) candidateLoop() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.cands.changed:
		}
		if err := n.publishPresence(); err != nil && n.ctx.Err() == nil {
			n.log.Warn("publish presence with new candidates", "err", err)
		}
		if n.dir != nil {
			n.dir.Changed()
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(presenceDebounce):
		}
	}
}

// udpAddrOf is the address form quic-go and net take.
func udpAddrOf(a netip.AddrPort) *net.UDPAddr { return net.UDPAddrFromAddrPort(a) }
