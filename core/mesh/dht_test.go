package mesh_test

import (
	"testing"
	"time"

	"p2p/core/dht"
	"p2p/core/dht/dhttest"
	"p2p/core/event"
	"p2p/core/group"
	"p2p/core/invitation"
	"p2p/core/mesh"
	"p2p/core/peererr"
	"p2p/core/service"
)

// serviceWith is newService with mesh options of the test's own.
func serviceWith(t *testing.T, o mesh.Options) *service.Service {
	t.Helper()
	svc, err := service.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	off := false
	o.Listen, o.Discovery = "127.0.0.1:0", &off
	svc.SetMeshOptions(o)
	t.Cleanup(func() { svc.Close() })
	return svc
}

// offlineInvitation creates a group on creator and, before it ever goes
// online, an invitation for joiner's identity, which joiner accepts. The
// invitation holds no address.
func offlineInvitation(t *testing.T, creator, joiner *service.Service) (*service.Group, *service.Group) {
	t.Helper()
	g, err := creator.CreateGroup(group.Properties{FriendlyName: "dht"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := joiner.Identities().Default()
	if err != nil {
		t.Fatal(err)
	}
	xml, err := g.CreateInvitation(id.XML(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv, err := invitation.Parse(xml); err != nil || len(inv.Addresses) != 0 {
		t.Fatalf("offline invitation: %v, addresses %v", err, inv.Addresses)
	}
	jg, _, err := joiner.JoinGroup("", xml)
	if err != nil {
		t.Fatal(err)
	}
	return g, jg
}

// TestDHTFindsInviter: an invitation made offline is usable: the inviter
// goes online later and the invitee finds it through a private DHT of 20
// nodes alone (no address anywhere, no LAN discovery).
func TestDHTFindsInviter(t *testing.T) {
	swarm := dhttest.Start(t, 20)
	o := mesh.Options{DHT: &dht.Options{Bootstrap: swarm.BootstrapList(3)}}
	creator, joiner := serviceWith(t, o), serviceWith(t, o)
	g, jg := offlineInvitation(t, creator, joiner)
	if _, err := g.Connect(nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := jg.Connect(nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the invitee synchronised", jg.Ready)
	t.Logf("ready %v after Connect", time.Since(start).Round(time.Millisecond))
}

// TestConnectionFailedAfterLookup: a joiner that knows no address raises
// CONNECTION_FAILED (PEER_E_NO_MEMBERS_FOUND) only once a DHT lookup
// round also found nobody; it asked for the lookup at once.
func TestConnectionFailedAfterLookup(t *testing.T) {
	var dir mesh.FakeDirectory
	creator := serviceWith(t, mesh.Options{DHT: &dht.Options{Off: true}})
	joiner := serviceWith(t, mesh.WithDirectory(mesh.Options{}, &dir))
	_, jg := offlineInvitation(t, creator, joiner)
	sub, err := jg.Subscribe([]event.Filter{{Type: event.ConnectionFailed}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jg.Connect(nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(8500 * time.Millisecond) // past the dial timeout and its margin
	if ev, ok := sub.Next(); ok {
		t.Fatalf("CONNECTION_FAILED before any lookup finished: %+v", ev)
	}
	if dir.Wants() == 0 {
		t.Fatal("no lookup asked for")
	}
	dir.FinishRound()
	if ev := next(t, sub); ev.Reason != peererr.ErrNoMembersFound.HR {
		t.Fatalf("CONNECTION_FAILED with %#x, want PEER_E_NO_MEMBERS_FOUND", ev.Reason)
	}
}
