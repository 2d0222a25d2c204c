package mesh_test

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/mesh"
	"p2p/core/peererr"
	"p2p/core/service"
)

var recType = uuid.MustParse("6b29fc40-ca47-1067-b31d-00dd010662da")

type member struct {
	svc *service.Service
	g   *service.Group
}

func newService(t *testing.T) *service.Service {
	t.Helper()
	svc, err := service.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	off := false
	svc.SetMeshOptions(mesh.Options{Listen: "127.0.0.1:0", Discovery: &off, SyncInterval: 2 * time.Second})
	t.Cleanup(func() { svc.Close() })
	return svc
}

// newGroup creates a group and n joiners, all online.
func newGroup(t *testing.T, joiners int) []*member {
	t.Helper()
	creatorSvc := newService(t)
	g, err := creatorSvc.CreateGroup(group.Properties{FriendlyName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Connect(nil); err != nil {
		t.Fatal(err)
	}
	out := []*member{{creatorSvc, g}}
	for i := 0; i < joiners; i++ {
		svc := newService(t)
		id, err := svc.Identities().Default()
		if err != nil {
			t.Fatal(err)
		}
		inv, err := g.CreateInvitation(id.XML(), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		jg, _, err := svc.JoinGroup("", inv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jg.Connect(nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, &member{svc, jg})
	}
	for _, m := range out[1:] {
		waitFor(t, 20*time.Second, "joiner ready", m.g.Ready)
	}
	return out
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func add(t *testing.T, g *service.Group, data string) uuid.UUID {
	t.Helper()
	id, err := g.AddRecord(group.NewRecord{Type: recType, Expires: filetime.Now().Add(time.Hour), Data: []byte(data)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func count(g *service.Group) int {
	n, _ := g.Engine().CountRecords(recType, true)
	return n
}

func TestJoinConnectReplicate(t *testing.T) {
	ms := newGroup(t, 2)
	for i, m := range ms {
		for j := 0; j < 20; j++ {
			add(t, m.g, fmt.Sprintf("m%d-%d", i, j))
		}
	}
	for _, m := range ms {
		waitFor(t, 20*time.Second, "convergence", func() bool { return count(m.g) == 60 })
	}
	// A deletion replicates too.
	ids, _ := ms[0].g.RecordIDs(&recType)
	var own uuid.UUID
	for _, id := range ids {
		if r, _ := ms[0].g.GetRecord(id); r.CreatorID == ms[0].g.Identity().PeerName {
			own = id
			break
		}
	}
	if err := ms[0].g.DeleteRecord(own); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		waitFor(t, 20*time.Second, "deletion", func() bool {
			_, err := m.g.GetRecord(own)
			return err != nil
		})
	}
	for _, m := range ms {
		if m.g.Status()&group.StatusHasConnections == 0 {
			t.Fatalf("status %#x", m.g.Status())
		}
	}
}

func TestOfflineMemberCatchesUp(t *testing.T) {
	ms := newGroup(t, 1)
	home := ms[1]
	name := home.g.GroupPeerName()
	// Take the joiner offline: close its only handle.
	if err := home.g.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		add(t, ms[0].g, fmt.Sprint("while away ", i))
	}
	g, err := home.svc.OpenGroup("", name)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.Connect([]netip.AddrPort{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "catch-up", func() bool { return count(g) == 200 })
}

// TestReconcileBothWays: two members that each wrote records and changed
// one of the other's while apart hold the same records once they meet
// again, through reconciliation alone.
func TestReconcileBothWays(t *testing.T) {
	ms := newGroup(t, 1)
	home := ms[1]
	name := home.g.GroupPeerName()
	shared := add(t, ms[0].g, "shared v1")
	waitFor(t, 20*time.Second, "shared record", func() bool { return count(home.g) == 1 })
	if err := home.g.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		add(t, ms[0].g, fmt.Sprint("creator's ", i))
	}
	if err := ms[0].g.UpdateRecord(group.NewRecord{ID: shared, Type: recType, Expires: filetime.Now().Add(time.Hour), Data: []byte("shared v2")}); err != nil {
		t.Fatal(err)
	}
	g, err := home.svc.OpenGroup("", name)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for i := range 150 {
		add(t, g, fmt.Sprint("joiner's ", i))
	}
	if _, err := g.Connect([]netip.AddrPort{}); err != nil {
		t.Fatal(err)
	}
	for _, gr := range []*service.Group{ms[0].g, g} {
		waitFor(t, 30*time.Second, "both ways", func() bool { return count(gr) == 301 })
		r, err := gr.GetRecord(shared)
		if err != nil || string(r.Data) != "shared v2" {
			t.Fatalf("shared record: %v %v", r, err)
		}
	}
}

func TestDirectConnection(t *testing.T) {
	ms := newGroup(t, 1)
	a, b := ms[0].g, ms[1].g
	subA, _ := a.Subscribe([]event.Filter{{Type: event.DirectConnection}, {Type: event.IncomingData}}, nil)
	subB, _ := b.Subscribe([]event.Filter{{Type: event.DirectConnection}, {Type: event.IncomingData}}, nil)
	if _, err := a.OpenDirectConnection(a.Identity().PeerName, netip.AddrPort{}); !errors.Is(err, peererr.ErrConnectSelf) {
		t.Fatalf("connect to self: %v", err)
	}
	id, err := a.OpenDirectConnection(b.Identity().PeerName, netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	ev := next(t, subA)
	if ev.Type != event.DirectConnection || ev.Connection.Status != event.Connected || ev.Connection.ConnectionID != id {
		t.Fatalf("opener event %+v", ev)
	}
	evB := next(t, subB)
	if evB.Connection.Status != event.Connected {
		t.Fatalf("acceptor event %+v", evB)
	}
	typ := uuid.New()
	for i := 0; i < 100; i++ {
		if err := a.SendData(id, typ, []byte(fmt.Sprint("msg ", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		ev := next(t, subB)
		if ev.Type != event.IncomingData || string(ev.Data.Data) != fmt.Sprint("msg ", i) || ev.Data.ConnectionID != evB.Connection.ConnectionID || ev.Data.DataType != typ {
			t.Fatalf("message %d: %+v", i, ev)
		}
	}
	// Reply on the acceptor's id.
	if err := b.SendData(evB.Connection.ConnectionID, typ, []byte("pong")); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, subA); string(ev.Data.Data) != "pong" || ev.Data.ConnectionID != id {
		t.Fatalf("reply %+v", ev)
	}
	if err := a.SendData(id+1000, typ, nil); !errors.Is(err, peererr.ErrConnectionNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := a.CloseDirectConnection(id); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, subB); ev.Type != event.DirectConnection || ev.Connection.Status != event.Disconnected {
		t.Fatalf("close event %+v", ev)
	}
	if err := a.SendData(id, typ, nil); !errors.Is(err, peererr.ErrConnectionNotFound) {
		t.Fatalf("closed id: %v", err)
	}
}

func next(t *testing.T, s interface{ Next() (event.Event, bool) }) event.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e, ok := s.Next(); ok {
			return e
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no event")
	return event.Event{}
}

func TestPasswordJoin(t *testing.T) {
	creator := newService(t)
	g, err := creator.CreateGroup(group.Properties{FriendlyName: "pw", AuthSchemes: group.AuthGMC | group.AuthPassword, Password: "open sesame"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Connect(nil); err != nil {
		t.Fatal(err)
	}
	inv, err := g.CreatePasswordInvitation()
	if err != nil {
		t.Fatal(err)
	}
	// A wrong password: AUTHENTICATION_FAILED, nothing joined.
	bad := newService(t)
	bg, _, err := bad.PasswordJoinGroup("", inv, "open sesamE")
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := bg.Subscribe([]event.Filter{{Type: event.AuthenticationFailed}}, nil)
	if _, err := bg.Connect(nil); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, reg); ev.Reason != peererr.ErrNotAuthorized.HR {
		t.Fatalf("auth failure event %+v", ev)
	}
	if bg.Ready() {
		t.Fatal("joined with a wrong password")
	}
	if ms, _ := g.Members(0, ""); len(ms) != 1 {
		t.Fatalf("wrong password changed the group: %d members", len(ms))
	}
	// The right password: a credential with the password role, then sync.
	good := newService(t)
	gg, _, err := good.PasswordJoinGroup("", inv, "open sesame")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gg.Connect(nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "password joiner ready", gg.Ready)
	add(t, gg, "from the password joiner")
	waitFor(t, 10*time.Second, "record at the creator", func() bool { return count(g) == 1 })
	ms, _ := g.Members(0, gg.Identity().PeerName)
	if len(ms) != 1 || !ms[0].Credential.HasRole(credential.RoleMember) {
		t.Fatalf("joiner's membership: %+v", ms)
	}
}

// A record that reaches a member from two neighbours is taken in once; the
// other copy only counts as a duplicate.
func TestFloodedCopyTakenOnce(t *testing.T) {
	ms := newGroup(t, 2)
	var stats []*mesh.Stats
	waitFor(t, 20*time.Second, "a full mesh", func() bool {
		stats = nil
		for _, m := range ms {
			n, _ := m.g.Engine().Network().(*mesh.Node)
			if n == nil || len(n.Neighbors()) != 2 {
				return false
			}
			stats = append(stats, n.Stats())
		}
		return true
	})
	duplicates := func() (sum int64) {
		for _, st := range stats {
			sum += st.DuplicateRecords.Load()
		}
		return sum
	}
	received := make([]int64, len(ms))
	for i, st := range stats {
		received[i] = st.ReceivedRecords.Load()
	}
	dupBefore := duplicates()
	// Each record goes from member 0 to both joiners, and each joiner
	// floods its first copy to the one neighbour it did not get it from:
	// four copies, two taken in, two duplicates somewhere.
	const n = 20
	for i := 0; i < n; i++ {
		add(t, ms[0].g, fmt.Sprint("flooded ", i))
	}
	waitFor(t, 20*time.Second, "every copy", func() bool {
		return count(ms[1].g) == n && count(ms[2].g) == n && duplicates()-dupBefore >= 2*n
	})
	for i, m := range ms[1:] {
		if got := stats[i+1].ReceivedRecords.Load() - received[i+1]; got != n {
			t.Errorf("%s took in %d records, want %d", m.g.Identity().PeerName, got, n)
		}
	}
}

// TestResumeRedials proves that Node.Resume (PeerGroupHandlePowerEvent on
// a resume) dials at once a member whose next dial was far away: after
// both members dropped their connection and deferred their dials for an
// hour they stay apart, and the one that resumes reconnects within
// seconds.
func TestResumeRedials(t *testing.T) {
	ms := newGroup(t, 1)
	nodes := make([]*mesh.Node, 2)
	waitFor(t, 20*time.Second, "two neighbours", func() bool {
		for i, m := range ms {
			nodes[i], _ = m.g.Engine().Network().(*mesh.Node)
			if nodes[i] == nil || len(nodes[i].Neighbors()) != 1 {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		n.DropAndDefer(time.Hour)
	}
	waitFor(t, 5*time.Second, "the connection to close", func() bool {
		return len(nodes[0].Neighbors()) == 0 && len(nodes[1].Neighbors()) == 0
	})
	time.Sleep(2 * time.Second)
	if n := len(nodes[1].Neighbors()); n != 0 {
		t.Fatalf("reconnected before Resume: %d neighbours", n)
	}
	nodes[1].Resume()
	waitFor(t, 5*time.Second, "Resume to reconnect", func() bool { return len(nodes[1].Neighbors()) == 1 })
}
