package mesh

import (
	"net/netip"
	"time"

	"p2p/core/dht"
	"p2p/core/group"
)

// Finding the group through the mainline DHT (core/dht), as PNRP did: an
// online member publishes its candidate addresses in its slot of the
// group's DHT items; a member without a neighbour for lookupGrace (at
// once if it knows no address at all) looks the members it knows up
// there, and dials what it finds like any other candidate, through the
// full handshake. The process's DHT node is shared by its groups.

// lookupGrace is how long a member without neighbours dials the
// addresses it knows before it also looks the group up in the DHT: long
// enough for a dial on a LAN to succeed, short next to a dial timeout.
const lookupGrace = time.Second

// directory is where a group's members publish their addresses and look
// each other up: the DHT.
type directory interface {
	Changed()   // this member's addresses changed
	Want()      // a lookup is wanted
	Satisfied() // the member has a neighbour: no more lookups
	Rounds() int
	Close()
}

var _ directory = (*dht.Group)(nil)

// startDirectory joins the group's DHT presence, unless the DHT is off
// or its node cannot start (then the group does without, and says so in
// the log).
func (n *Node) startDirectory() {
	if n.opts.directory != nil { // a test's
		n.dir, n.dirRelease = n.opts.directory(n)
		return
	}
	o := *n.opts.DHT
	if o.Off {
		return
	}
	if o.Listen == "" {
		o.Listen = dht.ListenHost(n.opts.Listen)
	}
	node, err := dht.Acquire(o)
	if err != nil {
		n.log.Warn("no DHT: the group is found by addresses and LAN discovery only", "err", err)
		return
	}
	id := n.e.Identity()
	n.dirRelease = node.Release
	n.dir = node.Join(dht.GroupConfig{
		GroupPeerName: n.e.GroupPeerName(), GroupKey: n.e.GroupKey(),
		Self: id.PeerName, Identity: id.Key,
		Addresses: n.directoryAddresses,
		Members:   n.directoryMembers,
		Found:     n.addFound,
	})
}

// stopDirectory leaves the DHT; the last group of the process to leave
// stops its node.
func (n *Node) stopDirectory() {
	if n.dir != nil {
		n.dir.Close()
		n.dirRelease()
	}
}

// directoryAddresses are what the member publishes: its candidates, once
// it is synchronised and unless the group disables presence.
func (n *Node) directoryAddresses() []netip.AddrPort {
	if !n.e.Ready() || n.e.Properties().Flags&group.FlagDisablePresence != 0 {
		return nil
	}
	return n.Addresses()
}

func (n *Node) directoryMembers() []dht.Member {
	known := n.e.KnownMembers()
	out := make([]dht.Member, len(known))
	for i, m := range known {
		out[i] = dht.Member{PeerName: m.PeerName, Key: m.Key}
	}
	return out
}

// addFound makes the addresses a member published in the DHT candidates
// to dial at once.
func (n *Node) addFound(f dht.Found) {
	n.addCandidates(f.Addrs)
	n.mu.Lock()
	for _, a := range f.Addrs {
		if c := n.candidates[netip.AddrPortFrom(a.Addr().Unmap(), a.Port())]; c != nil && !c.dialing {
			c.next = time.Time{}
		}
	}
	n.mu.Unlock()
	n.dialSome()
}

// directoryTick, run by the maintenance loop, asks the DHT for a lookup
// while the member has had no neighbour for lookupGrace (or knows no
// address at all), and tells it when the member has one.
func (n *Node) directoryTick() {
	if n.dir == nil {
		return
	}
	n.mu.Lock()
	alone := len(n.neighbors) == 0
	switch {
	case !alone:
		n.aloneSince = time.Time{}
	case n.aloneSince.IsZero():
		n.aloneSince = time.Now()
	}
	since, none := n.aloneSince, len(n.candidates) == 0
	n.mu.Unlock()
	switch {
	case !alone:
		n.dir.Satisfied()
	case none || time.Since(since) >= lookupGrace:
		n.dir.Want()
	}
}

// directoryFailed reports whether the DHT, too, found no member to
// connect to: it is off, or a lookup round finished since the member was
// last connected and every address known has been dialled and failed.
func (n *Node) directoryFailed() bool {
	if n.dir == nil {
		return true
	}
	if n.dir.Rounds() == 0 {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.candidates {
		if c.dialing || c.failures == 0 {
			return false
		}
	}
	return true
}
