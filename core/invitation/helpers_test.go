package invitation

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// now is the fixed clock of the tests.
var now = filetime.From(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))

const day = 24 * time.Hour

type ident struct {
	key  ed25519.PrivateKey
	subj credential.Subject
}

func newIdent(name string) ident {
	seed := sha256.Sum256([]byte("identity " + name))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	return ident{key: key, subj: credential.Subject{PeerName: peername.Secure(pub, name), FriendlyName: "Friendly " + name, Key: pub}}
}

// testGroup is a group, its creator and the creator's root chain.
type testGroup struct {
	key     ed25519.PrivateKey
	pub     ed25519.PublicKey
	name    string
	creator ident
	root    credential.Chain
}

func newGroup(t testing.TB, classifier string) testGroup {
	t.Helper()
	seed := sha256.Sum256([]byte("group " + classifier))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	g := testGroup{key: key, pub: pub, name: peername.Secure(pub, classifier), creator: newIdent("creator-" + classifier)}
	root, err := credential.IssueRoot(key, g.name, g.creator.subj, []uuid.UUID{credential.RoleAdmin}, now.Add(-day), credential.InfiniteAfter(now.Add(-day)))
	if err != nil {
		t.Fatal(err)
	}
	g.root = root
	return g
}

var testAddrs = []netip.AddrPort{
	netip.MustParseAddrPort("192.0.2.7:40000"),
	netip.MustParseAddrPort("[2001:db8::1]:443"),
	netip.MustParseAddrPort("[fe80::1%eth0]:5353"),
}

// gmcInvitation is a signed GMC invitation from issuer (holding chain) to
// subject with roles, valid for a day from now.
func gmcInvitation(t testing.TB, g testGroup, issuer ident, chain credential.Chain, subject ident, roles []uuid.UUID) *Invitation {
	t.Helper()
	c, err := credential.Issue(issuer.subj, issuer.key, chain, subject.subj, roles, now, now.Add(day))
	if err != nil {
		t.Fatal(err)
	}
	inv := &Invitation{
		GroupPeerName: g.name, GroupFriendlyName: `Chess <club> & "friends" 'n' co` + "\t\n\r ♞ 🎉", Cloud: "Global_",
		Scope: 1, CloudFlags: 0, GroupKey: g.pub,
		IssuerPeerName: issuer.subj.PeerName, IssuerFriendlyName: issuer.subj.FriendlyName,
		SubjectPeerName: subject.subj.PeerName, SubjectFriendlyName: subject.subj.FriendlyName, SubjectKey: subject.subj.Key,
		Roles: roles, NotBefore: now, NotAfter: now.Add(day),
		Classifiers: credential.Classifiers(roles), AuthScheme: AuthGMC, Credential: c, Addresses: testAddrs,
	}
	if err := inv.Sign(issuer.key); err != nil {
		t.Fatal(err)
	}
	return inv
}

// passwordInvitation is a signed password invitation from the creator.
func passwordInvitation(t testing.TB, g testGroup) *Invitation {
	t.Helper()
	inv := &Invitation{
		GroupPeerName: g.name, GroupFriendlyName: "Open house", Scope: 3, CloudFlags: 1, GroupKey: g.pub,
		IssuerPeerName: g.creator.subj.PeerName, IssuerFriendlyName: g.creator.subj.FriendlyName,
		Roles: []uuid.UUID{credential.RoleMember}, NotBefore: now, NotAfter: now.Add(7 * day),
		AuthScheme: AuthPassword, IssuerChain: g.root,
	}
	if err := inv.Sign(g.creator.key); err != nil {
		t.Fatal(err)
	}
	return inv
}

func wantCode(t testing.TB, err error, code *peererr.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("error %v, want %s", err, code.Name)
	}
	if got := peererr.HResult(err); got != code.HR {
		t.Fatalf("HRESULT %#x, want %s", got, code.Name)
	}
}

func encode(t testing.TB, inv *Invitation) string {
	t.Helper()
	doc, err := inv.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
