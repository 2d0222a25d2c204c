package mesh

import (
	"errors"
	"sync"
	"time"

	"p2p/core/event"
)

// DropAndDefer closes every neighbour connection of n and defers every
// dial for d, as if the machine had slept with its connections going
// stale: only Resume (or d passing) makes it dial again.
func (n *Node) DropAndDefer(d time.Duration) {
	n.mu.Lock()
	for _, c := range n.candidates {
		c.next = time.Now().Add(d)
	}
	n.mu.Unlock()
	for _, nb := range n.neighborList() {
		nb.close(errors.New("test: dropped"))
	}
}

// OpenRelayedDirect opens a direct connection to peer through a relay
// member, skipping the direct dials and the punch, for tests of the
// relay and of moving off it.
func (n *Node) OpenRelayedDirect(peer string) (uint64, error) {
	link, err := n.relay(n.ctx, peer)
	if err != nil {
		return 0, err
	}
	id := n.connIDs.Add(1)
	d, err := n.openStream(link, id, 0)
	if err != nil {
		return 0, err
	}
	n.raiseDirect(event.Connected, d)
	return id, nil
}

// UpgradeNow punches to peer and moves the direct connections of its
// relayed link onto the punched one, as the background upgrade does.
func (n *Node) UpgradeNow(peer string) (int, error) {
	var relayed *neighbor
	n.mu.Lock()
	for _, nb := range n.links {
		if nb.peer == peer && n.isRelayAddr(nb.addr) {
			relayed = nb
		}
	}
	n.mu.Unlock()
	if relayed == nil {
		return 0, errors.New("no relayed link")
	}
	link, err := n.punch(n.ctx, peer, 0)
	if err != nil {
		return 0, err
	}
	moved := n.moveDirects(relayed, link)
	n.releaseLink(link)
	return moved, nil
}

// RelaySessions is how many sessions n relays now.
func (n *Node) RelaySessions() int {
	n.nat.mu.Lock()
	defer n.nat.mu.Unlock()
	return len(n.nat.relays)
}

// FakeDirectory stands in for the DHT in tests of how a node uses it.
type FakeDirectory struct {
	mu                        sync.Mutex
	wants, satisfied, changed int
	rounds                    int
}

func (f *FakeDirectory) Changed()   { f.mu.Lock(); f.changed++; f.mu.Unlock() }
func (f *FakeDirectory) Want()      { f.mu.Lock(); f.wants++; f.mu.Unlock() }
func (f *FakeDirectory) Satisfied() { f.mu.Lock(); f.satisfied++; f.rounds = 0; f.mu.Unlock() }
func (f *FakeDirectory) Close()     {}

func (f *FakeDirectory) Rounds() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rounds
}

// FinishRound makes the directory report a finished lookup round.
func (f *FakeDirectory) FinishRound() { f.mu.Lock(); f.rounds++; f.mu.Unlock() }

// Wants is how many times the node asked for a lookup.
func (f *FakeDirectory) Wants() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wants
}

// WithDirectory makes nodes started with o use f instead of the DHT.
func WithDirectory(o Options, f *FakeDirectory) Options {
	o.directory = func(*Node) (directory, func()) { return f, func() {} }
	return o
}
