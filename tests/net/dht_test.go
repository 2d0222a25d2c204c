package net_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"

	"p2p/core/dht"
	"p2p/core/dht/dhttest"
	"p2p/core/invitation"
)

// The DHT tests: members find each other through a private mainline DHT
// of 20 anacrolix/dht nodes the test runs on loopback (the peers'
// P2P_DHT_BOOTSTRAP names three of them), with LAN discovery off.

const hrNoMembersFound = 0x80632094

// dhtEnv turns the DHT on for a peer, bootstrapping from the swarm.
func dhtEnv(s *dhttest.Swarm) []string {
	return []string{"P2P_DHT=1", "P2P_DHT_BOOTSTRAP=" + s.Bootstrap(3)}
}

// startDHTPeer starts a peer with env and runs startup.
func startDHTPeer(t *testing.T, dir, name string, env ...string) *Peer {
	t.Helper()
	p := startPeerAt(t, name, filepath.Join(dir, name), "", "127.0.0.1:0", env...)
	p.Identity = p.OK("startup %s", name)
	return p
}

// offlineInvite has inviter, offline, invite invitee, which joins: the
// invitation carries no address. It returns the invitation.
func offlineInvite(t *testing.T, inviter, invitee *Peer) *invitation.Invitation {
	t.Helper()
	xml := inviter.OK("invite %s", invitee.OK("identity-xml"))
	inv, err := invitation.Parse(xml)
	if err != nil {
		t.Fatalf("parse the invitation: %v", err)
	}
	if len(inv.Addresses) != 0 {
		t.Fatalf("an invitation made offline carries addresses %v", inv.Addresses)
	}
	invitee.OK("join %s", xml)
	return inv
}

// logContains reports whether p's log holds s.
func logContains(p *Peer, s string) bool {
	b, _ := os.ReadFile(p.log)
	return bytes.Contains(b, []byte(s))
}

// waitEvent polls p's event log until it shows want.
func waitEvent(t *testing.T, p *Peer, want string, timeout time.Duration) string {
	t.Helper()
	var seen strings.Builder
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		seen.WriteString(p.OK("events") + " ")
		if strings.Contains(seen.String(), want) {
			return seen.String()
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("%s: no %q in its events: %s", p.Name, want, short(seen.String()))
	return ""
}

// addresses parses an "addr" answer.
func addresses(t *testing.T, out string) []netip.AddrPort {
	t.Helper()
	var as []netip.AddrPort
	for _, f := range strings.Fields(out) {
		a, err := netip.ParseAddrPort(f)
		if err != nil {
			t.Fatalf("address %q: %v", f, err)
		}
		as = append(as, a)
	}
	return as
}

// learnsNothing is case (c): the swarm's nodes, DHT participants that are
// no members, store the members' items, and none shows an address of
// theirs in any form.
func learnsNothing(t *testing.T, swarm *dhttest.Swarm, peers ...*Peer) {
	t.Helper()
	values := swarm.Values()
	if len(values) == 0 {
		t.Fatal("the swarm stores no item")
	}
	for _, p := range peers {
		for _, a := range addresses(t, p.OK("addr")) {
			ip := a.Addr().Unmap().AsSlice()
			var port [2]byte
			binary.BigEndian.PutUint16(port[:], a.Port())
			for _, v := range values {
				if bytes.Contains(v, append(ip, port[:]...)) || bytes.Contains(v, []byte(a.String())) {
					t.Fatalf("a DHT node stores %s's address %s readably", p.Name, a)
				}
			}
		}
	}
	t.Logf("(c) %d items stored in the swarm, none showing an address", len(values))
}

// TestDHTOfflineInvitation is case (a): an invitation made while the
// inviter is offline carries no address; the inviter comes online later,
// on a port it never used before, and the invitee joins and connects
// through the DHT alone. Then case (c) on what the swarm stored.
func TestDHTOfflineInvitation(t *testing.T) {
	swarm := dhttest.Start(t, 20)
	env := dhtEnv(swarm)
	dir := t.TempDir()
	a := startDHTPeer(t, dir, "inviter", env...)
	b := startDHTPeer(t, dir, "invitee", env...)
	name := a.OK("create dht-a")
	a.OK("connect")
	before := a.OK("addr")
	a.OK("close")
	a.OK("open %s", name)
	offlineInvite(t, a, b)
	a.OK("connect")
	if after := a.OK("addr"); after == before {
		t.Fatalf("the inviter is back on the same addresses %s", after)
	}
	start := time.Now()
	b.OK("connect")
	b.OKWithin(45*time.Second, "wait-ready 40")
	t.Logf("(a) the invitee is ready %v after PeerGroupConnect", time.Since(start).Round(time.Millisecond))
	b.OK("wait-neighbors 1 10")
	if !logContains(b, "member found in the DHT") {
		t.Fatal("the invitee did not find the inviter in the DHT")
	}
	learnsNothing(t, swarm, a, b)
}

// TestDHTEveryoneMoves is case (b): every member of a group of three
// restarts on new ports; none knows where the others are now, and they
// find each other again through the DHT. Then case (c).
func TestDHTEveryoneMoves(t *testing.T) {
	swarm := dhttest.Start(t, 20)
	env := dhtEnv(swarm)
	dir := t.TempDir()
	names := []string{"creator", "joiner1", "joiner2"}
	peers := make([]*Peer, len(names))
	for i, n := range names {
		peers[i] = startDHTPeer(t, dir, n, env...)
	}
	group := peers[0].OK("create dht-b")
	peers[0].OK("connect")
	invite(t, peers[0], peers[1:]...)
	for _, p := range peers[1:] {
		p.OK("connect")
	}
	waitAll(t, peers[1:], time.Minute, "wait-ready 45")
	for _, p := range peers {
		p.OK("add-text before %s", p.Name)
	}
	waitAll(t, peers, time.Minute, "wait-count 3 40")
	old := make([]string, len(peers))
	for i, p := range peers {
		old[i] = p.OK("addr")
		p.Stop()
	}

	start := time.Now()
	for i, n := range names {
		peers[i] = startDHTPeer(t, dir, n, env...)
		peers[i].OK("open %s", group)
	}
	for _, p := range peers {
		p.Send("connect")
	}
	waitAll(t, peers, time.Minute, "wait-neighbors 1 45")
	t.Logf("(b) every member has a neighbour again %v after they restarted", time.Since(start).Round(time.Millisecond))
	for i, p := range peers {
		if p.OK("addr") == old[i] {
			t.Fatalf("%s is back on its old addresses", p.Name)
		}
		p.OK("add-text after %s", p.Name)
	}
	waitAll(t, peers, time.Minute, "wait-count 6 40")
	found := 0
	for _, p := range peers {
		if logContains(p, "member found in the DHT") {
			found++
		}
	}
	if found == 0 {
		t.Fatal("nobody found anybody in the DHT")
	}
	learnsNothing(t, swarm, peers...)
}

// TestDHTConnectionFailed is case (d): with P2P_DHT=0 an invitee that
// knows no address gets the documented CONNECTION_FAILED,
// PEER_E_NO_MEMBERS_FOUND. With the DHT on it gets the same once a
// lookup found nobody too, and keeps looking: when the inviter comes
// online, it connects without another call.
func TestDHTConnectionFailed(t *testing.T) {
	swarm := dhttest.Start(t, 20)
	dir := t.TempDir()
	for _, on := range []bool{false, true} {
		var env []string
		tag := "off"
		if on {
			env, tag = dhtEnv(swarm), "on"
		}
		a := startDHTPeer(t, dir, "inviter-"+tag, env...)
		b := startDHTPeer(t, dir, "invitee-"+tag, env...)
		a.OK("create dht-d")
		offlineInvite(t, a, b)
		start := time.Now()
		b.OK("connect")
		waitEvent(t, b, fmt.Sprintf("connfail:0x%08x", hrNoMembersFound), 30*time.Second)
		t.Logf("(d) DHT %s: CONNECTION_FAILED, PEER_E_NO_MEMBERS_FOUND, after %v", tag, time.Since(start).Round(time.Millisecond))
		if _, err := b.Do(time.Minute, "wait-ready 0"); err == nil {
			t.Fatal("ready without any member")
		}
		if !on {
			continue
		}
		if !logContains(b, "DHT node started") {
			t.Fatal("the invitee never started its DHT node")
		}
		online := time.Now()
		a.OK("connect")
		b.OKWithin(time.Minute, "wait-ready 50")
		t.Logf("(d) the invitee, still looking, connected %v after the inviter came online", time.Since(online).Round(time.Millisecond))
	}
}

// TestDHTForgedItems is case (e): three nodes of the swarm lie about the
// inviter's slot: garbage under its key, an item forged by an insider
// (sealed with the group's key, which the invitation shows, but signed by
// a stranger) that points at an attacker's socket, and a value of the
// wrong size, each with made-up nodes. The invitee asks them first; it
// ignores all of it, never sends a packet to the attacker and joins.
func TestDHTForgedItems(t *testing.T) {
	if now := time.Now(); dht.EpochOf(now.Add(30*time.Second)) != dht.EpochOf(now) {
		time.Sleep(30 * time.Second) // the liars' ids must stay near the inviter's slot of one epoch
	}
	swarm := dhttest.Start(t, 20)
	honest := swarm.Nodes
	attacker, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	var knocks atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := attacker.ReadFrom(buf); err != nil {
				return
			}
			knocks.Add(1)
		}
	}()
	dir := t.TempDir()
	honestBoot := "P2P_DHT_BOOTSTRAP=" + honest[0].Addr() + "," + honest[1].Addr() + "," + honest[2].Addr()
	a := startDHTPeer(t, dir, "inviter", "P2P_DHT=1", honestBoot)
	b := startDHTPeer(t, dir, "invitee", "P2P_DHT=1")
	a.OK("create dht-e")
	inv := offlineInvite(t, a, b)

	// The liars' ids are the closest to the inviter's slot: every lookup
	// of it asks them. The invitee starts from them too.
	keys := dht.NewKeys(inv.GroupPeerName, inv.GroupKey)
	target := keys.Slot(dht.EpochOf(time.Now()), inv.IssuerPeerName).Target
	var liars []*dhttest.Node
	for i := range 3 {
		liars = append(liars, swarm.Add(t, dhttest.Near(target, i)))
	}
	b.Stop()
	b = startDHTPeer(t, dir, "invitee", "P2P_DHT=1", "P2P_DHT_BOOTSTRAP="+
		liars[0].Addr()+","+liars[1].Addr()+","+liars[2].Addr()+","+honest[3].Addr())
	b.OK("open %s", inv.GroupPeerName)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	forgedTo := netip.MustParseAddrPort(attacker.LocalAddr().String())
	var lies atomic.Int64
	for i, l := range liars {
		l.Lie(8, func(target [20]byte) *krpc.Bep44Return {
			now := time.Now()
			var s *dht.Slot
			for _, e := range []uint64{dht.EpochOf(now), dht.EpochOf(now) - 1} {
				if c := keys.Slot(e, inv.IssuerPeerName); c.Target == target {
					s = c
				}
			}
			if s == nil {
				return nil
			}
			lies.Add(1)
			seq := now.UnixMilli() + 1000
			var v []byte
			switch i {
			case 0:
				v = bytes.Repeat([]byte{7}, dht.SealedSize)
			case 1:
				v = s.Seal([]netip.AddrPort{forgedTo}, now, stranger)
			default:
				v = bytes.Repeat([]byte{9}, 700)
			}
			p := bencode.MustMarshal(v)
			return &krpc.Bep44Return{V: p, K: s.Public, Seq: &seq}
		})
	}
	a.OK("connect")
	start := time.Now()
	b.OK("connect")
	b.OKWithin(time.Minute, "wait-ready 50")
	t.Logf("(e) the invitee is ready %v after PeerGroupConnect, past %d lies", time.Since(start).Round(time.Millisecond), lies.Load())
	if lies.Load() == 0 {
		t.Fatal("the liars were never asked")
	}
	// Garbage sent to the invitee's DHT socket is dropped quietly (no
	// line on stderr for each packet).
	b.OK("wait-neighbors 1 10")
	garbage(t, b)
	time.Sleep(time.Second)
	if k := knocks.Load(); k != 0 {
		t.Fatalf("the invitee sent %d packets to the address of a forged item", k)
	}
	if logContains(b, "krpc") {
		t.Fatal("malformed DHT packets reached the invitee's stderr")
	}
	b.OK("status")
}

// garbage sends malformed KRPC packets to p's DHT socket, whose address
// its log names.
func garbage(t *testing.T, p *Peer) {
	t.Helper()
	b, _ := os.ReadFile(p.log)
	var addr []byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if _, rest, ok := bytes.Cut(line, []byte(`msg="DHT node started" dht=`)); ok {
			addr, _, _ = bytes.Cut(rest, []byte(" "))
		}
	}
	if addr == nil {
		t.Fatalf("%s's log names no DHT node", p.Name)
	}
	c, err := net.Dial("udp", string(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, pkt := range []string{"d1:ai1ee", "dxxxxxxxx", "d1:q4:ping1:t2:aa1:y1:qe", "d1:rd2:id20:aaaaaaaaaaaaaaaaaaaae1:t2:zz1:y1:re",
		"d1:y1:q1:q3:put1:t1:x1:ad1:v1000:" + strings.Repeat("x", 1000) + "ee"} {
		c.Write([]byte(pkt))
	}
}
