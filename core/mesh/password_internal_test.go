package mesh

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

// TestPasswordFailureWindow: an address that gave failureLimit wrong
// passwords is refused until the oldest of them is failureWindow old, and
// only that address (on synctest's clock).
func TestPasswordFailureWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f failures
		bad, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
		for i := range failureLimit {
			if f.blocked(bad) {
				t.Fatalf("blocked after %d failures, limit %d", i, failureLimit)
			}
			f.add(bad)
			time.Sleep(time.Second)
		}
		if !f.blocked(bad) || f.blocked(other) {
			t.Fatalf("after %d failures: blocked %v, another address blocked %v", failureLimit, f.blocked(bad), f.blocked(other))
		}
		// The first failure was failureLimit seconds ago.
		time.Sleep(failureWindow - failureLimit*time.Second - time.Millisecond)
		if !f.blocked(bad) {
			t.Fatal("unblocked before the first failure left the window")
		}
		time.Sleep(2 * time.Millisecond)
		if f.blocked(bad) {
			t.Fatal("still blocked once the first failure left the window")
		}
		f.add(bad) // back at the limit
		if !f.blocked(bad) {
			t.Fatal("not blocked again at the limit")
		}
		time.Sleep(failureWindow + time.Millisecond)
		if f.blocked(bad) || len(f.m) != 0 {
			t.Fatalf("failures kept after the window: %v", f.m)
		}
	})
}
