package dht_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"p2p/core/dht"
)

// No goroutine of a node may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOfflineNodeLeavesNothing: a node with no bootstrap node to start
// from (offline: no name resolves) tries to bootstrap and, closed, leaves
// no traversal running (anacrolix's BootstrapContext would).
func TestOfflineNodeLeavesNothing(t *testing.T) {
	n, err := dht.Start(dht.Options{Listen: "127.0.0.1:0", Bootstrap: []string{"bootstrap.invalid:6881"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the first bootstrap has run and found nothing
	n.Close()
	goleak.VerifyNone(t)
}
