package service_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/service"
	"p2p/core/session"
)

var appType = uuid.MustParse("0d6b3a51-8d0e-4f0e-9a43-6e2f7c1d2b30")

func newService(t *testing.T) *service.Service {
	t.Helper()
	svc, err := service.New(filepath.Join(t.TempDir(), "home"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func newIdentity(t *testing.T, svc *service.Service, friendly string) *identity.Identity {
	t.Helper()
	id, err := svc.Identities().Create("", friendly)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func createGroup(t *testing.T, svc *service.Service, props group.Properties) *service.Group {
	t.Helper()
	g, err := svc.CreateGroup(props)
	if err != nil {
		t.Fatalf("create group: %v", err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func addRecord(t *testing.T, g *service.Group, data string) uuid.UUID {
	t.Helper()
	id, err := g.AddRecord(group.NewRecord{Type: appType, Expires: filetime.Now().Add(time.Hour), Data: []byte(data)})
	if err != nil {
		t.Fatalf("add record: %v", err)
	}
	return id
}

func wantCode(t *testing.T, err error, code *peererr.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("got error %v, want %s", err, code.Name)
	}
}

func groupNames(t *testing.T, svc *service.Service, identityName string) []string {
	t.Helper()
	gs, err := svc.Groups(identityName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range gs {
		names = append(names, g.PeerName)
	}
	return names
}

func TestNewCreatesPrivateHome(t *testing.T) {
	home := filepath.Join(t.TempDir(), "a", "b")
	svc, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if svc.Home() != home {
		t.Errorf("home %q", svc.Home())
	}
	fi, err := os.Stat(home)
	if err != nil || !fi.IsDir() {
		t.Fatalf("home: %v %v", fi, err)
	}
	// On Windows the folder's privacy is the ACL it inherits from the
	// user's profile (%LOCALAPPDATA%); Go reports 0777 for every folder.
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Fatalf("home mode %v, want 0700", fi.Mode())
	}
}

func TestCreateGroup(t *testing.T) {
	svc := newService(t)
	alice := newIdentity(t, svc, "Alice")
	g := createGroup(t, svc, group.Properties{CreatorPeerName: alice.PeerName, FriendlyName: "Team", Classifier: "team"})
	p, err := g.Properties()
	if err != nil {
		t.Fatal(err)
	}
	if p.CreatorPeerName != alice.PeerName || p.GroupPeerName != g.GroupPeerName() || p.FriendlyName != "Team" {
		t.Errorf("properties %+v", p)
	}
	if g.Identity().PeerName != alice.PeerName || !g.Ready() || g.Status() != 0 || !g.Hosted() {
		t.Errorf("handle: identity %s ready %v status %d hosted %v", g.Identity().PeerName, g.Ready(), g.Status(), g.Hosted())
	}
	ms, err := g.Members(0, "")
	if err != nil || len(ms) != 1 || ms[0].PeerName != alice.PeerName || !ms[0].Credential.HasRole(credential.RoleAdmin) {
		t.Errorf("members %+v %v: want alice as administrator", ms, err)
	}
	gs, err := svc.Groups(alice.PeerName)
	if err != nil || len(gs) != 1 || gs[0].PeerName != g.GroupPeerName() || gs[0].FriendlyName != "Team" {
		t.Errorf("groups %+v %v", gs, err)
	}

	// Invalid properties: the engine's codes, and nothing left on disk.
	_, err = svc.CreateGroup(group.Properties{CreatorPeerName: alice.PeerName, PresenceLifetime: 10})
	wantCode(t, err, peererr.ErrInvalidGroupProperties)
	// An unknown creator.
	bogus := peername.Secure(make([]byte, 32), "")
	_, err = svc.CreateGroup(group.Properties{CreatorPeerName: bogus})
	wantCode(t, err, peererr.ErrNotFound)
	if names := groupNames(t, svc, alice.PeerName); len(names) != 1 {
		t.Errorf("groups after refused creates: %v", names)
	}
}

// Without pwzCreatorPeerName the default identity creates the group
// (PEER_GROUP_PROPERTIES page).
func TestCreateGroupDefaultIdentity(t *testing.T) {
	svc := newService(t)
	g := createGroup(t, svc, group.Properties{})
	def, err := svc.Identities().Default()
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := g.Properties(); p.CreatorPeerName != def.PeerName {
		t.Errorf("creator %q, want the default identity %q", p.CreatorPeerName, def.PeerName)
	}
	if names := groupNames(t, svc, ""); !slices.Equal(names, []string{g.GroupPeerName()}) {
		t.Errorf("groups of the default identity %v", names)
	}
}

func TestHandlesShareOneGroup(t *testing.T) {
	svc := newService(t)
	alice := newIdentity(t, svc, "Alice")
	g1, err := svc.CreateGroup(group.Properties{CreatorPeerName: alice.PeerName})
	if err != nil {
		t.Fatal(err)
	}
	name := g1.GroupPeerName()
	g2, err := svc.OpenGroup(alice.PeerName, name)
	if err != nil {
		t.Fatal(err)
	}
	if g1.Engine() == nil || g1.Engine() != g2.Engine() {
		t.Fatal("two handles of one process on one group do not share the engine")
	}
	reg, err := g2.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := addRecord(t, g1, "one")
	if r, err := g2.GetRecord(id); err != nil || string(r.Data) != "one" {
		t.Fatalf("other handle reads %v %v", r, err)
	}
	if ev, ok := reg.Next(); !ok || ev.Record.Change != event.RecordAdded || ev.Record.RecordID != id {
		t.Errorf("event through the other handle: %+v %v", ev, ok)
	}
	// Closing one handle leaves the other working.
	if err := g1.Close(); err != nil {
		t.Fatal(err)
	}
	g1.Close()
	if !g1.Closed() {
		t.Error("closed handle not Closed")
	}
	_, err = g1.AddRecord(group.NewRecord{Type: appType, Expires: filetime.Now().Add(time.Hour)})
	wantCode(t, err, peererr.ErrInvalidGroup)
	_, err = g1.GetRecord(id)
	wantCode(t, err, peererr.ErrInvalidGroup)
	if g2.Closed() {
		t.Fatal("closing one handle closed the other")
	}
	id2 := addRecord(t, g2, "two")
	// The last handle closes the group; it reopens from disk.
	g2.Close()
	reg.Close()
	g3, err := svc.OpenGroup(alice.PeerName, name)
	if err != nil {
		t.Fatal(err)
	}
	defer g3.Close()
	ids, err := g3.RecordIDs(nil)
	if err != nil || !slices.Equal(ids, []uuid.UUID{id, id2}) {
		t.Errorf("records after reopen %v %v", ids, err)
	}
}

func TestOpenGroupErrors(t *testing.T) {
	svc := newService(t)
	alice, bob := newIdentity(t, svc, "Alice"), newIdentity(t, svc, "Bob")
	g := createGroup(t, svc, group.Properties{CreatorPeerName: alice.PeerName})
	_, err := svc.OpenGroup(alice.PeerName, peername.Secure(make([]byte, 32), "nothing"))
	wantCode(t, err, peererr.ErrNotFound)
	_, err = svc.OpenGroup(alice.PeerName, "not a peer name")
	wantCode(t, err, peererr.ErrInvalidPeerName)
	// Alice's group is not bob's.
	_, err = svc.OpenGroup(bob.PeerName, g.GroupPeerName())
	wantCode(t, err, peererr.ErrNotFound)
	_, err = svc.OpenGroup(peername.Secure(make([]byte, 32), ""), g.GroupPeerName())
	wantCode(t, err, peererr.ErrNotFound)
}

// two is two users (separate data directories): alice created a group,
// bob has an identity of his own.
type two struct {
	svcA, svcB *service.Service
	alice, bob *identity.Identity
	g          *service.Group
}

func newTwo(t *testing.T) *two {
	x := &two{svcA: newService(t), svcB: newService(t)}
	x.alice = newIdentity(t, x.svcA, "Alice")
	x.bob = newIdentity(t, x.svcB, "Bob")
	x.g = createGroup(t, x.svcA, group.Properties{CreatorPeerName: x.alice.PeerName, FriendlyName: "Team"})
	return x
}

func TestJoinGroup(t *testing.T) {
	x := newTwo(t)
	inv, err := x.g.CreateInvitation(x.bob.XML(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, already, err := x.svcB.JoinGroup(x.bob.PeerName, inv)
	if err != nil || already {
		t.Fatalf("join: already %v err %v", already, err)
	}
	if b.GroupPeerName() != x.g.GroupPeerName() || b.Ready() || b.Status() != 0 {
		t.Errorf("joined handle: name %s ready %v status %d", b.GroupPeerName(), b.Ready(), b.Status())
	}
	// Until its first synchronisation it may not publish.
	_, err = b.AddRecord(group.NewRecord{Type: appType, Expires: filetime.Now().Add(time.Hour)})
	wantCode(t, err, peererr.ErrGroupNotReady)
	gs, _ := x.svcB.Groups(x.bob.PeerName)
	if len(gs) != 1 || gs[0].PeerName != x.g.GroupPeerName() || gs[0].FriendlyName != "Team" {
		t.Errorf("bob's groups %+v", gs)
	}
	// Joining again opens the group: PEER_S_ALREADY_A_MEMBER.
	b2, already, err := x.svcB.JoinGroup(x.bob.PeerName, inv)
	if err != nil || !already {
		t.Fatalf("second join: already %v err %v", already, err)
	}
	if b2.Engine() != b.Engine() {
		t.Error("second join does not share the open group")
	}
	b2.Close()
	b.Close()
	b3, already, err := x.svcB.JoinGroup(x.bob.PeerName, inv)
	if err != nil || !already {
		t.Fatalf("join after close: already %v err %v", already, err)
	}
	b3.Close()
	// The default identity is used when none is named.
	def, _ := x.svcB.Identities().Default()
	if def.PeerName != x.bob.PeerName {
		inv2, err := x.g.CreateInvitation(def.XML(), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := x.svcB.JoinGroup("", inv2)
		if err != nil {
			t.Fatalf("join as the default identity: %v", err)
		}
		d.Close()
	}
}

func TestJoinGroupRefusals(t *testing.T) {
	x := newTwo(t)
	carol := newIdentity(t, x.svcB, "Carol")

	// PeerGroupJoin page: "Either the specified period has expired or the
	// invitation is not yet valid": PEER_E_INVALID_TIME_PERIOD.
	short, err := x.g.CreateInvitation(x.bob.XML(), filetime.Now().Add(time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	// An invitation for another identity: PEER_E_INVITATION_NOT_TRUSTED.
	forCarol, err := x.g.CreateInvitation(carol.XML(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = x.svcB.JoinGroup(x.bob.PeerName, forCarol)
	wantCode(t, err, peererr.ErrInvitationNotTrusted)

	// Altered: PEER_E_INVITATION_NOT_TRUSTED ("invitation alteration").
	good, err := x.g.CreateInvitation(x.bob.XML(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(good, "<GROUPFRIENDLYNAME>") + len("<GROUPFRIENDLYNAME>")
	altered := good[:i] + "X" + good[i+1:]
	_, _, err = x.svcB.JoinGroup(x.bob.PeerName, altered)
	wantCode(t, err, peererr.ErrInvitationNotTrusted)
	// Not an invitation at all: E_INVALIDARG.
	_, _, err = x.svcB.JoinGroup(x.bob.PeerName, "hello")
	wantCode(t, err, peererr.ErrInvalidArg)
	// Unknown identity.
	_, _, err = x.svcB.JoinGroup(x.alice.PeerName, good)
	wantCode(t, err, peererr.ErrNotFound)

	time.Sleep(time.Until(filetime.Now().Add(1100 * time.Millisecond).Time()))
	_, _, err = x.svcB.JoinGroup(x.bob.PeerName, short)
	wantCode(t, err, peererr.ErrInvalidTimePeriod)

	// None of that left a group behind.
	if names := groupNames(t, x.svcB, x.bob.PeerName); len(names) != 0 {
		t.Errorf("refused joins left groups %v", names)
	}
	if names := groupNames(t, x.svcB, carol.PeerName); len(names) != 0 {
		t.Errorf("refused joins left groups %v", names)
	}
}

// PeerGroupDelete page: "If a peer group is deleted, all handles
// associated with that group immediately become invalid."
func TestDeleteGroupInvalidatesHandles(t *testing.T) {
	svc := newService(t)
	alice := newIdentity(t, svc, "Alice")
	g1, err := svc.CreateGroup(group.Properties{CreatorPeerName: alice.PeerName})
	if err != nil {
		t.Fatal(err)
	}
	defer g1.Close()
	name := g1.GroupPeerName()
	g2, err := svc.OpenGroup(alice.PeerName, name)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	id := addRecord(t, g1, "x")
	reg, err := g1.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	eng := g1.Engine()

	if err := svc.DeleteGroup(alice.PeerName, name); err != nil {
		t.Fatal(err)
	}
	for i, g := range []*service.Group{g1, g2} {
		if !g.Closed() {
			t.Errorf("handle %d not closed by delete", i)
		}
		_, err := g.GetRecord(id)
		wantCode(t, err, peererr.ErrInvalidGroup)
		_, err = g.AddRecord(group.NewRecord{Type: appType, Expires: filetime.Now().Add(time.Hour)})
		wantCode(t, err, peererr.ErrInvalidGroup)
		_, err = g.Properties()
		wantCode(t, err, peererr.ErrInvalidGroup)
		_, err = g.Subscribe([]event.Filter{{Type: event.RecordChanged}}, nil)
		wantCode(t, err, peererr.ErrInvalidGroup)
	}
	if eng != nil && !eng.Closed() {
		t.Error("engine left open after delete")
	}
	if names := groupNames(t, svc, alice.PeerName); len(names) != 0 {
		t.Errorf("groups after delete %v", names)
	}
	_, err = svc.OpenGroup(alice.PeerName, name)
	wantCode(t, err, peererr.ErrNotFound)
	wantCode(t, svc.DeleteGroup(alice.PeerName, name), peererr.ErrNotFound)
	wantCode(t, svc.DeleteGroup(alice.PeerName, "not a name"), peererr.ErrInvalidPeerName)
	// Nothing of it is left on disk but the identity's empty group folder.
	var files []string
	filepath.WalkDir(filepath.Join(svc.Home(), "groups"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("files left after delete: %v", files)
	}
	// Closing the stale handles is harmless, and the runtime goes on.
	g1.Close()
	g2.Close()
	g3 := createGroup(t, svc, group.Properties{CreatorPeerName: alice.PeerName})
	addRecord(t, g3, "fresh")
}

// PeerIdentityDelete page: PEER_E_GROUPS_EXIST until every group of the
// identity is deleted with PeerGroupDelete.
func TestDeleteIdentityWithGroups(t *testing.T) {
	svc := newService(t)
	alice := newIdentity(t, svc, "Alice")
	g1 := createGroup(t, svc, group.Properties{CreatorPeerName: alice.PeerName})
	g2 := createGroup(t, svc, group.Properties{CreatorPeerName: alice.PeerName})
	n1, n2 := g1.GroupPeerName(), g2.GroupPeerName()
	g1.Close()
	g2.Close()
	wantCode(t, svc.DeleteIdentity(alice.PeerName), peererr.ErrGroupsExist)
	if err := svc.DeleteGroup(alice.PeerName, n1); err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.DeleteIdentity(alice.PeerName), peererr.ErrGroupsExist)
	if _, err := svc.Identities().Get(alice.PeerName); err != nil {
		t.Fatalf("identity gone after a refused delete: %v", err)
	}
	if err := svc.DeleteGroup(alice.PeerName, n2); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteIdentity(alice.PeerName); err != nil {
		t.Fatalf("delete identity without groups: %v", err)
	}
	_, err := svc.Identities().Get(alice.PeerName)
	wantCode(t, err, peererr.ErrNotFound)
	wantCode(t, svc.DeleteIdentity(alice.PeerName), peererr.ErrNotFound)
}

func TestExportImportConfig(t *testing.T) {
	x := newTwo(t)
	addRecord(t, x.g, "alice's")
	doc, err := x.svcA.ExportConfig(x.g, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc, string(x.alice.Key)) {
		t.Fatal("private key in clear in the export")
	}
	home := x.svcB // another data directory: another machine
	_, _, err = home.ImportConfig(doc, "wrong", false)
	if err == nil {
		t.Fatal("imported with a wrong password")
	}
	if _, err := home.Identities().Get(x.alice.PeerName); !errors.Is(err, peererr.ErrNotFound) {
		t.Errorf("identity installed by a failed import: %v", err)
	}
	idName, groupName, err := home.ImportConfig(doc, "correct horse", false)
	if err != nil {
		t.Fatal(err)
	}
	if idName != x.alice.PeerName || groupName != x.g.GroupPeerName() {
		t.Fatalf("imported %s / %s", idName, groupName)
	}
	id, err := home.Identities().Get(idName)
	if err != nil || !id.PublicKey().Equal(x.alice.PublicKey()) {
		t.Fatalf("imported identity: %v", err)
	}
	g, err := home.OpenGroup(idName, groupName)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := g.Properties()
	if p.FriendlyName != "Team" || p.CreatorPeerName != x.alice.PeerName || !g.Ready() {
		t.Errorf("imported group: %+v ready %v", p, g.Ready())
	}
	if ms, _ := g.Members(0, x.alice.PeerName); len(ms) != 1 || !ms[0].Credential.HasRole(credential.RoleAdmin) {
		t.Errorf("imported member: %+v", ms)
	}
	if !g.Engine().GroupKey().Equal(x.g.Engine().GroupKey()) {
		t.Error("group key differs")
	}
	local := addRecord(t, g, "written on the second machine")

	// Again without overwrite: PEER_E_ALREADY_EXISTS; the group is intact.
	_, _, err = home.ImportConfig(doc, "correct horse", false)
	wantCode(t, err, peererr.ErrAlreadyExists)
	// With overwrite while the group is open here: refused.
	_, _, err = home.ImportConfig(doc, "correct horse", true)
	wantCode(t, err, peererr.ErrGroupInUse)
	if _, err := g.GetRecord(local); err != nil {
		t.Fatalf("refused imports damaged the group: %v", err)
	}
	g.Close()
	// With overwrite once closed: replaced by the exported state.
	if _, _, err := home.ImportConfig(doc, "correct horse", true); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	g, err = home.OpenGroup(idName, groupName)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.GetRecord(local); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("overwritten group still holds the local record: %v", err)
	}
	if err := g.Engine().IntegrityCheck(); err != nil {
		t.Error(err)
	}
	if names := groupNames(t, home, idName); !slices.Equal(names, []string{groupName}) {
		t.Errorf("groups after overwrite %v", names)
	}
	// Into the machine that exported it: the identity is there already,
	// the group too.
	_, _, err = x.svcA.ImportConfig(doc, "correct horse", false)
	wantCode(t, err, peererr.ErrAlreadyExists)
	// Garbage.
	if _, _, err := home.ImportConfig("<nope/>", "x", false); err == nil {
		t.Error("imported garbage")
	}
}

// A joined member's configuration moves too, still waiting for its first
// synchronisation.
func TestExportImportConfigOfJoiner(t *testing.T) {
	x := newTwo(t)
	inv, err := x.g.CreateInvitation(x.bob.XML(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := x.svcB.JoinGroup(x.bob.PeerName, inv)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	doc, err := x.svcB.ExportConfig(b, "pw")
	if err != nil {
		t.Fatal(err)
	}
	third := newService(t)
	idName, groupName, err := third.ImportConfig(doc, "pw", false)
	if err != nil {
		t.Fatal(err)
	}
	g, err := third.OpenGroup(idName, groupName)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Ready() {
		t.Error("imported joiner is ready")
	}
	if p, _ := g.Properties(); p.FriendlyName != "Team" {
		t.Errorf("imported joiner's properties %+v", p)
	}
	leaf := g.Engine().Chain().Leaf()
	if leaf.Subject.PeerName != x.bob.PeerName || !leaf.HasRole(credential.RoleMember) {
		t.Errorf("imported credential %+v", leaf)
	}
}

func TestServiceDatabaseExportImport(t *testing.T) {
	x := newTwo(t)
	id := addRecord(t, x.g, "shared")
	file := filepath.Join(t.TempDir(), "db")
	if err := x.g.ExportDatabase(file); err != nil {
		t.Fatal(err)
	}
	inv, _ := x.g.CreateInvitation(x.bob.XML(), 0, nil)
	b, _, err := x.svcB.JoinGroup(x.bob.PeerName, inv)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.ImportDatabase(file); err != nil {
		t.Fatal(err)
	}
	if r, err := b.GetRecord(id); err != nil || string(r.Data) != "shared" {
		t.Errorf("imported record %v %v", r, err)
	}
	// A database of another group is refused.
	other := createGroup(t, x.svcA, group.Properties{CreatorPeerName: x.alice.PeerName})
	ofile := filepath.Join(t.TempDir(), "other")
	if err := other.ExportDatabase(ofile); err != nil {
		t.Fatal(err)
	}
	wantCode(t, x.g.ImportDatabase(ofile), peererr.ErrInvalidDatabase)
}

func TestServiceClose(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	svc, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	alice := newIdentity(t, svc, "Alice")
	g, err := svc.CreateGroup(group.Properties{CreatorPeerName: alice.PeerName})
	if err != nil {
		t.Fatal(err)
	}
	name := g.GroupPeerName()
	id := addRecord(t, g, "x")
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = g.GetRecord(id)
	wantCode(t, err, peererr.ErrInvalidGroup)
	g.Close()
	_, err = svc.OpenGroup(alice.PeerName, name)
	wantCode(t, err, peererr.ErrNotInitialized)
	_, err = svc.CreateGroup(group.Properties{CreatorPeerName: alice.PeerName})
	wantCode(t, err, peererr.ErrNotInitialized)
	inv := "irrelevant"
	if _, _, err := svc.JoinGroup(alice.PeerName, inv); err == nil {
		t.Error("join on a closed runtime")
	}

	// A new runtime on the same directory finds exactly what was there:
	// the refused create left nothing behind.
	svc2, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	if names := groupNames(t, svc2, alice.PeerName); !slices.Equal(names, []string{name}) {
		t.Errorf("groups after a create refused by a closed runtime: %v, want only %s", names, name)
	}
	g2, err := svc2.OpenGroup(alice.PeerName, name)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	if _, err := g2.GetRecord(id); err != nil {
		t.Errorf("record lost across runtimes: %v", err)
	}
}

func TestCreatePeerName(t *testing.T) {
	svc := newService(t)
	alice := newIdentity(t, svc, "Alice")
	n, err := svc.CreatePeerName(alice.PeerName, "chat", false)
	if err != nil || n != peername.Secure(alice.PublicKey(), "chat") {
		t.Errorf("secure name %q %v", n, err)
	}
	if n, err := svc.CreatePeerName(alice.PeerName, "", true); err != nil || n != alice.PeerName {
		t.Errorf("identity's own name %q %v", n, err)
	}
	_, err = svc.CreatePeerName(alice.PeerName, strings.Repeat("x", 150), false)
	wantCode(t, err, peererr.ErrInvalidArg)
	_, err = svc.CreatePeerName(peername.Secure(make([]byte, 32), ""), "c", false)
	wantCode(t, err, peererr.ErrNotFound)
	if n, err := svc.CreateUnsecuredPeerName("chat"); err != nil || n != "0.chat" {
		t.Errorf("unsecured %q %v", n, err)
	}
	_, err = svc.CreateUnsecuredPeerName("")
	wantCode(t, err, peererr.ErrInvalidArg)
}

// Handles opened, used and closed from many goroutines at once: the group
// stays open while any handle is, and no write is lost.
func TestConcurrentHandles(t *testing.T) {
	svc := newService(t)
	alice := newIdentity(t, svc, "Alice")
	keep := createGroup(t, svc, group.Properties{CreatorPeerName: alice.PeerName})
	name := keep.GroupPeerName()
	const workers, each = 4, 10
	errc := make(chan error, workers)
	for range workers {
		go func() {
			for range each {
				g, err := svc.OpenGroup(alice.PeerName, name)
				if err != nil {
					errc <- err
					return
				}
				if _, err := g.AddRecord(group.NewRecord{Type: appType, Expires: filetime.Now().Add(time.Hour)}); err != nil {
					errc <- err
					return
				}
				if err := g.Close(); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for range workers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	ids, err := keep.RecordIDs(&appType)
	if err != nil || len(ids) != workers*each {
		t.Fatalf("%d records, want %d (%v)", len(ids), workers*each, err)
	}
	// With the long-lived handle closed too, the group opens afresh.
	keep.Close()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := svc.OpenGroup(alice.PeerName, name)
			if err != nil {
				t.Error(err)
				return
			}
			defer g.Close()
			if ids, err := g.RecordIDs(&appType); err != nil || len(ids) != workers*each {
				t.Errorf("%d records after reopen (%v)", len(ids), err)
			}
		}()
	}
	wg.Wait()
}

// Opening a group while another goroutine closes its last handle must
// either share the open group or open it afresh, never fail.
// TestOpenRacesLastClose races opens of one group against the closes of
// its last handle in one process: every open gets a handle hosted by the
// process itself (never a handle attached to a host of its own that is
// being made or closed, which made opens wait and, under load, fail with
// PEER_E_GROUP_IN_USE: issue 13 item 7).
func TestOpenRacesLastClose(t *testing.T) {
	svc := newService(t)
	alice := newIdentity(t, svc, "Alice")
	g := createGroup(t, svc, group.Properties{CreatorPeerName: alice.PeerName})
	name := g.GroupPeerName()
	g.Close()
	const workers, each = 8, 150
	errc := make(chan error, workers)
	for range workers {
		go func() {
			for range each {
				h, err := svc.OpenGroup(alice.PeerName, name)
				if err != nil {
					errc <- err
					return
				}
				if !h.Hosted() {
					// Only this process has the group: a handle attached
					// to a host means it attached to itself.
					h.Close()
					errc <- errors.New("a handle attached to a host of its own process")
					return
				}
				if _, err := h.RecordIDs(nil); err != nil {
					h.Close()
					errc <- err
					return
				}
				h.Close()
			}
			errc <- nil
		}()
	}
	for range workers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// A process that still hosts a group only for an attached application
// (its own handles are closed) lets the group go when that application
// detaches: the group opens again afterwards, here or anywhere.
func TestHostReleasesAfterLastAttachedLeaves(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	host, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	alice := newIdentity(t, host, "Alice")
	g, err := host.CreateGroup(group.Properties{CreatorPeerName: alice.PeerName})
	if err != nil {
		t.Fatal(err)
	}
	name := g.GroupPeerName()
	// A second runtime on the same data directory: another application.
	app, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	a, err := app.OpenGroup(alice.PeerName, name)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hosted() || !g.Hosted() {
		t.Fatalf("hosted: first %v, second %v", g.Hosted(), a.Hosted())
	}
	g.Close()
	addRecord(t, a, "through the host")
	done := make(chan error, 1)
	go func() { done <- a.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("closing the attached handle hangs")
	}
	start := time.Now()
	again, err := host.OpenGroup(alice.PeerName, name)
	if err != nil {
		t.Fatalf("reopen after the attached application left (%v): %v", time.Since(start).Round(time.Millisecond), err)
	}
	defer again.Close()
	if ids, err := again.RecordIDs(nil); err != nil || len(ids) != 1 {
		t.Errorf("records %v %v", ids, err)
	}
}

// groupFolder is where svc keeps the group of an identity (as
// Service.dbPath lays it out).
func groupFolder(t *testing.T, svc *service.Service, identityName, groupName string) string {
	t.Helper()
	ia, _, err := peername.Parse(identityName)
	if err != nil {
		t.Fatal(err)
	}
	ga, _, err := peername.Parse(groupName)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(svc.Home(), "groups", ia, ga)
}

// TestFailedJoinLeavesNothing proves that a PeerGroupJoin that fails,
// whether the group's database cannot be made or the group cannot be
// hosted once made, leaves no folder behind and no group that
// PeerEnumGroups lists, and that a later join works.
func TestFailedJoinLeavesNothing(t *testing.T) {
	x := newTwo(t)
	inv, err := x.g.CreateInvitation(x.bob.XML(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := groupFolder(t, x.svcB, x.bob.PeerName, x.g.GroupPeerName())
	sabotage := map[string]string{
		// SQLite cannot make its write-ahead log: the join fails in the
		// database.
		"database": filepath.Join(dir, "group.db-wal"),
	}
	if runtime.GOOS != "windows" {
		// A non-empty folder where the host's socket goes: the join
		// succeeds, then hosting it fails.
		sock, err := session.Endpoint(dir)
		if err != nil {
			t.Fatal(err)
		}
		sabotage["hosting"] = sock
	}
	for name, blocker := range sabotage {
		t.Run(name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(blocker) })
			if g, _, err := x.svcB.JoinGroup(x.bob.PeerName, inv); err == nil {
				g.Close()
				t.Fatal("the join succeeded")
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				entries, _ := os.ReadDir(dir)
				t.Fatalf("the failed join left %s behind (%v): %v", dir, err, entries)
			}
			if names := groupNames(t, x.svcB, x.bob.PeerName); len(names) != 0 {
				t.Fatalf("PeerEnumGroups lists %v after a failed join", names)
			}
		})
	}
	g, _, err := x.svcB.JoinGroup(x.bob.PeerName, inv)
	if err != nil {
		t.Fatalf("join after the failures: %v", err)
	}
	defer g.Close()
	if names := groupNames(t, x.svcB, x.bob.PeerName); len(names) != 1 {
		t.Fatalf("groups after the join: %v", names)
	}
}
