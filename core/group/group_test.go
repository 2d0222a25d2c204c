package group_test

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/record"
	"p2p/core/store"
)

// world is one test's identities and the directory their databases live in.
type world struct {
	t   *testing.T
	dir string
	ids *identity.Store
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	ids, err := identity.OpenStore(filepath.Join(dir, "identities"))
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, dir: dir, ids: ids}
}

func (w *world) identity(friendly string) *identity.Identity {
	w.t.Helper()
	id, err := w.ids.Create("", friendly)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// dbPath places each identity's database of each group in its own file.
func (w *world) dbPath(id *identity.Identity) func(string) string {
	return func(g string) string {
		return filepath.Join(w.dir, "db", url.PathEscape(id.PeerName), url.PathEscape(g), "group.db")
	}
}

func (w *world) create(id *identity.Identity, props group.Properties) *group.Engine {
	w.t.Helper()
	e, err := group.Create(id, props, w.dbPath(id))
	if err != nil {
		w.t.Fatalf("create group: %v", err)
	}
	w.t.Cleanup(func() { e.Close() })
	return e
}

// invite issues a GMC invitation from admin to id and parses it.
func (w *world) invite(admin *group.Engine, id *identity.Identity, expires filetime.FILETIME) (*invitation.Invitation, string) {
	w.t.Helper()
	xml, err := admin.CreateInvitation(id.XML(), expires, nil)
	if err != nil {
		w.t.Fatalf("create invitation: %v", err)
	}
	inv, err := invitation.Parse(xml)
	if err != nil {
		w.t.Fatalf("parse invitation: %v", err)
	}
	if err := inv.VerifyFor(id.PeerName, filetime.Now()); err != nil {
		w.t.Fatalf("verify invitation: %v", err)
	}
	return inv, xml
}

// join makes id a (not yet ready) member of admin's group.
func (w *world) join(admin *group.Engine, id *identity.Identity, expires filetime.FILETIME) *group.Engine {
	w.t.Helper()
	inv, xml := w.invite(admin, id, expires)
	e, err := group.Join(id, inv, xml, w.dbPath(id))
	if err != nil {
		w.t.Fatalf("join: %v", err)
	}
	w.t.Cleanup(func() { e.Close() })
	return e
}

// introduce hands the member record of joined to e, as a neighbour would.
func introduce(t *testing.T, e, joined *group.Engine) {
	t.Helper()
	r, err := group.StoreOf(joined).Get(group.MemberRecordID(joined.GroupPeerName(), joined.Identity().PeerName))
	if err != nil {
		t.Fatalf("member record of joiner: %v", err)
	}
	stored, rejected, err := e.Apply([]*record.Record{r}, nil)
	if err != nil || stored != 1 || rejected != 0 {
		t.Fatalf("apply member record: stored %d rejected %d err %v", stored, rejected, err)
	}
}

func wantCode(t *testing.T, err error, code *peererr.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("got error %v, want %s", err, code.Name)
	}
}

func expiresIn(d time.Duration) filetime.FILETIME { return filetime.Now().Add(d) }

var appType = uuid.MustParse("6a0c3f4e-1b2d-4c5e-8f70-112233445566")

func newRec(data string) group.NewRecord {
	return group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Data: []byte(data)}
}

func add(t *testing.T, e *group.Engine, n group.NewRecord) uuid.UUID {
	t.Helper()
	id, err := e.AddRecord(n)
	if err != nil {
		t.Fatalf("add record: %v", err)
	}
	return id
}

// snapshot is every stored record (tombstones and system records too),
// by id, as its hash: equal snapshots mean an unchanged database.
func snapshot(t *testing.T, e *group.Engine) map[uuid.UUID][32]byte {
	t.Helper()
	recs, err := group.StoreOf(e).List(store.Query{IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[uuid.UUID][32]byte, len(recs))
	for _, r := range recs {
		m[r.ID] = r.Hash(e.GroupPeerName())
	}
	return m
}

func sameSnapshot(a, b map[uuid.UUID][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func nextEvent(t *testing.T, sub *event.Subscription) event.Event {
	t.Helper()
	ev, ok := sub.Next()
	if !ok {
		t.Fatal("no event queued")
	}
	return ev
}

func noEvent(t *testing.T, sub *event.Subscription) {
	t.Helper()
	if ev, ok := sub.Next(); ok {
		t.Fatalf("unexpected event %+v", ev)
	}
}

func TestCreateDefaults(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	e := w.create(alice, group.Properties{Classifier: "chat", FriendlyName: "Chat", Comment: "c"})
	p := e.Properties()
	if p.Cloud != group.DefaultCloud || p.PresenceLifetime != group.DefaultPresenceLifetime || p.AuthSchemes != group.AuthGMC {
		t.Errorf("defaults: cloud %q presence %d auth %d", p.Cloud, p.PresenceLifetime, p.AuthSchemes)
	}
	if p.CreatorPeerName != alice.PeerName {
		t.Errorf("creator %q, want %q", p.CreatorPeerName, alice.PeerName)
	}
	if p.FriendlyName != "Chat" || p.Comment != "c" || p.Classifier != "chat" || p.Flags != 0 {
		t.Errorf("properties not kept: %+v", p)
	}
	if p.GroupPeerName != e.GroupPeerName() {
		t.Errorf("group name %q vs %q", p.GroupPeerName, e.GroupPeerName())
	}
	auth, class, err := peername.Parse(p.GroupPeerName)
	if err != nil || class != "chat" {
		t.Fatalf("group peer name %q: %v, classifier %q", p.GroupPeerName, err, class)
	}
	// The group is named by its own key, not by its creator's.
	if auth != peername.Authority(e.GroupKey()) || auth == peername.Authority(alice.PublicKey()) {
		t.Errorf("group authority %s: not the group key's", auth)
	}
	if !e.Ready() {
		t.Error("creator's group not ready")
	}
	if e.Status() != 0 {
		t.Errorf("new group status %#x, want offline", e.Status())
	}
	// The properties record and the member record are not application records.
	if ids, err := e.RecordIDs(nil); err != nil || len(ids) != 0 {
		t.Errorf("new group lists records %v, %v", ids, err)
	}

	// Another group of the same creator and classifier has another name.
	e2 := w.create(alice, group.Properties{Classifier: "chat"})
	if e2.GroupPeerName() == e.GroupPeerName() {
		t.Error("two groups share a peer name")
	}
}

func TestCreatorIsAdministrator(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	e := w.create(alice, group.Properties{FriendlyName: "g"})
	if !e.Chain().Leaf().HasRole(credential.RoleAdmin) {
		t.Fatal("creator's credential lacks the administrator role")
	}
	if err := e.Chain().Verify(e.GroupPeerName(), e.GroupKey(), filetime.Now()); err != nil {
		t.Fatalf("creator's chain: %v", err)
	}
	ms, err := e.Members(0, "")
	if err != nil || len(ms) != 1 {
		t.Fatalf("members %v, %v", ms, err)
	}
	if ms[0].PeerName != alice.PeerName || !ms[0].Credential.HasRole(credential.RoleAdmin) {
		t.Errorf("member %+v: want alice as administrator", ms[0])
	}
	if ms[0].Present {
		t.Error("offline creator listed as present")
	}
	if !e.IsMember(alice.PeerName) {
		t.Error("IsMember(creator) false")
	}
	if got, _ := e.Members(group.MemberFlagPresent, ""); len(got) != 0 {
		t.Errorf("present members of an offline group: %v", got)
	}
	if _, err := e.Members(0x80, ""); !errors.Is(err, peererr.ErrInvalidArg) {
		t.Errorf("unknown member flag: %v", err)
	}
}

func TestCreateValidation(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	long := make([]rune, 256)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name  string
		props group.Properties
		code  *peererr.Code
	}{
		{"unknown flag", group.Properties{Flags: 0x80}, peererr.ErrInvalidGroupProperties},
		{"member data lifetime below 8 hours", group.Properties{MemberDataLifetime: 8*3600 - 1}, peererr.ErrInvalidGroupProperties},
		{"member data lifetime above 10 years", group.Properties{MemberDataLifetime: group.MaxMemberDataLifetime + 1}, peererr.ErrInvalidGroupProperties},
		{"presence lifetime below 300 s", group.Properties{PresenceLifetime: 299}, peererr.ErrInvalidGroupProperties},
		{"unknown auth scheme", group.Properties{AuthSchemes: 0x4}, peererr.ErrInvalidGroupProperties},
		{"password role not a role", group.Properties{AuthSchemes: group.AuthPassword, Password: "pw", PasswordRole: uuid.New()}, peererr.ErrInvalidGroupProperties},
		{"friendly name of 256", group.Properties{FriendlyName: string(long)}, peererr.ErrInvalidFriendlyName},
		{"comment of 256", group.Properties{Comment: string(long)}, peererr.ErrInvalidGroupProperties},
		{"classifier of 150", group.Properties{Classifier: string(long[:150])}, peererr.ErrClassifierTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := group.Create(alice, tc.props, w.dbPath(alice))
			if err == nil {
				e.Close()
				t.Fatal("created")
			}
			wantCode(t, err, tc.code)
		})
	}
	// A classifier within the 149 of an identity's but making a group peer
	// name longer than 137 is the PeerGroupCreate page's
	// PEER_E_INVALID_CLASSIFIER ("the peer group classifier ... is invalid").
	for _, n := range []int{97, 149} {
		e, err := group.Create(alice, group.Properties{Classifier: string(long[:n])}, w.dbPath(alice))
		if err == nil {
			e.Close()
			t.Errorf("classifier of %d: group created with a name over 137 characters", n)
		} else if !errors.Is(err, peererr.ErrInvalidClassifier) && !errors.Is(err, peererr.ErrClassifierTooLong) {
			t.Errorf("classifier of %d: %v; want PEER_E_INVALID_CLASSIFIER", n, err)
		}
	}
	// Limits themselves are accepted.
	for _, p := range []group.Properties{
		{MemberDataLifetime: group.MinMemberDataLifetime},
		{MemberDataLifetime: group.MaxMemberDataLifetime},
		{PresenceLifetime: 300, Flags: group.FlagDisablePresence | group.FlagDeferExpiration | group.FlagMemberDataOptional},
		// 40 hex digits, a dot and 96 characters: the 137 of a group peer name.
		{FriendlyName: string(long[:255]), Comment: string(long[:255]), Classifier: string(long[:96])},
	} {
		e := w.create(alice, p)
		if got := e.Properties(); got.MemberDataLifetime != p.MemberDataLifetime || got.Flags != p.Flags {
			t.Errorf("properties %+v stored as %+v", p, got)
		}
	}
}

// A password group keeps a verifier, never the password: not in its
// properties, not in any file of either side.
func TestPasswordGroup(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	const secret = "correct-horse-battery-staple"
	_, err := group.Create(alice, group.Properties{AuthSchemes: group.AuthPassword}, w.dbPath(alice))
	wantCode(t, err, peererr.ErrPasswordDoesNotMeetPolicy)

	a := w.create(alice, group.Properties{AuthSchemes: group.AuthGMC | group.AuthPassword, Password: secret})
	p := a.Properties()
	if p.Password != "" || p.Verifier == nil || p.PasswordRole != credential.RoleMember {
		t.Errorf("password group properties: password %q verifier %v role %s", p.Password, p.Verifier, p.PasswordRole)
	}
	xml, err := a.CreatePasswordInvitation()
	if err != nil {
		t.Fatal(err)
	}
	inv, err := invitation.Parse(xml)
	if err != nil {
		t.Fatal(err)
	}
	if inv.AuthScheme != group.AuthPassword || len(inv.Credential) != 0 || inv.SubjectPeerName != "" {
		t.Errorf("password invitation %+v", inv)
	}
	// Changing other properties keeps the password; dropping the scheme
	// drops the verifier; a GMC-only group makes no password invitations.
	p.Comment = "c"
	if err := a.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	if a.Properties().Verifier == nil {
		t.Error("verifier lost by an unrelated change")
	}

	_, err = group.PasswordJoin(bob, inv, xml, "", w.dbPath(bob))
	wantCode(t, err, peererr.ErrInvalidArg)
	b, err := group.PasswordJoin(bob, inv, xml, secret, w.dbPath(bob))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Ready() || b.PendingPassword() != secret {
		t.Errorf("password joiner: ready %v", b.Ready())
	}
	_, err = b.AddRecord(newRec("x"))
	wantCode(t, err, peererr.ErrGroupNotReady)
	for _, e := range []*group.Engine{a, b} {
		dir := filepath.Dir(group.StoreOf(e).Path())
		ents, _ := os.ReadDir(dir)
		for _, ent := range ents {
			data, _ := os.ReadFile(filepath.Join(dir, ent.Name()))
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds the password in clear", ent.Name())
			}
		}
	}

	p = a.Properties()
	p.AuthSchemes = group.AuthGMC
	if err := a.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	if a.Properties().Verifier != nil {
		t.Error("verifier kept after password authentication was turned off")
	}
	_, err = a.CreatePasswordInvitation()
	wantCode(t, err, peererr.ErrInvalidGroupProperties)
}

func TestOpenCloseReopen(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	e, err := group.Create(alice, group.Properties{FriendlyName: "before"}, w.dbPath(alice))
	if err != nil {
		t.Fatal(err)
	}
	name := e.GroupPeerName()
	path := w.dbPath(alice)(name)
	id1 := add(t, e, group.NewRecord{Type: appType, Expires: expiresIn(time.Hour), Data: []byte("one"),
		Attributes: `<attributes><attribute name="n" type="int">1</attribute></attributes>`})
	id2 := add(t, e, newRec("two"))
	if err := e.DeleteRecord(id2); err != nil {
		t.Fatal(err)
	}
	p := e.Properties()
	p.FriendlyName = "after"
	if err := e.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if !e.Closed() {
		t.Error("Closed false after Close")
	}
	// A closed engine refuses everything.
	_, err = e.AddRecord(newRec("x"))
	wantCode(t, err, peererr.ErrInvalidGroup)
	_, err = e.GetRecord(id1)
	wantCode(t, err, peererr.ErrInvalidGroup)
	_, err = e.RecordIDs(nil)
	wantCode(t, err, peererr.ErrInvalidGroup)
	_, err = e.SearchRecords(`<peersearch><clause attrib="n" type="int" compare="equal">1</clause></peersearch>`)
	wantCode(t, err, peererr.ErrInvalidGroup)
	wantCode(t, e.UpdateRecord(group.NewRecord{ID: id1, Type: appType, Expires: expiresIn(time.Hour)}), peererr.ErrInvalidGroup)
	wantCode(t, e.DeleteRecord(id1), peererr.ErrInvalidGroup)
	wantCode(t, e.SetProperties(p), peererr.ErrInvalidGroup)
	_, err = e.Config()
	wantCode(t, err, peererr.ErrInvalidGroup)
	wantCode(t, e.ExportDatabase(filepath.Join(t.TempDir(), "x")), peererr.ErrInvalidGroup)
	_, _, err = e.ImportDatabase(filepath.Join(t.TempDir(), "x"))
	wantCode(t, err, peererr.ErrInvalidGroup)

	r, err := group.Open(alice, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.GroupPeerName() != name || !r.Ready() || r.Properties().FriendlyName != "after" {
		t.Errorf("reopened: name %q ready %v props %+v", r.GroupPeerName(), r.Ready(), r.Properties())
	}
	if !sameSnapshot(before, snapshot(t, r)) {
		t.Error("database changed across close and open")
	}
	got, err := r.GetRecord(id1)
	if err != nil || string(got.Data) != "one" {
		t.Fatalf("record after reopen: %v %v", got, err)
	}
	if _, err := r.GetRecord(id2); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("deleted record after reopen: %v", err)
	}
	if !r.GroupKey().Equal(e.GroupKey()) || !r.Chain().Leaf().HasRole(credential.RoleAdmin) {
		t.Error("group key or credential lost")
	}
	if !r.IsMember(alice.PeerName) {
		t.Error("members lost")
	}
	// Still writable.
	add(t, r, newRec("three"))
	if err := group.StoreOf(r).IntegrityCheck(); err != nil {
		t.Error(err)
	}
}

func TestOpenRefusesOtherIdentity(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	e := w.create(alice, group.Properties{})
	path := w.dbPath(alice)(e.GroupPeerName())
	e.Close()
	r, err := group.Open(bob, path)
	if err == nil {
		r.Close()
		t.Fatal("bob opened alice's database")
	}
	wantCode(t, err, peererr.ErrInvalidDatabase)
}

func TestOpenMissingDatabase(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	// A database without the group's configuration (a fresh file) is not
	// a group.
	r, err := group.Open(alice, filepath.Join(t.TempDir(), "none.db"))
	if err == nil {
		r.Close()
		t.Fatal("opened an empty database")
	}
	wantCode(t, err, peererr.ErrInvalidDatabase)
}

func TestJoin(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{FriendlyName: "Team", Classifier: "team"})
	b := w.join(a, bob, 0)
	if b.GroupPeerName() != a.GroupPeerName() || !b.GroupKey().Equal(a.GroupKey()) {
		t.Fatal("joiner holds another group")
	}
	if b.Ready() {
		t.Error("joiner ready before its first synchronisation")
	}
	if p := b.Properties(); p.FriendlyName != "Team" || p.Cloud != group.DefaultCloud {
		t.Errorf("joiner's provisional properties %+v", p)
	}
	leaf := b.Chain().Leaf()
	if leaf.Subject.PeerName != bob.PeerName || !leaf.HasRole(credential.RoleMember) || leaf.HasRole(credential.RoleAdmin) {
		t.Errorf("joiner's credential: %+v", leaf)
	}
	if err := b.Chain().Verify(b.GroupPeerName(), b.GroupKey(), filetime.Now()); err != nil {
		t.Errorf("joiner's chain: %v", err)
	}
	// Not ready: no writes, no invitations, no peer time.
	_, err := b.AddRecord(newRec("x"))
	wantCode(t, err, peererr.ErrGroupNotReady)
	_, err = b.CreateInvitation(alice.XML(), 0, nil)
	wantCode(t, err, peererr.ErrGroupNotReady)
	_, err = b.PeerTimeToUniversal(filetime.Now())
	wantCode(t, err, peererr.ErrGroupNotReady)
	// It publishes its own member record for the others.
	if !b.IsMember(bob.PeerName) {
		t.Error("joiner does not know itself as member")
	}

	// Reopened, it is still a joined, not ready, member.
	path := w.dbPath(bob)(b.GroupPeerName())
	b.Close()
	r, err := group.Open(bob, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Ready() || r.Properties().FriendlyName != "Team" {
		t.Errorf("reopened joiner: ready %v props %+v", r.Ready(), r.Properties())
	}
	if cands := r.Candidates(); len(cands) != 0 {
		t.Errorf("offline invitation carried addresses %v", cands)
	}
}

func TestJoinRefusesPasswordInvitation(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{})
	inv, xml := w.invite(a, bob, 0)
	inv.AuthScheme = group.AuthPassword
	e, err := group.Join(bob, inv, xml, w.dbPath(bob))
	if err == nil {
		e.Close()
		t.Fatal("joined with a password invitation")
	}
	wantCode(t, err, peererr.ErrInvalidArg)
}

func TestInvitationLimits(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{})
	_, err := a.CreateInvitation(bob.XML(), 0, []uuid.UUID{uuid.New()})
	wantCode(t, err, peererr.ErrInvalidRoleProperty)
	_, err = a.CreateInvitation(bob.XML(), filetime.Now()-1, nil)
	wantCode(t, err, peererr.ErrInvalidTimePeriod)
	_, err = a.CreateInvitation("<not an identity/>", 0, nil)
	if err == nil {
		t.Error("invitation for garbage identity XML")
	}
	// The roles asked for are the roles granted.
	xml, err := a.CreateInvitation(bob.XML(), expiresIn(24*time.Hour), []uuid.UUID{credential.RoleAdmin, credential.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := invitation.Parse(xml)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Roles) != 1 || inv.Roles[0] != credential.RoleAdmin || inv.SubjectPeerName != bob.PeerName ||
		inv.IssuerPeerName != alice.PeerName || inv.GroupPeerName != a.GroupPeerName() {
		t.Errorf("invitation %+v", inv)
	}
	if time.Until(inv.NotAfter.Time()) > 25*time.Hour {
		t.Errorf("validity end %v not the one asked", inv.NotAfter.Time())
	}
}

func TestPeerTime(t *testing.T) {
	w := newWorld(t)
	a := w.create(w.identity("Alice"), group.Properties{})
	now := filetime.Now()
	if got, err := a.PeerTimeToUniversal(now); err != nil || got != now {
		t.Errorf("peer to universal: %v %v", got, err)
	}
	if got, err := a.UniversalToPeerTime(now); err != nil || got != now {
		t.Errorf("universal to peer: %v %v", got, err)
	}
}

func TestSetProperties(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{Classifier: "c", FriendlyName: "one"})
	sub := a.Subscribe([]event.Filter{{Type: event.PropertyChanged}}, nil)
	defer sub.Close()

	p := a.Properties()
	p.FriendlyName, p.Comment, p.MemberDataLifetime, p.PresenceLifetime = "two", "note", group.MinMemberDataLifetime, 600
	if err := a.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	got := a.Properties()
	if got.FriendlyName != "two" || got.Comment != "note" || got.MemberDataLifetime != group.MinMemberDataLifetime || got.PresenceLifetime != 600 {
		t.Errorf("properties after set: %+v", got)
	}
	if ev := nextEvent(t, sub); ev.Type != event.PropertyChanged {
		t.Errorf("event %+v", ev)
	}
	noEvent(t, sub)

	// Fixed fields cannot change; invalid values are refused; nothing is
	// stored or announced.
	before := snapshot(t, a)
	for name, mutate := range map[string]func(*group.Properties){
		"classifier":  func(p *group.Properties) { p.Classifier = "d" },
		"cloud":       func(p *group.Properties) { p.Cloud = "other" },
		"group name":  func(p *group.Properties) { p.GroupPeerName = "0.x" },
		"creator":     func(p *group.Properties) { p.CreatorPeerName = bob.PeerName },
		"presence 10": func(p *group.Properties) { p.PresenceLifetime = 10 },
		"flags":       func(p *group.Properties) { p.Flags = 0x100 },
	} {
		q := a.Properties()
		mutate(&q)
		if err := a.SetProperties(q); err == nil {
			t.Errorf("%s: changed", name)
		} else if !errors.Is(err, peererr.ErrInvalidGroupProperties) {
			t.Errorf("%s: %v, want PEER_E_INVALID_GROUP_PROPERTIES", name, err)
		}
	}
	if !sameSnapshot(before, snapshot(t, a)) {
		t.Error("refused property changes changed the database")
	}
	noEvent(t, sub)

	// A member that is not an administrator may not.
	b := w.join(a, bob, 0)
	if err := b.MarkReady(); err != nil {
		t.Fatal(err)
	}
	q := b.Properties()
	q.FriendlyName = "bob's"
	wantCode(t, b.SetProperties(q), peererr.ErrNotAuthorized)
}

func TestMarkReadyPersists(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{})
	b := w.join(a, bob, 0)
	if err := b.MarkReady(); err != nil {
		t.Fatal(err)
	}
	path := w.dbPath(bob)(b.GroupPeerName())
	b.Close()
	r, err := group.Open(bob, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Ready() {
		t.Error("ready state lost on reopen")
	}
	add(t, r, newRec("bob's"))
}

// The group properties written by the creator reach the other members,
// and so do later changes, raising PROPERTY_CHANGED there.
func TestPropertiesReplicate(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{FriendlyName: "one", Comment: "first"})
	b := w.join(a, bob, 0)
	sub := b.Subscribe([]event.Filter{{Type: event.PropertyChanged}}, nil)
	defer sub.Close()
	propsRec := func() *record.Record {
		recs, err := group.StoreOf(a).List(store.Query{Type: &group.PropertiesType})
		if err != nil || len(recs) != 1 {
			t.Fatalf("properties record: %d, %v", len(recs), err)
		}
		return recs[0]
	}
	am, _ := group.StoreOf(a).Get(group.MemberRecordID(a.GroupPeerName(), alice.PeerName))
	stored, rejected, err := b.Apply([]*record.Record{am, propsRec()}, nil)
	if err != nil || stored != 2 || rejected != 0 {
		t.Fatalf("creator's properties record at a member: stored %d rejected %d err %v", stored, rejected, err)
	}
	if p := b.Properties(); p.Comment != "first" || p.CreatorPeerName != alice.PeerName {
		t.Errorf("member's properties %+v", p)
	}
	nextEvent(t, sub)

	p := a.Properties()
	p.FriendlyName = "two"
	if err := a.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	if stored, rejected, err := b.Apply([]*record.Record{propsRec()}, nil); err != nil || stored != 1 || rejected != 0 {
		t.Fatalf("changed properties at a member: stored %d rejected %d err %v", stored, rejected, err)
	}
	if b.Properties().FriendlyName != "two" {
		t.Errorf("member's friendly name %q", b.Properties().FriendlyName)
	}
	nextEvent(t, sub)
}

// ulMemberDataLifetime is "the lifetime, in seconds, of peer group member
// data (PEER_MEMBER)" (PEER_GROUP_PROPERTIES page): a member's own member
// record lapses after it unless renewed, not with its credential.
func TestMemberDataLifetimeApplies(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	a := w.create(alice, group.Properties{MemberDataLifetime: group.MinMemberDataLifetime})
	r, err := group.StoreOf(a).Get(group.MemberRecordID(a.GroupPeerName(), alice.PeerName))
	if err != nil {
		t.Fatal(err)
	}
	limit := filetime.Now().Add(group.MinMemberDataLifetime*time.Second + time.Minute)
	if r.Expires > limit {
		t.Errorf("member record expires %v, beyond the member data lifetime of 8 hours (%v)", r.Expires.Time(), limit.Time())
	}
}

// The group properties outlive the credential of the administrator who
// last changed them: a group never loses its properties record, and its
// creator can still open it afterwards (on synctest's clock).
func TestPropertiesOutliveTheirWriter(t *testing.T) {
	synctest.Test(t, testPropertiesOutliveTheirWriter)
}

func testPropertiesOutliveTheirWriter(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a, err := group.Create(alice, group.Properties{FriendlyName: "one"}, w.dbPath(alice))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { a.Close() }()
	// Bob: an administrator for an hour.
	end := expiresIn(time.Hour)
	xml, err := a.CreateInvitation(bob.XML(), end, []uuid.UUID{credential.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := invitation.Parse(xml)
	b, err := group.Join(bob, inv, xml, w.dbPath(bob))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	introduce(t, a, b)
	file := filepath.Join(t.TempDir(), "a.db")
	if err := a.ExportDatabase(file); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.ImportDatabase(file); err != nil {
		t.Fatal(err)
	}
	if err := b.MarkReady(); err != nil {
		t.Fatal(err)
	}
	p := b.Properties()
	p.FriendlyName = "two"
	if err := b.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	recs, _ := group.StoreOf(b).List(store.Query{Type: &group.PropertiesType})
	if stored, _, err := a.Apply(recs, nil); err != nil || stored != 1 {
		t.Fatalf("bob's properties at alice: %d %v", stored, err)
	}
	if a.Properties().FriendlyName != "two" {
		t.Fatalf("alice's properties %+v", a.Properties())
	}
	time.Sleep(time.Until(end.Time()) + time.Minute) // bob's credential ends
	synctest.Wait()
	if n, _ := group.StoreOf(a).Count(store.Query{Type: &group.PropertiesType, IncludeDeleted: true}); n != 1 {
		t.Errorf("alice holds %d properties records after bob's credential ended", n)
	}
	path := w.dbPath(alice)(a.GroupPeerName())
	a.Close()
	r, err := group.Open(alice, path)
	if err != nil {
		t.Fatalf("creator cannot reopen the group: %v", err)
	}
	defer r.Close()
	if r.Properties().FriendlyName != "two" {
		t.Errorf("properties after reopen %+v", r.Properties())
	}
}
