package dht

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Member is a member a lookup may look for: its peer name and identity
// key, which must have signed any item believed.
type Member struct {
	PeerName string
	Key      ed25519.PublicKey
}

// GroupConfig is what a group gives its DHT presence.
type GroupConfig struct {
	GroupPeerName string
	GroupKey      ed25519.PublicKey
	// Self is this member's peer name, Identity its identity key, which
	// signs its items.
	Self     string
	Identity ed25519.PrivateKey
	// Addresses returns where this member can be reached now, best
	// first; none means there is nothing to publish (yet).
	Addresses func() []netip.AddrPort
	// Members returns the members a lookup looks for, the likeliest to be
	// reachable first.
	Members func() []Member
	// Found is called with each member a lookup finds, from the group's
	// own goroutines, never after Close returned.
	Found func(Found)
}

// maxLookupMembers bounds the members one lookup round looks for;
// lookupGrace is how long a lookup goes on after it found an item, for a
// newer one.
const (
	maxLookupMembers = 8
	lookupGrace      = 300 * time.Millisecond
)

// Group is one group's presence in the DHT: it publishes this member's
// item (now, when its addresses change, every republishEvery and at each
// new epoch; never twice within minPublishGap) and, while the member is
// wanting (Want), looks the group's members up in rounds, waiting
// lookupBackoffMin, doubling up to lookupBackoffMax, between rounds.
type Group struct {
	n    *Node
	cfg  GroupConfig
	keys *Keys
	log  *slog.Logger

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // publishLoop, lookupLoop and the jobs of a round
	changed chan struct{}  // capacity 1: the addresses changed
	wake    chan struct{}  // capacity 1: Want or Satisfied was called

	mu         sync.Mutex // guards the fields below
	wanted     bool       // a lookup is wanted (Want since the last Satisfied)
	backoff    time.Duration
	nextLookup time.Time
	rounds     int // lookup rounds finished since the last Satisfied
	rotate     int // where the next round starts in the member list
	lastSeq    int64

	stats GroupStats
}

// GroupStats count what a group's DHT presence did.
type GroupStats struct {
	Published atomic.Int64 // items stored on at least one node
	Rounds    atomic.Int64 // lookup rounds
	Found     atomic.Int64 // members found
	Ignored   atomic.Int64 // values found in a slot that did not open
}

// Join starts the DHT presence of a group on n. Close stops it.
func (n *Node) Join(cfg GroupConfig) *Group {
	g := &Group{
		n: n, cfg: cfg, keys: NewKeys(cfg.GroupPeerName, cfg.GroupKey),
		log:     n.log.With("group", cfg.GroupPeerName),
		changed: make(chan struct{}, 1), wake: make(chan struct{}, 1),
	}
	g.ctx, g.cancel = context.WithCancel(n.ctx)
	g.wg.Add(2)
	go func() {
		defer g.wg.Done()
		g.publishLoop()
	}()
	go func() {
		defer g.wg.Done()
		g.lookupLoop()
	}()
	return g
}

// Stats returns the group's counters.
func (g *Group) Stats() *GroupStats { return &g.stats }

// Close stops publishing and looking up, and waits for the group's
// goroutines.
func (g *Group) Close() {
	g.cancel()
	g.wg.Wait()
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Changed says this member's addresses changed: they are published again
// soon.
func (g *Group) Changed() { signal(g.changed) }

// Want asks for lookups: one at once unless the backoff says wait, then
// more in rounds until Satisfied. Cheap: call it whenever the member finds
// itself without a reachable member.
func (g *Group) Want() {
	g.mu.Lock()
	g.wanted = true
	g.mu.Unlock()
	signal(g.wake)
}

// Satisfied says the member reached others: lookups stop, and the next
// Want starts one at once.
func (g *Group) Satisfied() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.wanted && g.rounds == 0 && g.backoff == 0 {
		return
	}
	g.wanted, g.rounds, g.backoff, g.nextLookup = false, 0, 0, time.Time{}
}

// Rounds is how many lookup rounds finished since the last Satisfied.
func (g *Group) Rounds() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rounds
}

// publishLoop publishes this member's item when due.
func (g *Group) publishLoop() {
	next := time.Now()
	var last time.Time
	for {
		timer := time.NewTimer(time.Until(next))
		select {
		case <-g.ctx.Done():
			timer.Stop()
			return
		case <-g.changed:
			timer.Stop()
			next = later(time.Now(), last.Add(minPublishGap))
			continue
		case <-timer.C:
		}
		now := time.Now()
		addrs := g.cfg.Addresses()
		if len(addrs) == 0 {
			next = now.Add(minPublishGap)
			continue
		}
		last = now
		if err := g.publish(addrs, now); err != nil {
			if g.ctx.Err() != nil {
				return
			}
			g.log.Info("DHT publication failed", "err", err)
			next = now.Add(2 * minPublishGap)
			continue
		}
		// Republish in time, and at the start of the next epoch (with a
		// little jitter, so a group's members do not all publish at once).
		epochEnd := time.Unix(int64(EpochOf(now)+1)*int64(Epoch/time.Second), 0)
		next = epochEnd.Add(rand.N(30 * time.Second))
		if r := now.Add(republishEvery); r.Before(next) {
			next = r
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// publish stores this member's item in its slot of the current epoch.
func (g *Group) publish(addrs []netip.AddrPort, now time.Time) error {
	s := g.keys.Slot(EpochOf(now), g.cfg.Self)
	item := s.Seal(addrs, now, g.cfg.Identity)
	g.mu.Lock()
	floor := max(now.UnixMilli(), g.lastSeq+1)
	g.mu.Unlock()
	ctx, cancel := context.WithTimeout(g.ctx, 2*traversalTimeout)
	defer cancel()
	seq, stored, err := g.n.put(ctx, s, item, floor)
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.lastSeq = max(g.lastSeq, seq)
	g.mu.Unlock()
	g.stats.Published.Add(1)
	g.log.Info("published in the DHT", "epoch", s.Epoch, "addresses", min(len(addrs), MaxAddresses), "nodes", stored)
	return nil
}

// lookupLoop runs lookup rounds while they are wanted, spaced by the
// backoff.
func (g *Group) lookupLoop() {
	for {
		g.mu.Lock()
		wanted, wait := g.wanted, time.Until(g.nextLookup)
		g.mu.Unlock()
		switch {
		case !wanted:
			select {
			case <-g.ctx.Done():
				return
			case <-g.wake:
			}
			continue
		case wait > 0:
			timer := time.NewTimer(wait)
			select {
			case <-g.ctx.Done():
				timer.Stop()
				return
			case <-g.wake:
				timer.Stop()
			case <-timer.C:
			}
			continue
		}
		g.round()
		if g.ctx.Err() != nil {
			return
		}
		g.mu.Lock()
		g.rounds++
		g.backoff = min(max(2*g.backoff, lookupBackoffMin), lookupBackoffMax)
		g.nextLookup = time.Now().Add(g.backoff)
		g.mu.Unlock()
		g.stats.Rounds.Add(1)
	}
}

// round looks up at most maxLookupMembers members in the current epoch
// (and early in an epoch also in the previous one), a few at a time;
// once one is found, the jobs not started yet are skipped.
func (g *Group) round() {
	now := time.Now()
	var members []Member
	for _, m := range g.cfg.Members() {
		if m.PeerName != g.cfg.Self && len(m.Key) == ed25519.PublicKeySize {
			members = append(members, m)
		}
	}
	if len(members) == 0 {
		return
	}
	g.mu.Lock()
	start := g.rotate % len(members)
	g.rotate++
	g.mu.Unlock()
	if len(members) > maxLookupMembers {
		members = append(members[start:], members[:start]...)[:maxLookupMembers]
	}
	epoch := EpochOf(now)
	epochs := []uint64{epoch}
	if now.Sub(time.Unix(int64(epoch)*int64(Epoch/time.Second), 0)) < previousEpochFor {
		epochs = append(epochs, epoch-1)
	}
	var found atomic.Bool
	var wg sync.WaitGroup
	for _, m := range members {
		for _, e := range epochs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if found.Load() {
					return
				}
				g.lookup(g.keys.Slot(e, m.PeerName), m.Key, now, func(f Found) {
					found.Store(true)
					g.stats.Found.Add(1)
					g.log.Info("member found in the DHT", "peer", f.PeerName, "addresses", len(f.Addrs), "issued", f.Issued)
					g.cfg.Found(f)
				})
			}()
		}
	}
	wg.Wait()
}

// lookup reads one slot and hands deliver each item in it that opens and
// is newer than those before: the first at once, newer ones that come
// within lookupGrace after it (a node may still hold, or replay, an older
// copy). It reports whether it found any.
func (g *Group) lookup(s *Slot, key ed25519.PublicKey, now time.Time, deliver func(Found)) bool {
	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	var best *Found
	var grace *time.Timer
	defer func() {
		if grace != nil {
			grace.Stop()
		}
	}()
	_, err := g.n.traverse(ctx, s, func(v value) bool {
		f, err := s.Open(v.v, key, now)
		if err != nil {
			g.stats.Ignored.Add(1)
			g.log.Debug("DHT value ignored", "peer", s.Member, "err", err)
			return false
		}
		if best == nil {
			grace = time.AfterFunc(lookupGrace, cancel)
		} else if !f.Issued.After(best.Issued) {
			return false
		}
		best = f
		deliver(*f)
		return false
	})
	if err != nil && best == nil && !errors.Is(err, context.Canceled) {
		g.log.Debug("DHT lookup", "peer", s.Member, "err", err)
	}
	return best != nil
}
