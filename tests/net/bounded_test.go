package net_test

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Bounds of PeerGroupOpenDirectConnection (p2p.h).
const (
	hrOutOfMemory     = 0x8007000E
	maxPendingDirects = 64 // mesh.MaxPendingDirects
)

// TestDirectOpensBounded: 10,000 PeerGroupOpenDirectConnection calls to
// a member that died (its presence still says online) must not hold
// memory for each: at most 64 attempts are pending at once, the calls
// beyond get E_OUTOFMEMORY at once, every pending one ends with
// DIRECT_CONNECTION PEER_CONNECTION_FAILED, the member's RSS stays flat
// (it grew by 69 MB before the bound, with one address to dial; a probe
// with more saw 1 GB) and the bound is free again afterwards.
func TestDirectOpensBounded(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "bounded directs", 1)
	c, dead := g.Creator(), g.Members[1]
	c.OK("wait-member %s present 30", dead.Identity)
	port := ownPort(t, dead)
	dead.Kill()
	// The dead member's port swallows every packet, as a host that went
	// away behind a firewall does: each dial runs to its timeout.
	hole, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("take the dead member's port: %v", err)
	}
	defer hole.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := hole.ReadFrom(buf); err != nil {
				return
			}
		}
	}()

	base := c.RSS()
	var peak int64
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			r := c.RSS()
			mu.Lock()
			peak = max(peak, r)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	out := c.OKWithin(2*time.Minute, "direct-flood %s 10000", dead.Identity)
	ok, bounded, other := field(t, out, "ok"), field(t, out, "bounded"), field(t, out, "other")
	t.Logf("10,000 opens in %v: %d accepted, %d refused with E_OUTOFMEMORY",
		time.Since(start).Round(time.Millisecond), ok, bounded)
	if other != 0 || ok+bounded != 10000 {
		t.Fatalf("%s: every call must return S_OK or E_OUTOFMEMORY", out)
	}
	if bounded == 0 || ok < maxPendingDirects {
		t.Fatalf("%s: want the first %d accepted and the calls beyond the bound refused", out, maxPendingDirects)
	}
	// Every accepted attempt ends with CONNECTION_FAILED.
	deadline := time.Now().Add(time.Minute)
	for {
		n := field(t, "n="+c.OK("direct-failed"), "n")
		if n == ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted attempts reported CONNECTION_FAILED", n, ok)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("all %d attempts reported CONNECTION_FAILED after %v", ok, time.Since(start).Round(time.Millisecond))
	close(stop)
	<-sampled
	grew := peak - base
	t.Logf("RSS: %.1f MB before, peak %.1f MB (+%.1f MB), %.1f MB after", mb(base), mb(peak), mb(grew), mb(c.RSS()))
	if grew > 24<<20 {
		t.Errorf("RSS grew by %.1f MB for 10,000 opens to a dead member: pending attempts are not bounded", mb(grew))
	}
	// The bound is free again: a new attempt is accepted.
	if out := c.OK("direct-flood %s 1", dead.Identity); out != fmt.Sprintf("ok=1 bounded=0 other=0x%08x", 0) {
		t.Fatalf("after the attempts ended: %s", out)
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
