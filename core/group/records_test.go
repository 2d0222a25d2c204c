package group_test

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/store"
)

func TestAddRecord(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	a := w.create(alice, group.Properties{})
	exp := expiresIn(time.Hour)
	before := filetime.Now()
	id := add(t, a, group.NewRecord{Type: appType, Expires: exp, Data: []byte("hello"), Flags: record.FlagAutoRefresh,
		Attributes: `<attributes><attribute name="k" type="string">v</attribute></attributes>`})
	r, err := a.GetRecord(id)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case r.ID != id || r.Type != appType || r.Version != 1 || r.Flags != record.FlagAutoRefresh:
		t.Errorf("id/type/version/flags: %+v", r)
	case r.CreatorID != alice.PeerName || r.ModifiedByID != alice.PeerName:
		t.Errorf("creator %q modifier %q", r.CreatorID, r.ModifiedByID)
	case r.Expires != exp || r.Created < before || r.Modified != r.Created:
		t.Errorf("times: created %v modified %v expires %v", r.Created, r.Modified, r.Expires)
	case string(r.Data) != "hello" || r.Attributes == "":
		t.Errorf("data %q attributes %q", r.Data, r.Attributes)
	case !r.Verify(a.GroupPeerName(), alice.PublicKey()):
		t.Error("record not signed by its creator")
	}
	// Distinct ids, listed oldest first.
	id2 := add(t, a, newRec("second"))
	ids, err := a.RecordIDs(nil)
	if err != nil || !slices.Equal(ids, []uuid.UUID{id, id2}) {
		t.Errorf("record ids %v, %v; want %v", ids, err, []uuid.UUID{id, id2})
	}
	// An empty record is a record.
	id3 := add(t, a, group.NewRecord{Type: appType, Expires: exp})
	if r, err := a.GetRecord(id3); err != nil || len(r.Data) != 0 {
		t.Errorf("empty record: %v %v", r, err)
	}
}

func TestAddRecordRefusals(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{})
	before := snapshot(t, a)
	tests := []struct {
		name string
		rec  group.NewRecord
		code *peererr.Code
	}{
		{"nil type", group.NewRecord{Expires: expiresIn(time.Hour)}, peererr.ErrInvalidArg},
		{"system type", group.NewRecord{Type: group.MemberType, Expires: expiresIn(time.Hour)}, peererr.ErrInvalidArg},
		{"properties type", group.NewRecord{Type: group.PropertiesType, Expires: expiresIn(time.Hour)}, peererr.ErrInvalidArg},
		{"deleted flag", group.NewRecord{Type: appType, Flags: record.FlagDeleted, Expires: expiresIn(time.Hour)}, peererr.ErrInvalidArg},
		{"unknown flag", group.NewRecord{Type: appType, Flags: 0x10, Expires: expiresIn(time.Hour)}, peererr.ErrInvalidArg},
		{"expires now", group.NewRecord{Type: appType, Expires: filetime.Now()}, peererr.ErrInvalidRecordExpiration},
		{"expired", group.NewRecord{Type: appType, Expires: filetime.Now() - 10_000_000}, peererr.ErrInvalidRecordExpiration},
		{"no expiry", group.NewRecord{Type: appType}, peererr.ErrInvalidRecordExpiration},
		{"bad attributes", group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Attributes: "<attributes><attribute"}, peererr.ErrInvalidAttributes},
		{"untyped attribute", group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Attributes: `<attributes><attribute name="a" type="float">1</attribute></attributes>`}, peererr.ErrInvalidAttributes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.AddRecord(tc.rec)
			wantCode(t, err, tc.code)
		})
	}
	if !sameSnapshot(before, snapshot(t, a)) {
		t.Error("refused records changed the database")
	}

	// A member cannot publish a record that outlives its credential.
	b := w.join(a, bob, expiresIn(48*time.Hour))
	if err := b.MarkReady(); err != nil {
		t.Fatal(err)
	}
	_, err := b.AddRecord(group.NewRecord{Type: appType, Expires: expiresIn(72 * time.Hour)})
	wantCode(t, err, peererr.ErrInvalidRecordExpiration)
	add(t, b, group.NewRecord{Type: appType, Expires: expiresIn(24 * time.Hour)})
}

func TestAddRecordTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 60 MB")
	}
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	_, err := a.AddRecord(group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Data: make([]byte, record.MaxDataSize+1)})
	wantCode(t, err, peererr.ErrMaxRecordSizeExceeded)
}

func TestUpdateDeleteVersions(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	a := w.create(alice, group.Properties{})
	id := add(t, a, newRec("v1"))
	v1, _ := a.GetRecord(id)

	exp := expiresIn(2 * time.Hour)
	if err := a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: exp, Data: []byte("v2"),
		Attributes: `<attributes><attribute name="x" type="int">2</attribute></attributes>`}); err != nil {
		t.Fatal(err)
	}
	v2, err := a.GetRecord(id)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || string(v2.Data) != "v2" || v2.Expires != exp || v2.Created != v1.Created ||
		v2.Modified <= v1.Modified || v2.CreatorID != alice.PeerName || v2.Attributes == "" {
		t.Errorf("after update: %+v (before %+v)", v2, v1)
	}
	if !v2.Verify(a.GroupPeerName(), alice.PublicKey()) {
		t.Error("updated record not re-signed")
	}
	if record.Compare(v2, v1) <= 0 {
		t.Error("update does not win the conflict rule over its predecessor")
	}
	// Type cannot change; unknown and system ids are not found.
	wantCode(t, a.UpdateRecord(group.NewRecord{ID: id, Type: uuid.New(), Expires: exp}), peererr.ErrInvalidArg)
	wantCode(t, a.UpdateRecord(group.NewRecord{ID: uuid.New(), Type: appType, Expires: exp}), peererr.ErrRecordNotFound)
	memberID := group.MemberRecordID(a.GroupPeerName(), alice.PeerName)
	wantCode(t, a.DeleteRecord(memberID), peererr.ErrRecordNotFound)
	if _, err := a.GetRecord(memberID); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("GetRecord of a system record: %v", err)
	}
	// The invalid update left version 2 in place.
	if cur, _ := a.GetRecord(id); cur.Version != 2 {
		t.Errorf("version %d after refused updates", cur.Version)
	}

	if err := a.DeleteRecord(id); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetRecord(id); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if ids, _ := a.RecordIDs(nil); len(ids) != 0 {
		t.Errorf("deleted record still listed: %v", ids)
	}
	// The tombstone is stored, signed, one version up, without data.
	tomb, err := group.StoreOf(a).Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if !tomb.Deleted() || tomb.Version != 3 || len(tomb.Data) != 0 || !tomb.Verify(a.GroupPeerName(), alice.PublicKey()) {
		t.Errorf("tombstone %+v", tomb)
	}
	wantCode(t, a.DeleteRecord(id), peererr.ErrRecordNotFound)
	wantCode(t, a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: exp}), peererr.ErrRecordNotFound)
	wantCode(t, a.DeleteRecord(uuid.New()), peererr.ErrRecordNotFound)
}

func TestRecordIDsAndSearch(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	other := uuid.MustParse("11111111-2222-4333-8444-555555555555")
	attr := func(n int, s string) string {
		return `<attributes><attribute name="n" type="int">` + string(rune('0'+n)) + `</attribute>` +
			`<attribute name="s" type="string">` + s + `</attribute></attributes>`
	}
	r1 := add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Attributes: attr(1, "apple")})
	r2 := add(t, a, group.NewRecord{Type: other, Expires: expiresIn(time.Hour), Attributes: attr(2, "apricot")})
	r3 := add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Attributes: attr(3, "banana")})
	r4 := add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(time.Hour)})

	if ids, err := a.RecordIDs(&appType); err != nil || !slices.Equal(ids, []uuid.UUID{r1, r3, r4}) {
		t.Errorf("ids of appType: %v %v", ids, err)
	}
	if ids, err := a.RecordIDs(&other); err != nil || !slices.Equal(ids, []uuid.UUID{r2}) {
		t.Errorf("ids of other: %v %v", ids, err)
	}
	unused := uuid.New()
	if ids, err := a.RecordIDs(&unused); err != nil || len(ids) != 0 {
		t.Errorf("ids of an unused type: %v %v", ids, err)
	}
	for _, st := range []uuid.UUID{group.MemberType, group.PropertiesType} {
		if ids, err := a.RecordIDs(&st); err != nil || len(ids) != 0 {
			t.Errorf("ids of system type %s: %v %v", st, ids, err)
		}
	}

	search := func(q string) []uuid.UUID {
		t.Helper()
		ids, err := a.SearchRecords(`<peersearch>` + q + `</peersearch>`)
		if err != nil {
			t.Fatalf("search %s: %v", q, err)
		}
		return ids
	}
	if got := search(`<clause attrib="s" type="string" compare="equal">ap*</clause>`); !slices.Equal(got, []uuid.UUID{r1, r2}) {
		t.Errorf("wildcard: %v", got)
	}
	if got := search(`<clause attrib="n" type="int" compare="greaterorequal">2</clause>`); !slices.Equal(got, []uuid.UUID{r2, r3}) {
		t.Errorf("int >= 2: %v", got)
	}
	if got := search(`<and><clause attrib="n" type="int" compare="less">3</clause><clause attrib="s" type="string" compare="notequal">apple</clause></and>`); !slices.Equal(got, []uuid.UUID{r2}) {
		t.Errorf("and: %v", got)
	}
	if got := search(`<clause attrib="s" type="string" compare="equal">cherry</clause>`); len(got) != 0 {
		t.Errorf("no match: %v", got)
	}
	if got := search(`<clause attrib="peercreatorid" type="string" compare="equal">` + a.Identity().PeerName + `</clause>`); len(got) != 4 {
		t.Errorf("by creator: %v", got)
	}
	// Updated attributes are searched; deleted records are not.
	if err := a.UpdateRecord(group.NewRecord{ID: r3, Type: appType, Expires: expiresIn(time.Hour), Attributes: attr(3, "apex")}); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteRecord(r1); err != nil {
		t.Fatal(err)
	}
	if got := search(`<clause attrib="s" type="string" compare="equal">ap*</clause>`); !slices.Equal(got, []uuid.UUID{r2, r3}) {
		t.Errorf("after update and delete: %v", got)
	}
	_, err := a.SearchRecords(`<peersearch><clause attrib="n" type="int" compare="sideways">1</clause></peersearch>`)
	wantCode(t, err, peererr.ErrInvalidSearch)
	if _, err := a.SearchRecords(`not xml`); err == nil {
		t.Error("search with garbage criteria succeeded")
	}
}

// A member that is neither the creator of a record nor an administrator
// may not update or delete it; it may change its own. An administrator
// may change anyone's.
func TestOwnership(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{})
	aliceRec := add(t, a, newRec("alice's"))
	b := w.join(a, bob, 0)
	introduce(t, a, b)

	// Bob receives alice's records, completes his first synchronisation.
	file := t.TempDir() + "/a.db"
	if err := a.ExportDatabase(file); err != nil {
		t.Fatal(err)
	}
	// (Rejections are TestPropertiesReplicate's business.)
	if _, _, err := b.ImportDatabase(file); err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := b.MarkReady(); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, b)
	wantCode(t, b.UpdateRecord(group.NewRecord{ID: aliceRec, Type: appType, Expires: expiresIn(time.Hour), Data: []byte("bob was here")}), peererr.ErrNotAuthorized)
	wantCode(t, b.DeleteRecord(aliceRec), peererr.ErrNotAuthorized)
	if !sameSnapshot(before, snapshot(t, b)) {
		t.Error("refused changes changed the database")
	}

	bobRec := add(t, b, newRec("bob's"))
	if err := b.UpdateRecord(group.NewRecord{ID: bobRec, Type: appType, Expires: expiresIn(time.Hour), Data: []byte("bob's v2")}); err != nil {
		t.Fatalf("bob updates his own record: %v", err)
	}
	// Alice, an administrator, may change bob's record once she has it.
	r, _ := group.StoreOf(b).Get(bobRec)
	if stored, rejected, err := a.Apply([]*record.Record{r}, nil); stored != 1 || rejected != 0 || err != nil {
		t.Fatalf("apply bob's record at alice: %d %d %v", stored, rejected, err)
	}
	if err := a.UpdateRecord(group.NewRecord{ID: bobRec, Type: appType, Expires: expiresIn(time.Hour), Data: []byte("moderated")}); err != nil {
		t.Fatalf("administrator updates a member's record: %v", err)
	}
	got, _ := a.GetRecord(bobRec)
	if got.CreatorID != bob.PeerName || got.ModifiedByID != alice.PeerName || got.Version != 3 {
		t.Errorf("moderated record: creator %q modifier %q version %d", got.CreatorID, got.ModifiedByID, got.Version)
	}
	// ...and bob accepts the administrator's change.
	if stored, rejected, err := b.Apply([]*record.Record{got}, nil); stored != 1 || rejected != 0 || err != nil {
		t.Fatalf("apply admin's update at bob: %d %d %v", stored, rejected, err)
	}
	if err := a.DeleteRecord(bobRec); err != nil {
		t.Fatalf("administrator deletes a member's record: %v", err)
	}
}

func TestRecordEvents(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	all := a.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	defer all.Close()
	other := uuid.New()
	onlyOther := a.Subscribe([]event.Filter{{Type: event.RecordChanged, DataType: &other}}, nil)
	defer onlyOther.Close()
	members := a.Subscribe([]event.Filter{{Type: event.MemberChanged}}, nil)
	defer members.Close()

	want := func(sub *event.Subscription, change uint32, id uuid.UUID, typ uuid.UUID) {
		t.Helper()
		ev := nextEvent(t, sub)
		if ev.Type != event.RecordChanged || ev.Record.Change != change || ev.Record.RecordID != id || ev.Record.RecordType != typ {
			t.Errorf("event %+v, want change %d of %s", ev, change, id)
		}
	}
	id := add(t, a, newRec("x"))
	want(all, event.RecordAdded, id, appType)
	if err := a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: expiresIn(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want(all, event.RecordUpdated, id, appType)
	if err := a.DeleteRecord(id); err != nil {
		t.Fatal(err)
	}
	want(all, event.RecordDeleted, id, appType)
	noEvent(t, all)
	noEvent(t, onlyOther)

	oid := add(t, a, group.NewRecord{Type: other, Expires: expiresIn(time.Hour)})
	want(all, event.RecordAdded, oid, other)
	want(onlyOther, event.RecordAdded, oid, other)
	// Refused writes raise nothing; neither do system records.
	a.AddRecord(group.NewRecord{Type: appType})
	p := a.Properties()
	p.Comment = "changed"
	if err := a.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	noEvent(t, all)
	noEvent(t, members)
}

// TestExpiry runs on testing/synctest's clock: records live for minutes
// and the test takes no time.
func TestExpiry(t *testing.T) { synctest.Test(t, testExpiry) }

func testExpiry(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	sub := a.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	defer sub.Close()
	keep := add(t, a, newRec("stays"))
	nextEvent(t, sub)
	short := add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(7 * time.Minute), Data: []byte("goes")})
	nextEvent(t, sub)
	// A deleted record's tombstone expires silently.
	gone := add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(5 * time.Minute)})
	nextEvent(t, sub)
	if err := a.DeleteRecord(gone); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, sub)

	time.Sleep(6 * time.Minute)
	synctest.Wait()
	noEvent(t, sub)
	if _, err := a.GetRecord(short); err != nil {
		t.Errorf("record expired early: %v", err)
	}
	time.Sleep(time.Minute + time.Second)
	synctest.Wait()
	ev := nextEvent(t, sub)
	if ev.Record.Change != event.RecordExpired || ev.Record.RecordID != short || ev.Record.RecordType != appType {
		t.Fatalf("event %+v, want expiry of %s", ev, short)
	}
	noEvent(t, sub)
	if _, err := a.GetRecord(short); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("expired record: %v", err)
	}
	if _, err := group.StoreOf(a).Get(gone); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("expired tombstone still stored: %v", err)
	}
	if ids, _ := a.RecordIDs(nil); !slices.Equal(ids, []uuid.UUID{keep}) {
		t.Errorf("ids after expiry %v", ids)
	}
	// An expired record cannot be updated.
	wantCode(t, a.UpdateRecord(group.NewRecord{ID: short, Type: appType, Expires: expiresIn(time.Hour)}), peererr.ErrRecordNotFound)
}

// A store wakes the expiry loop only for a record that expires before
// the loop next looks: writing records that expire later costs the loop
// no query, and one that expires sooner is still removed on time.
func TestExpiryWokenOnlyWhenSooner(t *testing.T) { synctest.Test(t, testExpiryWokenOnlyWhenSooner) }

func testExpiryWokenOnlyWhenSooner(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	sub := a.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	defer sub.Close()
	for range 50 {
		add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(3 * time.Hour)})
		nextEvent(t, sub)
	}
	synctest.Wait()
	before := group.ExpiryScans(a)
	for range 50 {
		add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(3 * time.Hour)})
		nextEvent(t, sub)
	}
	synctest.Wait()
	if n := group.ExpiryScans(a) - before; n != 0 {
		t.Errorf("50 records expiring later woke the expiry loop %d times, want 0", n)
	}
	soon := add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(10 * time.Minute)})
	nextEvent(t, sub)
	synctest.Wait()
	if n := group.ExpiryScans(a) - before; n != 1 {
		t.Errorf("a record expiring sooner woke the expiry loop %d times, want 1", n)
	}
	time.Sleep(10*time.Minute + time.Second)
	synctest.Wait()
	ev := nextEvent(t, sub)
	if ev.Record.Change != event.RecordExpired || ev.Record.RecordID != soon {
		t.Fatalf("event %+v, want expiry of %s", ev, soon)
	}
}

// Records expire even if the engine was closed when they expired: they are
// gone, and announced, after the next open (on synctest's clock).
func TestExpiryAcrossReopen(t *testing.T) { synctest.Test(t, testExpiryAcrossReopen) }

func testExpiryAcrossReopen(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	e, err := group.Create(alice, group.Properties{}, w.dbPath(alice))
	if err != nil {
		t.Fatal(err)
	}
	path := w.dbPath(alice)(e.GroupPeerName())
	id := add(t, e, group.NewRecord{Type: appType, Expires: expiresIn(30 * time.Minute)})
	e.Close()
	time.Sleep(40 * time.Minute)
	r, err := group.Open(alice, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.GetRecord(id); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("record expired while closed: %v", err)
	}
	synctest.Wait()
	if _, err := group.StoreOf(r).Get(id); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Fatalf("record that expired while closed never removed: %v", err)
	}
}

func TestIssueCredentials(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{})
	_, err := a.IssueCredentials(bob.PeerName, nil, 0)
	wantCode(t, err, peererr.ErrNotFound)
	_, err = a.IssueCredentials(bob.PeerName, &group.CredentialInfo{PublicKey: alice.PublicKey()}, 0)
	wantCode(t, err, peererr.ErrInvalidCredentialInfo)
	_, err = a.IssueCredentials(bob.PeerName, nil, 0x10)
	wantCode(t, err, peererr.ErrInvalidArg)
	_, err = a.IssueCredentials("not a peer name", nil, 0)
	if err == nil {
		t.Error("credentials for a malformed peer name")
	}

	notAfter := expiresIn(10 * 24 * time.Hour)
	xml, err := a.IssueCredentials(bob.PeerName, &group.CredentialInfo{
		FriendlyName: "Bob", PublicKey: bob.PublicKey(), NotAfter: notAfter,
		Roles: []uuid.UUID{credential.RoleInvitingMember}}, group.IssueFlagStore)
	if err != nil {
		t.Fatal(err)
	}
	if xml == "" {
		t.Fatal("no invitation returned")
	}
	// Stored for bob to pick up: a system record, not an application one.
	if ids, _ := a.RecordIDs(nil); len(ids) != 0 {
		t.Errorf("credential listed as application record: %v", ids)
	}
	creds, err := group.StoreOf(a).List(storeQueryType(group.CredentialType))
	if err != nil || len(creds) != 1 {
		t.Fatalf("stored credentials %d, %v", len(creds), err)
	}

	// Renewal from what the group knows of a member.
	b := w.join(a, bob, 0)
	introduce(t, a, b)
	if _, err := a.IssueCredentials(bob.PeerName, nil, 0); err != nil {
		t.Errorf("renew a known member: %v", err)
	}
	// Bob picks up the stored credential when it arrives, with its
	// issuer's member record.
	am, err := group.StoreOf(a).Get(group.MemberRecordID(a.GroupPeerName(), alice.PeerName))
	if err != nil {
		t.Fatal(err)
	}
	if s, r, err := b.Apply(append(creds, am), nil); s != 2 || r != 0 || err != nil {
		t.Fatalf("apply credential at bob: %d %d %v", s, r, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !b.Chain().Leaf().HasRole(credential.RoleInvitingMember) {
		if time.Now().After(deadline) {
			t.Fatal("bob did not adopt the stored credential")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := b.Chain().Leaf().NotAfter; got != notAfter {
		t.Errorf("adopted credential ends %v, want %v", got.Time(), notAfter.Time())
	}
}

func storeQueryType(t uuid.UUID) store.Query { return store.Query{Type: &t, IncludeDeleted: true} }

// recordsEqual compares two records field by field.
func recordsEqual(a, b *record.Record) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Version == b.Version && a.Flags == b.Flags &&
		a.CreatorID == b.CreatorID && a.ModifiedByID == b.ModifiedByID && a.Attributes == b.Attributes &&
		a.Created == b.Created && a.Expires == b.Expires && a.Modified == b.Modified &&
		bytes.Equal(a.Data, b.Data) && bytes.Equal(a.Signature, b.Signature)
}

// An update that extends a record's life keeps it from expiring at its
// old time (on synctest's clock).
func TestUpdateExtendsExpiry(t *testing.T) { synctest.Test(t, testUpdateExtendsExpiry) }

func testUpdateExtendsExpiry(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	sub := a.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	defer sub.Close()
	id := add(t, a, group.NewRecord{Type: appType, Expires: expiresIn(10 * time.Minute)})
	if err := a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: expiresIn(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, sub)
	nextEvent(t, sub)
	time.Sleep(20 * time.Minute)
	synctest.Wait()
	noEvent(t, sub)
	if _, err := a.GetRecord(id); err != nil {
		t.Fatalf("extended record expired at its old time: %v", err)
	}
	// And one that shortens it expires at the new time.
	if err := a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: expiresIn(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, sub)
	time.Sleep(5*time.Minute - time.Second)
	synctest.Wait()
	noEvent(t, sub)
	time.Sleep(2 * time.Second)
	synctest.Wait()
	if ev := nextEvent(t, sub); ev.Record.Change != event.RecordExpired || ev.Record.RecordID != id {
		t.Fatalf("event %+v, want expiry", ev)
	}
}

// Writers and readers at once on one engine: every write lands once, in
// its final version, and each raises exactly one event.
func TestConcurrentWriters(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	sub := a.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	defer sub.Close()
	const writers, each = 6, 15
	ids := make([][]uuid.UUID, writers)
	errc := make(chan error, writers+2)
	done := make(chan struct{})
	for i := range writers {
		go func() {
			for j := range each {
				id, err := a.AddRecord(group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Data: []byte{byte(i), byte(j)},
					Attributes: `<attributes><attribute name="w" type="int">` + string(rune('0'+i)) + `</attribute></attributes>`})
				if err != nil {
					errc <- err
					return
				}
				if err := a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: expiresIn(time.Hour), Data: []byte{byte(i), byte(j), 2},
					Attributes: `<attributes><attribute name="w" type="int">` + string(rune('0'+i)) + `</attribute></attributes>`}); err != nil {
					errc <- err
					return
				}
				ids[i] = append(ids[i], id)
			}
			errc <- nil
		}()
	}
	for range 2 {
		go func() {
			for {
				select {
				case <-done:
					errc <- nil
					return
				default:
				}
				if _, err := a.RecordIDs(&appType); err != nil {
					errc <- err
					return
				}
				if _, err := a.SearchRecords(`<peersearch><clause attrib="w" type="int" compare="equal">1</clause></peersearch>`); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for range writers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	all, err := a.RecordIDs(&appType)
	if err != nil || len(all) != writers*each {
		t.Fatalf("%d records, want %d (%v)", len(all), writers*each, err)
	}
	for i := range writers {
		for j, id := range ids[i] {
			r, err := a.GetRecord(id)
			if err != nil || r.Version != 2 || !bytes.Equal(r.Data, []byte{byte(i), byte(j), 2}) {
				t.Fatalf("record %d/%d: %+v %v", i, j, r, err)
			}
		}
	}
	if got, _ := a.SearchRecords(`<peersearch><clause attrib="w" type="int" compare="equal">1</clause></peersearch>`); len(got) != each {
		t.Errorf("search finds %d of writer 1's %d", len(got), each)
	}
	if n := sub.Len(); n != 2*writers*each {
		t.Errorf("%d events, want %d", n, 2*writers*each)
	}
}

// TestRecordWritesAreAtomic races writers on one record, as the probe
// of issue 13 did: 8 goroutines deleting it get exactly one S_OK (the
// others PEER_E_RECORD_NOT_FOUND); 8 updating it all succeed, the last
// version counting each; a delete racing an update is never undone (if
// the delete said S_OK the record is gone).
func TestRecordWritesAreAtomic(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	const writers, rounds = 8, 60
	race := func(fn func(i int) error) []error {
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = fn(i)
			}()
		}
		close(start)
		wg.Wait()
		return errs
	}
	for round := range rounds {
		id := add(t, a, newRec("x"))
		ok := 0
		for _, err := range race(func(int) error { return a.DeleteRecord(id) }) {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, peererr.ErrRecordNotFound):
				t.Fatalf("round %d: delete: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of %d concurrent deletes of one record said S_OK, want 1", round, ok, writers)
		}

		id = add(t, a, newRec("x"))
		for _, err := range race(func(i int) error {
			return a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: expiresIn(time.Hour), Data: []byte{byte(i)}})
		}) {
			if err != nil {
				t.Fatalf("round %d: concurrent update: %v", round, err)
			}
		}
		if r, err := a.GetRecord(id); err != nil || r.Version != 1+writers {
			t.Fatalf("round %d: after %d updates: %v version %d, want %d", round, writers, err, r.Version, 1+writers)
		}

		errs := race(func(i int) error {
			if i%2 == 0 {
				return a.DeleteRecord(id)
			}
			return a.UpdateRecord(group.NewRecord{ID: id, Type: appType, Expires: expiresIn(time.Hour), Data: []byte{byte(i)}})
		})
		deleted := false
		for i, err := range errs {
			if err != nil && !errors.Is(err, peererr.ErrRecordNotFound) {
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
			deleted = deleted || (i%2 == 0 && err == nil)
		}
		if _, err := a.GetRecord(id); deleted && !errors.Is(err, peererr.ErrRecordNotFound) {
			t.Fatalf("round %d: a delete said S_OK but the record is live: %v", round, err)
		}
	}
}

// TestRequestsApplyOnce: a write tried again under the same request id
// (as an attached application does after its host went away) is answered
// as the first time and applied once; under another id it is a write of
// its own.
func TestRequestsApplyOnce(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	req := uuid.New()
	id1, err := a.For(req).AddRecord(newRec("once"))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := a.For(req).AddRecord(newRec("once"))
	if err != nil || id2 != id1 {
		t.Fatalf("AddRecord tried again: %v, %v; want %v", id2, err, id1)
	}
	if ids, _ := a.RecordIDs(&appType); len(ids) != 1 {
		t.Fatalf("%d records after a request tried twice, want 1", len(ids))
	}
	ids, err := a.For(uuid.New()).AddRecords([]group.NewRecord{newRec("a"), newRec("b")})
	if err != nil {
		t.Fatal(err)
	}
	del := uuid.New()
	if err := a.For(del).DeleteRecord(ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := a.For(del).DeleteRecord(ids[0]); err != nil {
		t.Fatalf("the same delete tried again: %v, want S_OK", err)
	}
	wantCode(t, a.For(uuid.New()).DeleteRecord(ids[0]), peererr.ErrRecordNotFound)
	upd := uuid.New()
	n := group.NewRecord{ID: ids[1], Type: appType, Expires: expiresIn(time.Hour), Data: []byte("v2")}
	for range 3 {
		if err := a.For(upd).UpdateRecord(n); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := a.GetRecord(ids[1]); err != nil || r.Version != 2 {
		t.Fatalf("an update tried three times: version %d (%v), want 2", r.Version, err)
	}
}
