package net_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"p2p/core/dht/dhttest"
)

// TestDHTBench is the DHT benchmark of make bench (bench/run.sh sets
// P2P_DHT_BENCH=1; plain test runs skip it). In a private swarm of 20
// DHT nodes on loopback, an online inviter has published its addresses;
// each run times, from PeerGroupConnect to the first neighbour
// connection, two fresh invitees:
//
//   - one whose invitation was made while the inviter was offline (no
//     address): it starts its DHT node, looks the inviter up and dials
//     what it finds;
//   - one whose invitation carries the inviter's address: a direct dial,
//     the baseline.
//
// Both run with the DHT on, so the direct one pays for starting its DHT
// node too (it never needs a lookup).
func TestDHTBench(t *testing.T) {
	if os.Getenv("P2P_DHT_BENCH") != "1" {
		t.Skip("a benchmark: bench/run.sh runs it (P2P_DHT_BENCH=1)")
	}
	runs := 5
	swarm := dhttest.Start(t, 20)
	env := dhtEnv(swarm)
	dir := t.TempDir()
	a := startDHTPeer(t, dir, "inviter", env...)
	a.OK("create dht-bench")
	var offline []string // invitations made offline, one per run
	var invitees []*Peer
	for i := range runs {
		p := startDHTPeer(t, dir, fmt.Sprintf("lookup%d", i), env...)
		offline = append(offline, a.OK("invite %s", p.OK("identity-xml")))
		invitees = append(invitees, p)
	}
	a.OK("connect")
	deadline := time.Now().Add(30 * time.Second)
	for !logContains(a, "published in the DHT") {
		if time.Now().After(deadline) {
			t.Fatal("the inviter never published")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// time runs "connect" then "wait-neighbors 1" on p: milliseconds from
	// the call to the first neighbour.
	timeConnect := func(p *Peer) float64 {
		start := time.Now()
		p.OK("connect")
		p.OKWithin(time.Minute, "wait-neighbors 1 45")
		return float64(time.Since(start).Microseconds()) / 1e3
	}
	var lookup, direct []float64
	for i := range runs {
		invitees[i].OK("join %s", offline[i])
		lookup = append(lookup, timeConnect(invitees[i]))
		if !logContains(invitees[i], "member found in the DHT") {
			t.Fatal("connected without the DHT")
		}
		d := startDHTPeer(t, dir, fmt.Sprintf("direct%d", i), env...)
		invite(t, a, d) // online: the invitation carries the inviter's address
		direct = append(direct, timeConnect(d))
		invitees[i].Stop()
		d.Stop()
	}
	mmm := func(v []float64) string {
		s := slices.Clone(v)
		slices.Sort(s)
		return fmt.Sprintf("%.0f / %.0f / %.0f ms", s[0], s[len(s)/2], s[len(s)-1])
	}
	med := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
	verdict := "met"
	if med(lookup) > med(direct)+1000 {
		verdict = "missed"
	}
	fmt.Printf("SUMMARY|DHT: PeerGroupConnect to a neighbour, found by a DHT lookup (swarm of 20)|%s|direct dial %s|%.1fx (median)|lookup adds < 1 s|%s\n",
		mmm(lookup), mmm(direct), med(lookup)/max(med(direct), 0.5), verdict)
}
