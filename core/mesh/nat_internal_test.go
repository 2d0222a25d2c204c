package mesh

import (
	"net/netip"
	"testing"
	"time"

	"p2p/core/wire"
)

// TestKeepAlive: idle connections, direct or relayed, send something
// well within the 30 s after which many NATs forget a UDP mapping.
func TestKeepAlive(t *testing.T) {
	for name, c := range map[string]time.Duration{
		"direct": quicConfig().KeepAlivePeriod, "relayed": relayedQUICConfig().KeepAlivePeriod,
	} {
		if c <= 0 || c > 25*time.Second {
			t.Errorf("%s connections keep alive every %v, want at most 25 s", name, c)
		}
	}
}

// TestProbeAddress: probes go only to the address the coordinator saw,
// and only if the other side signed it.
func TestProbeAddress(t *testing.T) {
	seen := netip.MustParseAddrPort("198.51.100.11:4000")
	other := netip.MustParseAddrPort("192.0.2.1:53")
	for _, c := range []struct {
		observed netip.AddrPort
		signed   []netip.AddrPort
		want     netip.AddrPort
	}{
		{seen, []netip.AddrPort{other, seen}, seen},
		{seen, []netip.AddrPort{other}, netip.AddrPort{}}, // signed, but seen elsewhere
		{other, []netip.AddrPort{seen}, netip.AddrPort{}}, // a coordinator naming another address
		{netip.AddrPort{}, []netip.AddrPort{seen}, netip.AddrPort{}},
	} {
		if got := probeAddress(&wire.Punch{Observed: c.observed, Candidates: c.signed}); got != c.want {
			t.Errorf("observed %v, signed %v: probe %v, want %v", c.observed, c.signed, got, c.want)
		}
	}
}

// TestTokenBucket: a relay's rate bound lets a burst through, then the
// rate.
func TestTokenBucket(t *testing.T) {
	now := time.Now()
	b := newTokenBucket(1 << 20)
	b.at = now
	sent := 0
	for b.take(1200, now) {
		sent += 1200
	}
	if sent < 100<<10 || sent > 300<<10 {
		t.Fatalf("burst of %d bytes", sent)
	}
	if b.take(1200, now) {
		t.Fatal("over the burst")
	}
	if !b.take(1200, now.Add(10*time.Millisecond)) {
		t.Fatal("10 ms at 1 MiB/s refill no datagram")
	}
}
