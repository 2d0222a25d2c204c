package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// now is the fixed clock of the tests.
var now = filetime.From(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))

const day = 24 * time.Hour

// ident is a test identity with a deterministic key.
type ident struct {
	key  ed25519.PrivateKey
	subj Subject
}

func newIdent(name string) ident {
	seed := sha256.Sum256([]byte("identity " + name))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	return ident{key: key, subj: Subject{PeerName: peername.Secure(pub, name), FriendlyName: "Friendly " + name, Key: pub}}
}

// testGroup is a group with its key, name and the creator's root chain.
type testGroup struct {
	key     ed25519.PrivateKey
	pub     ed25519.PublicKey
	name    string
	creator ident
	root    Chain
}

func newGroup(t testing.TB, classifier string) testGroup {
	t.Helper()
	seed := sha256.Sum256([]byte("group " + classifier))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	g := testGroup{key: key, pub: pub, name: peername.Secure(pub, classifier), creator: newIdent("creator-" + classifier)}
	root, err := IssueRoot(key, g.name, g.creator.subj, []uuid.UUID{RoleAdmin}, now.Add(-day), InfiniteAfter(now.Add(-day)))
	if err != nil {
		t.Fatalf("IssueRoot: %v", err)
	}
	g.root = root
	return g
}

// issue issues for subject with issuer's chain, failing the test on error.
func issue(t testing.TB, issuer ident, chain Chain, subject ident, roles []uuid.UUID, nb, na filetime.FILETIME) Chain {
	t.Helper()
	c, err := Issue(issuer.subj, issuer.key, chain, subject.subj, roles, nb, na)
	if err != nil {
		t.Fatalf("Issue to %s: %v", subject.subj.PeerName, err)
	}
	return c
}

// forge signs cr with key and puts it on top of parent, bypassing every
// check Issue makes: what an attacker could build.
func forge(t testing.TB, key ed25519.PrivateKey, cr *Credential, parent Chain) Chain {
	t.Helper()
	cr.Signature = ed25519.Sign(key, cr.signedBytes())
	return append(Chain{cr}, parent...)
}

// wantCode fails unless err wraps code.
func wantCode(t testing.TB, err error, code *peererr.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("error %v, want %s", err, code.Name)
	}
}
