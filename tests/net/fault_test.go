//go:build linux

package net_test

import (
	"testing"
	"time"
)

// TestFaultProxy runs three members through the fault proxy (see
// faultproxy_test.go) and, under each kind of fault, requires every
// member to converge on the same records (one digest) and direct
// messages to arrive whole, once and in order (peer.c checks every
// checksum and sequence number), printing how long each took:
//   - 10% loss, 5% duplication, 5% reordering, 10 ms delay with 10 ms jitter
//     (the joins and the first connections already run under it);
//   - a partition of the creator from the two others for 3 s, during
//     which each side publishes; the sides converge after it heals;
//   - a flapping network (down 300 ms, up 300 ms) with 5% loss, for 3 s.
func TestFaultProxy(t *testing.T) {
	t.Parallel()
	l := newFaultLab(t, 3)
	lossy := faults{Loss: 0.10, Dup: 0.05, Reorder: 0.05, ReorderBy: 30 * time.Millisecond,
		Delay: 10 * time.Millisecond, Jitter: 10 * time.Millisecond}
	l.proxy.set(lossy)

	dir := t.TempDir()
	names := []string{"a", "b", "c"}
	peers := make([]*Peer, len(names))
	for i, n := range names {
		peers[i] = l.startMember(dir, n, i)
		peers[i].Identity = peers[i].OK("startup %s", n)
	}
	a, b, c := peers[0], peers[1], peers[2]
	start := time.Now()
	before := l.proxy.snapshot()
	a.OK("create fault proxy")
	a.OK("connect")
	invite(t, a, b, c)
	b.Send("connect")
	c.Send("connect")
	waitAll(t, []*Peer{b, c}, 60*time.Second, "wait-ready 45")
	t.Logf("lossy: two members joined and were ready in %v", time.Since(start).Round(time.Millisecond))

	want := 0
	// publish has every member add n records and waits until all agree.
	publish := func(scenario string, n int) {
		t.Helper()
		start := time.Now()
		waitAll(t, peers, time.Minute, "add %d 300", n)
		want += 3 * n
		converge(t, peers, want, 60*time.Second)
		t.Logf("%s: %d records converged in %v", scenario, want, time.Since(start).Round(time.Millisecond))
	}
	// exchange opens a direct connection from x to y and sends n messages
	// of up to 64 KiB each way at once.
	exchange := func(scenario string, x, y *Peer, n int) {
		t.Helper()
		start := time.Now()
		xID, yID := openDirect(t, x, y)
		x.OK("send-bg %d %d %d skew 1", xID, n, 64<<10)
		y.OK("send-bg %d %d %d skew 2", yID, n, 64<<10)
		for _, r := range waitAll(t, []*Peer{x, y}, 2*time.Minute, "recv %d 90", n) {
			if got := field(t, r, "got"); got != int64(n) {
				t.Fatalf("%s: %d of %d messages arrived", scenario, got, n)
			}
		}
		waitAll(t, []*Peer{x, y}, time.Minute, "send-wait 30")
		x.OK("direct-close %d", xID)
		t.Logf("%s: 2 x %d direct messages %s<->%s intact in %v", scenario, n, x.Name, y.Name, time.Since(start).Round(time.Millisecond))
	}
	// injected checks that the proxy did inject faults and logs them.
	injected := func(scenario string, since proxyStats, check func(proxyStats) bool) {
		t.Helper()
		s := l.proxy.snapshot().sub(since)
		t.Logf("%s: %s", scenario, s)
		if !check(s) {
			t.Errorf("%s: the proxy did not inject the faults the scenario is about", scenario)
		}
	}

	publish("lossy", 30)
	exchange("lossy", a, b, 200)
	injected("lossy", before, func(s proxyStats) bool { return s.Lost > 0 && s.Duplicated > 0 && s.Reordered > 0 })

	// Partition: a on one side, b and c on the other.
	before = l.proxy.snapshot()
	l.proxy.set(faults{Cut: func(from, to int) bool { return (from == 0) != (to == 0) }})
	cut := time.Now()
	a.OK("add 20 300")
	b.OK("add 20 300")
	waitAll(t, []*Peer{b, c}, time.Minute, "wait-count %d 30", want+20)
	if n := field(t, "n="+a.OK("count"), "n"); n != int64(want+20) {
		t.Errorf("partition: the cut-off member holds %d records, want %d (of the new ones only its own)", n, want+20)
	}
	time.Sleep(3*time.Second - time.Since(cut))
	l.proxy.set(faults{})
	healed := time.Now()
	want += 40
	converge(t, peers, want, 60*time.Second)
	t.Logf("partition: cut for %v, then converged %v after it healed", healed.Sub(cut).Round(time.Millisecond),
		time.Since(healed).Round(time.Millisecond))
	exchange("after the partition", a, c, 100)
	injected("partition", before, func(s proxyStats) bool { return s.Cut > 0 })

	// Flapping: the network goes down for 300 ms, up for 300 ms, and so
	// on, for at least 3 s of records and direct messages.
	before = l.proxy.snapshot()
	l.proxy.set(faults{FlapEvery: 300 * time.Millisecond, Loss: 0.05})
	for flapping := time.Now(); time.Since(flapping) < 3*time.Second; {
		publish("flapping", 10)
		exchange("flapping", c, a, 100)
	}
	injected("flapping", before, func(s proxyStats) bool { return s.Flapped > 0 && s.Lost > 0 })
	l.proxy.set(faults{})
}
