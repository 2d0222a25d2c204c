package dht_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/bep44"
	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"

	"p2p/core/dht"
	"p2p/core/dht/dhttest"
)

// member is one member's DHT presence in a test.
type member struct {
	node  *dht.Node
	group *dht.Group
	name  string
	pub   ed25519.PublicKey

	mu    sync.Mutex
	found []dht.Found
}

func startNode(t *testing.T, swarm *dhttest.Swarm) *dht.Node {
	t.Helper()
	n, err := dht.Start(dht.Options{Listen: "127.0.0.1:0", Bootstrap: swarm.BootstrapList(3)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// join starts name's presence in the group of f, publishing addrs and
// looking for others.
func join(t *testing.T, swarm *dhttest.Swarm, f *fixture, name string, key ed25519.PrivateKey, addrs []netip.AddrPort, others ...dht.Member) *member {
	t.Helper()
	m := &member{node: startNode(t, swarm), name: name, pub: key.Public().(ed25519.PublicKey)}
	m.group = m.node.Join(dht.GroupConfig{
		GroupPeerName: groupName, GroupKey: f.groupKey, Self: name, Identity: key,
		Addresses: func() []netip.AddrPort { return addrs },
		Members:   func() []dht.Member { return others },
		Found: func(fd dht.Found) {
			m.mu.Lock()
			m.found = append(m.found, fd)
			m.mu.Unlock()
		},
	})
	t.Cleanup(m.group.Close)
	return m
}

func (m *member) Found() []dht.Found {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.found)
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPublishLookup: Alice publishes her addresses in a private swarm of
// 20 nodes; Bob, who knows her peer name and key, finds them; what the
// swarm's nodes store shows none of them.
func TestPublishLookup(t *testing.T) {
	swarm := dhttest.Start(t, 20)
	f := newFixture(t)
	alice := join(t, swarm, f, f.member, f.memberKey, f.addrs)
	waitFor(t, 20*time.Second, "Alice's publication", func() bool { return alice.group.Stats().Published.Load() > 0 })

	_, bobKey, _ := ed25519.GenerateKey(rand.Reader)
	start := time.Now()
	bob := join(t, swarm, f, "fedcba9876543210fedcba9876543210fedcba98.bob", bobKey, nil,
		dht.Member{PeerName: f.member, Key: f.memberPub})
	bob.group.Want()
	waitFor(t, 20*time.Second, "Bob finding Alice", func() bool { return len(bob.Found()) > 0 })
	t.Logf("found in %v", time.Since(start).Round(time.Millisecond))
	got := bob.Found()[0]
	if got.PeerName != f.member || !slices.Equal(got.Addrs, f.addrs) {
		t.Fatalf("found %+v", got)
	}
	// Bob publishes nothing (no addresses), and stops looking once
	// satisfied.
	bob.group.Satisfied()
	rounds := bob.group.Stats().Rounds.Load()
	time.Sleep(3 * time.Second)
	if r := bob.group.Stats().Rounds.Load(); r > rounds+1 {
		t.Fatalf("%d lookup rounds after Satisfied", r-rounds)
	}
	if bob.group.Stats().Published.Load() != 0 {
		t.Fatal("Bob published without addresses")
	}

	// What a DHT node that is no member sees: ciphertext of one fixed
	// size, no address in any encoding.
	values := swarm.Values()
	if len(values) == 0 {
		t.Fatal("the swarm stores nothing")
	}
	for _, v := range values {
		for _, a := range f.addrs {
			ip := a.Addr().AsSlice()
			var port [2]byte
			binary.BigEndian.PutUint16(port[:], a.Port())
			if bytes.Contains(v, append(slices.Clone(ip), port[:]...)) || bytes.Contains(v, []byte(a.String())) ||
				bytes.Contains(v, ip) {
				t.Fatalf("a stored value shows %v", a)
			}
		}
	}
	// Nor does a lookup by someone with the group's name but not its key
	// find anything.
	gpub2, _, _ := ed25519.GenerateKey(rand.Reader)
	_, eveKey, _ := ed25519.GenerateKey(rand.Reader)
	eve := join(t, swarm, &fixture{groupKey: gpub2}, "fedcba9876543210fedcba9876543210fedcba98.eve", eveKey, nil,
		dht.Member{PeerName: f.member, Key: f.memberPub})
	eve.group.Want()
	waitFor(t, 20*time.Second, "Eve's lookup", func() bool { return eve.group.Stats().Rounds.Load() > 0 })
	if len(eve.Found()) != 0 {
		t.Fatalf("Eve found %+v", eve.Found())
	}
}

// TestLookupRetries: a lookup for a member not published yet finds
// nothing, and the rounds that follow (2 s, then 4 s later) find it once
// it publishes.
func TestLookupRetries(t *testing.T) {
	swarm := dhttest.Start(t, 20)
	f := newFixture(t)
	_, bobKey, _ := ed25519.GenerateKey(rand.Reader)
	bob := join(t, swarm, f, "fedcba9876543210fedcba9876543210fedcba98.bob", bobKey, nil,
		dht.Member{PeerName: f.member, Key: f.memberPub})
	bob.group.Want()
	waitFor(t, 20*time.Second, "a first round", func() bool { return bob.group.Stats().Rounds.Load() > 0 })
	if len(bob.Found()) != 0 || bob.group.Rounds() == 0 {
		t.Fatalf("found %v, rounds %d", bob.Found(), bob.group.Rounds())
	}
	join(t, swarm, f, f.member, f.memberKey, f.addrs)
	waitFor(t, 30*time.Second, "Bob finding Alice", func() bool { return len(bob.Found()) > 0 })
}

// TestLiars: nodes that answer every get with garbage under the right key
// with a made-up, unsigned sequence number, an item forged by an insider
// (sealed with the group's key, signed by a stranger, pointing at the
// attacker) and hundreds of made-up nodes do not make a lookup return
// anything but the member's own item, nor push the publisher's sequence
// numbers up, and the traversals stay within their query budget.
func TestLiars(t *testing.T) {
	awayFromEpochEdge(t)
	swarm := dhttest.Start(t, 20)
	f := newFixture(t)
	attacker := netip.MustParseAddrPort("127.0.0.1:9")
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	// The liars' ids are the closest to Alice's slot: every lookup of it
	// asks them.
	target := f.keys.Slot(dht.EpochOf(time.Now()), f.member).Target
	var liars []*dhttest.Node
	for i := range 3 {
		liars = append(liars, swarm.Add(t, dhttest.Near(target, i)))
	}
	var lies atomic.Int64
	for i, n := range liars {
		n.Lie(400, func(target [20]byte) *krpc.Bep44Return {
			now := time.Now()
			s := f.keys.Slot(dht.EpochOf(now), f.member)
			if target != s.Target {
				return nil
			}
			lies.Add(1)
			seq := int64(1 << 62)
			switch i {
			case 0: // garbage under the right key, unsigned
				return &krpc.Bep44Return{V: bencode.MustMarshal(bytes.Repeat([]byte{1}, dht.SealedSize)), K: s.Public, Seq: &seq}
			case 1: // forged by an insider, signed as BEP 44 wants (a
				// sequence number so signed counts: an insider may write the slot)
				seq = now.UnixMilli() + 1000
				v := s.Seal([]netip.AddrPort{attacker}, now, stranger)
				p := bep44.Put{V: v, K: &s.Public, Seq: seq}
				p.Sign(s.Key)
				return &krpc.Bep44Return{V: bencode.MustMarshal(v), K: s.Public, Seq: &seq, Sig: p.Sig}
			default: // not even the right size
				return &krpc.Bep44Return{V: bencode.MustMarshal(bytes.Repeat([]byte{2}, 900)), K: s.Public, Seq: &seq}
			}
		})
	}
	alice := join(t, swarm, f, f.member, f.memberKey, f.addrs)
	waitFor(t, 20*time.Second, "Alice's publication", func() bool { return alice.group.Stats().Published.Load() > 0 })
	if seq := alice.group.LastSeq(); seq >= 1<<61 {
		t.Fatalf("a liar's sequence number was taken: %d", seq)
	}
	_, bobKey, _ := ed25519.GenerateKey(rand.Reader)
	// Bob asks the liars first.
	bobNode, err := dht.Start(dht.Options{Listen: "127.0.0.1:0", Bootstrap: []string{
		liars[0].Addr(), liars[1].Addr(), liars[2].Addr(), swarm.Nodes[0].Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer bobNode.Close()
	var mu sync.Mutex
	var found []dht.Found
	g := bobNode.Join(dht.GroupConfig{
		GroupPeerName: groupName, GroupKey: f.groupKey, Self: "fedcba9876543210fedcba9876543210fedcba98.bob", Identity: bobKey,
		Addresses: func() []netip.AddrPort { return nil },
		Members:   func() []dht.Member { return []dht.Member{{PeerName: f.member, Key: f.memberPub}} },
		Found: func(fd dht.Found) {
			mu.Lock()
			found = append(found, fd)
			mu.Unlock()
		},
	})
	defer g.Close()
	for range 3 {
		g.Satisfied()
		g.Want()
		before := g.Stats().Rounds.Load()
		waitFor(t, 30*time.Second, "a lookup round", func() bool { return g.Stats().Rounds.Load() > before })
	}
	mu.Lock()
	defer mu.Unlock()
	if len(found) == 0 {
		t.Fatal("Alice not found past the liars")
	}
	for _, fd := range found {
		if !slices.Equal(fd.Addrs, f.addrs) {
			t.Fatalf("a lookup returned %v", fd.Addrs)
		}
	}
	if lies.Load() == 0 || g.Stats().Ignored.Load() == 0 {
		t.Fatalf("%d lies told, %d values ignored", lies.Load(), g.Stats().Ignored.Load())
	}
	st := bobNode.Stats()
	if q, tr := st.Queries.Load(), st.Traversals.Load(); q > tr*100 {
		t.Fatalf("%d queries in %d traversals", q, tr)
	}
	t.Logf("ignored %d values; %d queries in %d traversals", g.Stats().Ignored.Load(), st.Queries.Load(), st.Traversals.Load())
}

// awayFromEpochEdge waits out the last 30 s of an epoch, so that a test's
// slots stay those of one epoch.
func awayFromEpochEdge(t testing.TB) {
	now := time.Now()
	if dht.EpochOf(now.Add(30*time.Second)) != dht.EpochOf(now) {
		next := time.Unix(int64(dht.EpochOf(now)+1)*int64(dht.Epoch/time.Second), 0)
		t.Logf("waiting %v for the next epoch", time.Until(next).Round(time.Second))
		time.Sleep(time.Until(next) + time.Second)
	}
}

// TestShared: Acquire gives every caller with the same options one node,
// closed with the last Release.
func TestShared(t *testing.T) {
	opts := dht.Options{Listen: "127.0.0.1:0", Bootstrap: []string{"127.0.0.1:1"}}
	a, err := dht.Acquire(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dht.Acquire(opts)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("two nodes for one configuration")
	}
	a.Release()
	b.Release()
	c, err := dht.Acquire(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if c == a {
		t.Fatal("a released node was reused")
	}
}

// TestCloseLeavesNothing: a node that published and looked up leaves no
// goroutine behind once its group and it are closed.
func TestCloseLeavesNothing(t *testing.T) {
	swarm := dhttest.Start(t, 20)
	f := newFixture(t)
	time.Sleep(200 * time.Millisecond)
	before := runtime.NumGoroutine()
	n, err := dht.Start(dht.Options{Listen: "127.0.0.1:0", Bootstrap: swarm.BootstrapList(3)})
	if err != nil {
		t.Fatal(err)
	}
	g := n.Join(dht.GroupConfig{
		GroupPeerName: groupName, GroupKey: f.groupKey, Self: f.member, Identity: f.memberKey,
		Addresses: func() []netip.AddrPort { return f.addrs },
		Members:   func() []dht.Member { return []dht.Member{{PeerName: f.member + "x", Key: f.memberPub}} },
		Found:     func(dht.Found) {},
	})
	g.Want()
	waitFor(t, 20*time.Second, "a publication and a lookup", func() bool {
		return g.Stats().Published.Load() > 0 && g.Stats().Rounds.Load() > 0
	})
	g.Close()
	n.Close()
	waitFor(t, 5*time.Second, "the node's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
