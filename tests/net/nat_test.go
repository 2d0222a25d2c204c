package net_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// natGroup starts a member on each lab host (public, host-a, host-b,
// host-c: P, A, B and C), creates the group on P, has the others join
// and connect, and waits until all are ready.
func natGroup(t *testing.T, l *lab, env ...string) []*Peer {
	t.Helper()
	dir := t.TempDir()
	hosts := []string{"public", "host-a", "host-b", "host-c"}
	names := []string{"P", "A", "B", "C"}
	peers := make([]*Peer, len(hosts))
	chans := make([]<-chan reply, len(hosts))
	for i, h := range hosts {
		peers[i] = l.startMember(dir, names[i], h, env...)
		chans[i] = peers[i].Send("startup %s", names[i])
	}
	for i, p := range peers {
		out, err := p.Await(chans[i], time.Minute)
		if err != nil {
			t.Fatalf("%s: startup: %v", p.Name, err)
		}
		p.Identity = out
	}
	p := peers[0]
	p.OK("create nat lab")
	p.OK("connect")
	invite(t, p, peers[1:]...)
	for _, q := range peers[1:] {
		q.Send("connect")
	}
	waitAll(t, peers[1:], 60*time.Second, "wait-ready 45")
	return peers
}

// openPair opens a direct connection from x to y; it returns both ids
// and the milliseconds x waited for CONNECTED.
func openPair(t *testing.T, x, y *Peer) (xID, yID uint64, ms float64) {
	t.Helper()
	f := strings.Fields(x.OKWithin(time.Minute, "direct-open %s 40", y.Identity))
	xID, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil || len(f) < 2 {
		t.Fatalf("direct-open: %q", f)
	}
	ms, _ = strconv.ParseFloat(f[1], 64)
	yID, err = strconv.ParseUint(y.OK("wait-accept 30"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return xID, yID, ms
}

// TestNATLab: a public member and members behind two port-preserving
// NATs and one port-randomising NAT. Records converge among all; every
// pair opens a direct connection and exchanges 1,000 ordered messages
// each way: pairs with the public member and the two port-preserving
// NATs connect directly (the latter by a hole punch through P, so the
// path is the other NAT's public address), pairs with the
// port-randomising NAT are relayed through P; A and B also become
// neighbours through a punch. Then the relay is killed
// in the middle of a transfer: both ends get PEER_DISCONNECTED and the
// blocked sender returns, within seconds.
func TestNATLab(t *testing.T) {
	l := newLab(t)
	peers := natGroup(t, l)
	byName := map[string]*Peer{}
	for _, p := range peers {
		byName[p.Name] = p
	}

	for _, p := range peers {
		p.Send("add 25 200")
	}
	converge(t, peers, 100, 60*time.Second)

	type pair struct {
		x, y    string
		relayed bool
	}
	pairs := []pair{{"P", "A", false}, {"P", "B", false}, {"P", "C", false},
		{"A", "B", false}, {"A", "C", true}, {"B", "C", true}}
	var matrix []string
	for _, pr := range pairs {
		x, y := byName[pr.x], byName[pr.y]
		xID, yID, ms := openPair(t, x, y)
		path := x.OK("path %d", xID)
		way, addr, _ := strings.Cut(path, " ")
		if (way == "relayed") != pr.relayed {
			t.Errorf("%s -> %s: %s, want relayed=%v", pr.x, pr.y, path, pr.relayed)
		}
		if !pr.relayed && pr.x != "P" {
			// Punched: the other side's NAT, not its private address.
			if want := natOf[hostOf(pr.y)].public; !strings.HasPrefix(addr, want+":") {
				t.Errorf("%s -> %s punched at %s, want %s's public address %s", pr.x, pr.y, addr, pr.y, want)
			}
		}
		sx := x.Send("send %d 1000 4096", xID)
		sy := y.Send("send %d 1000 4096", yID)
		recvs := []<-chan reply{y.Send("recv 1000 60"), x.Send("recv 1000 60")}
		for i, ch := range recvs {
			p := []*Peer{y, x}[i]
			out, err := p.Await(ch, 90*time.Second)
			if err != nil || field(t, out, "got") != 1000 {
				t.Fatalf("%s -> %s: %s received %q: %v", pr.x, pr.y, p.Name, out, err)
			}
		}
		for i, ch := range []<-chan reply{sx, sy} {
			if _, err := []*Peer{x, y}[i].Await(ch, 30*time.Second); err != nil {
				t.Fatalf("%s -> %s: send: %v", pr.x, pr.y, err)
			}
		}
		matrix = append(matrix, fmt.Sprintf("%s-%s %s %s connect=%.0fms", pr.x, pr.y, way, addr, ms))
		x.OK("direct-close %d", xID)
	}
	for _, m := range matrix {
		t.Logf("NAT MATRIX | %s", m)
	}

	// Neighbour connections are punched too: A and B become neighbours.
	a, b := byName["A"], byName["B"]
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := a.Do(time.Minute, "connections 1")
		if err == nil && strings.Contains(out, b.Identity) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("A and B never became neighbours: A's neighbours are %q (%v)", out, err)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// A relay killed mid-transfer: C streams to A through P, A reading,
	// when P dies.
	c := byName["C"]
	aID, cID, _ := openPair(t, a, c)
	if path := a.OK("path %d", aID); !strings.HasPrefix(path, "relayed") {
		t.Fatalf("A -> C runs %s, want relayed", path)
	}
	c.OK("send-bg %d 1000000 16384 fixed 1", cID)
	reading := a.Send("recv 1000000 15")
	time.Sleep(time.Second)
	byName["P"].Kill()
	killed := time.Now()
	cw := c.Send("wait-direct %d disconnected 30", cID)
	if _, err := c.Await(cw, 40*time.Second); err != nil {
		t.Fatalf("C after the relay died: %v", err)
	}
	t.Logf("C saw PEER_DISCONNECTED %v after the relay was killed", time.Since(killed).Round(time.Millisecond))
	if out, err := c.Do(40*time.Second, "send-wait 30"); err == nil || hrOf(err) == hrFail && strings.Contains(err.Error(), "pending") {
		t.Fatalf("the blocked sender did not fail: %q %v", out, err)
	}
	out, err := a.Await(reading, 40*time.Second)
	t.Logf("A's reader: %q %v", out, err)
	if _, err := a.Do(40*time.Second, "wait-direct %d disconnected 5", aID); err != nil {
		t.Fatalf("A after the relay died: %v", err)
	}
	t.Logf("both ends saw PEER_DISCONNECTED; the sender returned %v after the relay was killed",
		time.Since(killed).Round(time.Millisecond))
}

// hostOf is the lab host of a member named in natGroup.
func hostOf(name string) string {
	return map[string]string{"P": "public", "A": "host-a", "B": "host-b", "C": "host-c"}[name]
}
