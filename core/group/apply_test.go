package group_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/record"
)

// members is a group of alice (creator, administrator) and bob (a joined
// member), as alice's engine sees it, plus carol, who is no member.
type members struct {
	w                 *world
	alice, bob, carol *identity.Identity
	a, b              *group.Engine
}

func newMembers(t *testing.T) *members {
	w := newWorld(t)
	m := &members{w: w, alice: w.identity("Alice"), bob: w.identity("Bob"), carol: w.identity("Carol")}
	m.a = w.create(m.alice, group.Properties{})
	m.b = w.join(m.a, m.bob, expiresIn(30*24*time.Hour))
	introduce(t, m.a, m.b)
	return m
}

// signed builds a version-1 application record created and signed by id.
func (m *members) signed(id *identity.Identity, data string) *record.Record {
	now := filetime.Now()
	r := &record.Record{Type: appType, ID: group.NewRecordID(m.a.GroupPeerName(), id.PeerName), Version: 1, CreatorID: id.PeerName, ModifiedByID: id.PeerName,
		Created: now, Modified: now, Expires: expiresIn(time.Hour), Data: []byte(data)}
	r.Sign(m.a.GroupPeerName(), id.Key)
	return r
}

// next is r's next version, modified and signed by id.
func (m *members) next(r *record.Record, id *identity.Identity, data string) *record.Record {
	n := r.Clone()
	n.Version++
	n.ModifiedByID = id.PeerName
	n.Modified = r.Modified + 10
	n.Data = []byte(data)
	n.Sign(m.a.GroupPeerName(), id.Key)
	return n
}

// apply applies recs at alice and checks the counts and, when nothing
// may be stored, that alice's database did not change at all.
func (m *members) apply(t *testing.T, wantStored, wantRejected int, recs ...*record.Record) {
	t.Helper()
	before := snapshot(t, m.a)
	stored, rejected, err := m.a.Apply(recs, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if stored != wantStored || rejected != wantRejected {
		t.Errorf("stored %d rejected %d, want %d and %d", stored, rejected, wantStored, wantRejected)
	}
	if wantStored == 0 && !sameSnapshot(before, snapshot(t, m.a)) {
		t.Error("database changed")
	}
}

func TestApplyAcceptsMemberRecords(t *testing.T) {
	m := newMembers(t)
	sub := m.a.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	defer sub.Close()
	r := m.signed(m.bob, "hi")
	m.apply(t, 1, 0, r)
	got, err := m.a.GetRecord(r.ID)
	if err != nil || !recordsEqual(got, r) {
		t.Fatalf("stored %+v, %v; want %+v", got, err, r)
	}
	if ev := nextEvent(t, sub); ev.Record.Change != event.RecordAdded || ev.Record.RecordID != r.ID {
		t.Errorf("event %+v", ev)
	}
	// The same record again changes nothing and raises nothing.
	m.apply(t, 0, 0, r)
	noEvent(t, sub)
	// Bob's update and deletion of his own record.
	v2 := m.next(r, m.bob, "hi again")
	m.apply(t, 1, 0, v2)
	if ev := nextEvent(t, sub); ev.Record.Change != event.RecordUpdated {
		t.Errorf("event %+v", ev)
	}
	tomb := v2.Clone()
	tomb.Version++
	tomb.Flags = record.FlagDeleted
	tomb.Data = nil
	tomb.Modified++
	tomb.Sign(m.a.GroupPeerName(), m.bob.Key)
	m.apply(t, 1, 0, tomb)
	if ev := nextEvent(t, sub); ev.Record.Change != event.RecordDeleted {
		t.Errorf("event %+v", ev)
	}
	// A record already expired on arrival is dropped silently.
	old := m.signed(m.bob, "stale")
	old.Expires = filetime.Now() - 1
	old.Sign(m.a.GroupPeerName(), m.bob.Key)
	m.apply(t, 0, 0, old)
}

func TestApplyRejects(t *testing.T) {
	m := newMembers(t)
	aliceRec := m.signed(m.alice, "alice's")
	m.apply(t, 1, 0, aliceRec)
	bobRec := m.signed(m.bob, "bob's v1")
	bobV2 := m.next(bobRec, m.bob, "bob's v2")
	m.apply(t, 2, 0, bobRec, bobV2)
	gname := m.a.GroupPeerName()

	t.Run("signed by a non-member", func(t *testing.T) {
		m.apply(t, 0, 1, m.signed(m.carol, "intruder"))
	})
	t.Run("member's name, non-member's key", func(t *testing.T) {
		r := m.signed(m.carol, "forged")
		r.CreatorID, r.ModifiedByID = m.bob.PeerName, m.bob.PeerName
		r.Sign(gname, m.carol.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("administrator's name, member's key", func(t *testing.T) {
		r := m.signed(m.bob, "forged")
		r.CreatorID, r.ModifiedByID = m.alice.PeerName, m.alice.PeerName
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("tampered data", func(t *testing.T) {
		r := m.signed(m.bob, "original")
		r.Data = []byte("tampered")
		m.apply(t, 0, 1, r)
	})
	t.Run("tampered version", func(t *testing.T) {
		r := m.next(bobV2, m.bob, "v3")
		r.Version = 9
		m.apply(t, 0, 1, r)
	})
	t.Run("tampered expiry", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.Expires += 1000
		m.apply(t, 0, 1, r)
	})
	t.Run("no signature", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.Signature = nil
		m.apply(t, 0, 1, r)
	})
	t.Run("signed for another group", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.Sign("0.elsewhere", m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("updated by a non-owner non-administrator", func(t *testing.T) {
		m.apply(t, 0, 1, m.next(aliceRec, m.bob, "bob was here"))
	})
	t.Run("deleted by a non-owner non-administrator", func(t *testing.T) {
		tomb := aliceRec.Clone()
		tomb.Version++
		tomb.Flags = record.FlagDeleted
		tomb.Data = nil
		tomb.ModifiedByID = m.bob.PeerName
		tomb.Modified++
		tomb.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, tomb)
	})
	t.Run("old version replayed", func(t *testing.T) {
		m.apply(t, 0, 0, bobRec)
		if got, _ := m.a.GetRecord(bobRec.ID); got.Version != 2 {
			t.Errorf("version %d after replay", got.Version)
		}
	})
	t.Run("creator changed under a known id", func(t *testing.T) {
		r := aliceRec.Clone()
		r.Version = 5
		r.CreatorID, r.ModifiedByID = m.bob.PeerName, m.bob.PeerName
		r.Modified += 10
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("type changed under a known id", func(t *testing.T) {
		r := m.next(bobV2, m.bob, "v3")
		r.Type = uuid.New()
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("another creator's id, before the creator's record arrives", func(t *testing.T) {
		// Bob publishes under an id bound to alice: refused, so that
		// alice's record is taken wherever it arrives second.
		theirs := m.signed(m.alice, "alice's")
		impostor := m.signed(m.bob, "bob's")
		impostor.ID = theirs.ID
		impostor.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, impostor)
		m.apply(t, 1, 0, theirs)
	})
	t.Run("a random id", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.ID = uuid.New()
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("first version by another than its creator", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.CreatorID = m.alice.PeerName
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("outlives its signer's credential", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.Expires = expiresIn(60 * 24 * time.Hour)
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("tombstone with data", func(t *testing.T) {
		r := m.next(bobV2, m.bob, "still here")
		r.Flags = record.FlagDeleted
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("unknown flag", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.Flags = 0x40
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("version zero", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.Version = 0
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("bad attributes", func(t *testing.T) {
		r := m.signed(m.bob, "x")
		r.Attributes = "<attributes><oops"
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
	})
	t.Run("properties by a non-administrator", func(t *testing.T) {
		props, err := group.StoreOf(m.a).List(storeQueryType(group.PropertiesType))
		if err != nil || len(props) != 1 {
			t.Fatalf("properties record: %d %v", len(props), err)
		}
		p := m.a.Properties()
		p.FriendlyName = "bob's group"
		data, _ := json.Marshal(p)
		r := props[0].Clone()
		r.Version++
		r.ModifiedByID = m.bob.PeerName
		r.Modified++
		r.Data = data
		r.Sign(gname, m.bob.Key)
		m.apply(t, 0, 1, r)
		if m.a.Properties().FriendlyName == "bob's group" {
			t.Error("properties changed")
		}
	})
	t.Run("member record of a forged credential", func(t *testing.T) {
		// Carol shows the administrator credential of a group of her own:
		// a valid chain, but not to this group's key.
		own := m.w.create(m.carol, group.Properties{})
		chain := own.Chain()
		mr := memberRecord(t, gname, m.carol, chain)
		// Her record travels in the same batch as her member record.
		m.apply(t, 0, 2, mr, m.signed(m.carol, "intruder"))
		if m.a.IsMember(m.carol.PeerName) {
			t.Error("carol became a member")
		}
	})
	t.Run("member record of someone else's credential", func(t *testing.T) {
		// Carol republishes bob's member record, signed by her.
		mr, err := group.StoreOf(m.a).Get(group.MemberRecordID(gname, m.bob.PeerName))
		if err != nil {
			t.Fatal(err)
		}
		r := mr.Clone()
		r.Version++
		r.ModifiedByID = m.carol.PeerName
		r.Sign(gname, m.carol.Key)
		m.apply(t, 0, 1, r)
	})

	// After all of that, alice holds exactly her two and bob's record.
	ids, _ := m.a.RecordIDs(nil)
	if len(ids) != 3 {
		t.Errorf("alice lists %d records, want 3", len(ids))
	}
	if err := group.StoreOf(m.a).IntegrityCheck(); err != nil {
		t.Error(err)
	}
}

// A batch mixing good and bad records stores the good ones only.
func TestApplyMixedBatch(t *testing.T) {
	m := newMembers(t)
	good1, good2 := m.signed(m.bob, "1"), m.signed(m.alice, "2")
	bad := m.signed(m.bob, "3")
	bad.Data = []byte("tampered")
	stored, rejected, err := m.a.Apply([]*record.Record{good1, bad, m.signed(m.carol, "4"), good2}, nil)
	if err != nil || stored != 2 || rejected != 2 {
		t.Fatalf("stored %d rejected %d err %v", stored, rejected, err)
	}
	for _, r := range []*record.Record{good1, good2} {
		if _, err := m.a.GetRecord(r.ID); err != nil {
			t.Errorf("good record %s: %v", r.ID, err)
		}
	}
	if _, err := m.a.GetRecord(bad.ID); err == nil {
		t.Error("tampered record stored")
	}
}

// A member's presence record is its own: another member may not create
// one under that member's presence id, which would squat it (the owner's
// own PublishPresence would then write a record whose creator is the
// squatter, and the presence table would credit the squatter).
func TestApplyRejectsPresenceSquatting(t *testing.T) {
	m := newMembers(t)
	gname := m.a.GroupPeerName()
	now := filetime.Now()
	// The presence id of alice, as the engine derives it (same scheme as
	// MemberRecordID).
	aliceID := uuid.NewSHA1(group.PresenceType, []byte(gname+"\x00"+m.alice.PeerName))
	data, _ := json.Marshal(map[string]any{"node": 7, "addrs": []string{"192.0.2.1:9"}})
	r := &record.Record{Type: group.PresenceType, ID: aliceID, Version: 1, Flags: record.FlagAutoRefresh,
		CreatorID: m.bob.PeerName, ModifiedByID: m.bob.PeerName, Created: now, Modified: now,
		Expires: expiresIn(5 * time.Minute), Data: data}
	r.Sign(gname, m.bob.Key)
	m.apply(t, 0, 1, r)
}

// MEMBER_CHANGED with PEER_MEMBER_JOINED when a new member's record
// arrives, and no second JOINED for a newer version of it.
func TestMemberJoinedEvent(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{})
	sub := a.Subscribe([]event.Filter{{Type: event.MemberChanged}}, nil)
	defer sub.Close()
	b := w.join(a, bob, 0)
	noEvent(t, sub) // nothing has reached alice yet
	introduce(t, a, b)
	ev := nextEvent(t, sub)
	if ev.Type != event.MemberChanged || ev.Member.Change != event.MemberJoined || ev.Member.Identity != bob.PeerName {
		t.Fatalf("event %+v, want JOINED of bob", ev)
	}
	noEvent(t, sub)
	if !a.IsMember(bob.PeerName) {
		t.Error("bob not a member at alice")
	}
	ms, _ := a.Members(0, bob.PeerName)
	if len(ms) != 1 || ms[0].PeerName != bob.PeerName || ms[0].Credential.HasRole(credential.RoleAdmin) {
		t.Errorf("members(bob) = %+v", ms)
	}
	// Filters on other event types see nothing.
	rec := a.Subscribe([]event.Filter{{Type: event.RecordChanged}, {Type: event.StatusChanged}}, nil)
	defer rec.Close()
	introduce2 := func() {
		r, _ := group.StoreOf(b).Get(group.MemberRecordID(b.GroupPeerName(), bob.PeerName))
		a.Apply([]*record.Record{r}, nil)
	}
	introduce2()
	noEvent(t, rec)
	noEvent(t, sub)
}

func TestStatusEvent(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	sub := a.Subscribe([]event.Filter{{Type: event.StatusChanged}}, nil)
	defer sub.Close()
	a.SetStatus(group.StatusListening)
	a.SetStatus(group.StatusListening)
	ev := nextEvent(t, sub)
	if ev.Status != group.StatusListening {
		t.Errorf("status event %+v", ev)
	}
	noEvent(t, sub)
	if a.Status() != group.StatusListening {
		t.Errorf("status %#x", a.Status())
	}
}

// Closing the engine ends its subscriptions.
func TestCloseEndsSubscriptions(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	e, err := group.Create(alice, group.Properties{}, w.dbPath(alice))
	if err != nil {
		t.Fatal(err)
	}
	sub := e.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	add(t, e, newRec("x"))
	e.Close()
	if n := sub.Len(); n != 0 {
		t.Errorf("%d events left queued after close", n)
	}
}

func memberRecord(t *testing.T, gname string, id *identity.Identity, chain credential.Chain) *record.Record {
	t.Helper()
	b, err := chain.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"friendlyName": id.FriendlyName, "chain": b})
	now := filetime.Now()
	r := &record.Record{Type: group.MemberType, ID: group.MemberRecordID(gname, id.PeerName), Version: 1,
		CreatorID: id.PeerName, ModifiedByID: id.PeerName, Created: now, Modified: now,
		Expires: chain.Leaf().NotAfter, Data: data}
	r.Sign(gname, id.Key)
	return r
}
