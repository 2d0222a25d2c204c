package credential

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
)

var (
	admin  = []uuid.UUID{RoleAdmin}
	member = []uuid.UUID{RoleMember}
	invite = []uuid.UUID{RoleInvitingMember}
)

func TestRootCredential(t *testing.T) {
	g := newGroup(t, "root")
	if err := g.root.Verify(g.name, g.pub, now); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	leaf := g.root.Leaf()
	if !leaf.HasRole(RoleAdmin) || leaf.HasRole(RoleMember) {
		t.Errorf("roles %v, want admin only", leaf.Roles)
	}
	if leaf.IssuerPeerName != g.name || leaf.GroupPeerName != g.name {
		t.Errorf("issuer %q group %q, want %q", leaf.IssuerPeerName, leaf.GroupPeerName, g.name)
	}
	if got, want := leaf.NotAfter, InfiniteAfter(now.Add(-day)); got != want {
		t.Errorf("NotAfter %d, want %d", got, want)
	}
	if y := leaf.NotAfter.Time().Year() - leaf.NotBefore.Time().Year(); y < 999 || y > 1000 {
		t.Errorf("infinite lifetime spans %d years", y)
	}
}

func TestIssueRootRefuses(t *testing.T) {
	g := newGroup(t, "rootbad")
	other := newGroup(t, "other")
	_, err := IssueRoot(g.key, other.name, g.creator.subj, admin, now, now.Add(day))
	wantCode(t, err, peererr.ErrInvalidArg)
	_, err = IssueRoot(g.key, g.name, g.creator.subj, nil, now, now.Add(day))
	wantCode(t, err, peererr.ErrInvalidCredentialInfo)
	_, err = IssueRoot(g.key, g.name, g.creator.subj, admin, now, now)
	wantCode(t, err, peererr.ErrInvalidTimePeriod)
	_, err = IssueRoot(g.key, g.name, Subject{PeerName: g.name, Key: g.pub}, admin, now, now.Add(day))
	wantCode(t, err, peererr.ErrCircularChainDetected)
}

func TestAdminIssuesEveryRole(t *testing.T) {
	g := newGroup(t, "admin")
	for _, roles := range [][]uuid.UUID{admin, member, invite, {RoleMember, RoleAdmin, RoleInvitingMember}} {
		c := issue(t, g.creator, g.root, newIdent("m"), roles, now, now.Add(day))
		if err := c.Verify(g.name, g.pub, now); err != nil {
			t.Fatalf("roles %v: Verify: %v", roles, err)
		}
		if len(c) != 2 || c[1] != g.root[0] {
			t.Fatalf("chain %v does not end with the issuer's", c)
		}
		for _, r := range roles {
			if !c.Leaf().HasRole(r) {
				t.Errorf("leaf lacks %s", r)
			}
		}
		if c.Leaf().IssuerPeerName != g.creator.subj.PeerName || c.Leaf().IssuerFriendlyName != g.creator.subj.FriendlyName {
			t.Errorf("issuer %q/%q", c.Leaf().IssuerPeerName, c.Leaf().IssuerFriendlyName)
		}
	}
}

func TestInvitingMemberIssues(t *testing.T) {
	g := newGroup(t, "inviting")
	inv := newIdent("inviter")
	invChain := issue(t, g.creator, g.root, inv, invite, now, now.Add(10*day))
	for _, roles := range [][]uuid.UUID{member, invite, {RoleInvitingMember, RoleMember}} {
		c := issue(t, inv, invChain, newIdent("joiner"), roles, now, now.Add(day))
		if err := c.Verify(g.name, g.pub, now); err != nil {
			t.Fatalf("roles %v: Verify: %v", roles, err)
		}
	}
	_, err := Issue(inv.subj, inv.key, invChain, newIdent("joiner").subj, admin, now, now.Add(day))
	wantCode(t, err, peererr.ErrNotAuthorized)
	_, err = Issue(inv.subj, inv.key, invChain, newIdent("joiner").subj, []uuid.UUID{RoleMember, RoleAdmin}, now, now.Add(day))
	wantCode(t, err, peererr.ErrNotAuthorized)

	// The same, forged past Issue, fails Verify.
	j := newIdent("joiner")
	forged := forge(t, inv.key, &Credential{GroupPeerName: g.name, Subject: j.subj, IssuerPeerName: inv.subj.PeerName,
		Roles: admin, NotBefore: now, NotAfter: now.Add(day)}, invChain)
	wantCode(t, forged.Verify(g.name, g.pub, now), peererr.ErrNotAuthorized)
}

func TestMemberCannotIssue(t *testing.T) {
	g := newGroup(t, "member")
	m := newIdent("member")
	mChain := issue(t, g.creator, g.root, m, member, now, now.Add(10*day))
	for _, roles := range [][]uuid.UUID{member, invite, admin} {
		_, err := Issue(m.subj, m.key, mChain, newIdent("x").subj, roles, now, now.Add(day))
		wantCode(t, err, peererr.ErrNotAuthorized)
	}
	x := newIdent("x")
	forged := forge(t, m.key, &Credential{GroupPeerName: g.name, Subject: x.subj, IssuerPeerName: m.subj.PeerName,
		Roles: member, NotBefore: now, NotAfter: now.Add(day)}, mChain)
	wantCode(t, forged.Verify(g.name, g.pub, now), peererr.ErrNotAuthorized)
}

func TestExpiredLink(t *testing.T) {
	g := newGroup(t, "expired")
	a := newIdent("a")
	aChain := issue(t, g.creator, g.root, a, admin, now, now.Add(2*day))
	leaf := issue(t, a, aChain, newIdent("b"), member, now, now.Add(day))
	if err := leaf.Verify(g.name, g.pub, now.Add(day/2)); err != nil {
		t.Fatalf("Verify within validity: %v", err)
	}
	cases := []struct {
		at   filetime.FILETIME
		want error
	}{
		{now - 1, ErrNotYetValid},
		{now.Add(day), ErrExpired},          // leaf ends (exclusive)
		{now.Add(3 * day), ErrExpired},      // both end
		{now.Add(-2 * day), ErrNotYetValid}, // before the root too
	}
	for _, c := range cases {
		err := leaf.Verify(g.name, g.pub, c.at)
		if !errors.Is(err, c.want) || !errors.Is(err, peererr.ErrInvalidTimePeriod) {
			t.Errorf("at %s: %v, want %v", c.at.Time(), err, c.want)
		}
		if peererr.HResult(err) != peererr.ErrInvalidTimePeriod.HR {
			t.Errorf("HRESULT %#x", peererr.HResult(err))
		}
	}
	// A middle link expired while the leaf claims longer: forged, so the
	// nesting check reports it before the clock does.
	b := newIdent("b")
	forged := forge(t, a.key, &Credential{GroupPeerName: g.name, Subject: b.subj, IssuerPeerName: a.subj.PeerName,
		Roles: member, NotBefore: now, NotAfter: now.Add(5 * day)}, aChain)
	err := forged.Verify(g.name, g.pub, now.Add(3*day))
	wantCode(t, err, peererr.ErrInvalidTimePeriod)
	if errors.Is(err, ErrExpired) {
		t.Errorf("nesting violation reported as expiry: %v", err)
	}
}

func TestChildValidityBeyondParent(t *testing.T) {
	g := newGroup(t, "nesting")
	a := newIdent("a")
	aChain := issue(t, g.creator, g.root, a, admin, now, now.Add(2*day))
	b := newIdent("b")
	for _, v := range [][2]filetime.FILETIME{
		{now, now.Add(2*day) + 1},
		{now - 1, now.Add(day)},
		{now.Add(day), now.Add(day)},
		{now.Add(day), now},
	} {
		_, err := Issue(a.subj, a.key, aChain, b.subj, member, v[0], v[1])
		wantCode(t, err, peererr.ErrInvalidTimePeriod)
	}
	for _, v := range [][2]filetime.FILETIME{{now, now.Add(2*day) + 1}, {now - 1, now.Add(day)}} {
		forged := forge(t, a.key, &Credential{GroupPeerName: g.name, Subject: b.subj, IssuerPeerName: a.subj.PeerName,
			Roles: member, NotBefore: v[0], NotAfter: v[1]}, aChain)
		wantCode(t, forged.Verify(g.name, g.pub, now.Add(day)), peererr.ErrInvalidTimePeriod)
	}
	// Exactly the issuer's validity is allowed.
	c := issue(t, a, aChain, b, member, now, now.Add(2*day))
	if err := c.Verify(g.name, g.pub, now); err != nil {
		t.Fatal(err)
	}
}

func TestWrongGroup(t *testing.T) {
	g := newGroup(t, "right")
	other := newGroup(t, "wrong")
	c := issue(t, g.creator, g.root, newIdent("m"), member, now, now.Add(day))
	wantCode(t, c.Verify(other.name, other.pub, now), peererr.ErrInvalidCredential)
	wantCode(t, c.Verify(g.name, other.pub, now), peererr.ErrInvalidCredential)
	wantCode(t, c.Verify(other.name, g.pub, now), peererr.ErrInvalidCredential)
	wantCode(t, c.Verify(g.name, g.pub[:31], now), peererr.ErrInvalidCredential)

	// A root signed by another key but naming this group.
	fake := forge(t, other.key, &Credential{GroupPeerName: g.name, Subject: g.creator.subj, IssuerPeerName: g.name,
		IssuerFriendlyName: g.name, Roles: admin, NotBefore: now, NotAfter: now.Add(day)}, nil)
	wantCode(t, fake.Verify(g.name, g.pub, now), peererr.ErrInvalidCredential)

	// A chain whose links name different groups.
	m := newIdent("m")
	mixed := forge(t, g.creator.key, &Credential{GroupPeerName: other.name, Subject: m.subj, IssuerPeerName: g.creator.subj.PeerName,
		Roles: member, NotBefore: now, NotAfter: now.Add(day)}, g.root)
	wantCode(t, mixed.Verify(g.name, g.pub, now), peererr.ErrInvalidCredential)

	// An issuer name that is not the signer's.
	renamed := forge(t, g.creator.key, &Credential{GroupPeerName: g.name, Subject: m.subj, IssuerPeerName: newIdent("z").subj.PeerName,
		Roles: member, NotBefore: now, NotAfter: now.Add(day)}, g.root)
	wantCode(t, renamed.Verify(g.name, g.pub, now), peererr.ErrInvalidCredential)
}

// adminChain issues n-1 administrators down from the creator: a chain of
// length n.
func adminChain(t testing.TB, g testGroup, n int) (Chain, ident) {
	c, holder := g.root, g.creator
	for i := 1; i < n; i++ {
		next := newIdent(fmt.Sprintf("admin%d", i))
		c = issue(t, holder, c, next, admin, now, now.Add(day))
		holder = next
	}
	return c, holder
}

func TestChainLength(t *testing.T) {
	g := newGroup(t, "long")
	c, holder := adminChain(t, g, MaxChainLength)
	if len(c) != 24 {
		t.Fatalf("len %d", len(c))
	}
	if err := c.Verify(g.name, g.pub, now); err != nil {
		t.Fatalf("24 links: %v", err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseChain(b); err != nil {
		t.Fatalf("ParseChain of 24: %v", err)
	}
	next := newIdent("admin24")
	_, err = Issue(holder.subj, holder.key, c, next.subj, member, now, now.Add(day))
	wantCode(t, err, peererr.ErrChainTooLong)

	long := forge(t, holder.key, &Credential{GroupPeerName: g.name, Subject: next.subj, IssuerPeerName: holder.subj.PeerName,
		Roles: member, NotBefore: now, NotAfter: now.Add(day)}, c)
	wantCode(t, long.Verify(g.name, g.pub, now), peererr.ErrChainTooLong)
	_, err = long.MarshalBinary()
	wantCode(t, err, peererr.ErrChainTooLong)
	// The 25-link encoding, built by hand, is refused by the decoder.
	enc := append([]byte(nil), b...)
	enc[len(magic)+1] = 25
	enc = long[0].appendFields(enc)
	enc = append(enc, long[0].Signature...)
	_, err = ParseChain(enc)
	wantCode(t, err, peererr.ErrChainTooLong)
}

func TestCircularChain(t *testing.T) {
	g := newGroup(t, "cycle")
	a, b := newIdent("a"), newIdent("b")
	aChain := issue(t, g.creator, g.root, a, admin, now, now.Add(day))
	bChain := issue(t, a, aChain, b, admin, now, now.Add(day))
	// b renewing a, the creator or itself would put one identity twice.
	for _, s := range []ident{a, g.creator, b} {
		_, err := Issue(b.subj, b.key, bChain, s.subj, member, now, now.Add(day))
		wantCode(t, err, peererr.ErrCircularChainDetected)
	}
	cyc := forge(t, b.key, &Credential{GroupPeerName: g.name, Subject: a.subj, IssuerPeerName: b.subj.PeerName,
		Roles: member, NotBefore: now, NotAfter: now.Add(day)}, bChain)
	wantCode(t, cyc.Verify(g.name, g.pub, now), peererr.ErrCircularChainDetected)
	// The group key as a member's subject is a cycle too.
	gk := Subject{PeerName: g.name, Key: g.pub}
	cyc = forge(t, b.key, &Credential{GroupPeerName: g.name, Subject: gk, IssuerPeerName: b.subj.PeerName,
		Roles: member, NotBefore: now, NotAfter: now.Add(day)}, bChain)
	wantCode(t, cyc.Verify(g.name, g.pub, now), peererr.ErrCircularChainDetected)
}

func TestIssueRefusesBadInput(t *testing.T) {
	g := newGroup(t, "bad")
	m := newIdent("m")
	other := newIdent("other")
	cases := []struct {
		name    string
		issuer  Subject
		key     ed25519.PrivateKey
		chain   Chain
		subject Subject
		roles   []uuid.UUID
		want    *peererr.Code
	}{
		{"wrong issuer key", g.creator.subj, other.key, g.root, m.subj, member, peererr.ErrInvalidArg},
		{"issuer not the leaf", other.subj, other.key, g.root, m.subj, member, peererr.ErrInvalidArg},
		{"no issuer chain", g.creator.subj, g.creator.key, nil, m.subj, member, peererr.ErrInvalidCredential},
		{"nil link", g.creator.subj, g.creator.key, Chain{nil}, m.subj, member, peererr.ErrInvalidCredential},
		{"subject name not its key", g.creator.subj, g.creator.key, g.root, Subject{PeerName: other.subj.PeerName, Key: m.subj.Key}, member, peererr.ErrInvalidCredentialInfo},
		{"short subject key", g.creator.subj, g.creator.key, g.root, Subject{PeerName: m.subj.PeerName, Key: m.subj.Key[:5]}, member, peererr.ErrInvalidCredentialInfo},
		{"no roles", g.creator.subj, g.creator.key, g.root, m.subj, nil, peererr.ErrInvalidCredentialInfo},
		{"unknown role", g.creator.subj, g.creator.key, g.root, m.subj, []uuid.UUID{uuid.New()}, peererr.ErrInvalidCredentialInfo},
		{"NUL in friendly name", g.creator.subj, g.creator.key, g.root, Subject{PeerName: m.subj.PeerName, FriendlyName: "a\x00b", Key: m.subj.Key}, member, peererr.ErrInvalidCredentialInfo},
	}
	for _, c := range cases {
		_, err := Issue(c.issuer, c.key, c.chain, c.subject, c.roles, now, now.Add(day))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %s", c.name, err, c.want.Name)
		}
	}
}

func TestRolesCanonical(t *testing.T) {
	g := newGroup(t, "canon")
	c := issue(t, g.creator, g.root, newIdent("m"), []uuid.UUID{RoleMember, RoleAdmin, RoleMember, RoleInvitingMember}, now, now.Add(day))
	want := []uuid.UUID{RoleAdmin, RoleInvitingMember, RoleMember} // byte order: 04.., 43.., f1..
	if !reflect.DeepEqual(c.Leaf().Roles, want) {
		t.Errorf("roles %v, want %v", c.Leaf().Roles, want)
	}
	// Unsorted roles on the wire are not canonical.
	c.Leaf().Roles = []uuid.UUID{RoleMember, RoleAdmin}
	_, err := c.MarshalBinary()
	wantCode(t, err, peererr.ErrInvalidCredential)
}

func TestCanIssueAndClassifiers(t *testing.T) {
	table := []struct {
		parent []uuid.UUID
		child  uuid.UUID
		ok     bool
	}{
		{admin, RoleAdmin, true}, {admin, RoleInvitingMember, true}, {admin, RoleMember, true},
		{invite, RoleAdmin, false}, {invite, RoleInvitingMember, true}, {invite, RoleMember, true},
		{member, RoleAdmin, false}, {member, RoleInvitingMember, false}, {member, RoleMember, false},
		{admin, uuid.New(), false},
	}
	for _, c := range table {
		if got := (&Credential{Roles: c.parent}).CanIssue([]uuid.UUID{c.child}); got != c.ok {
			t.Errorf("%v issues %v: %v, want %v", c.parent, c.child, got, c.ok)
		}
	}
	if (*Credential)(nil).CanIssue(member) || (&Credential{Roles: admin}).CanIssue(nil) {
		t.Error("nil credential or empty roles issuable")
	}
	if Classifiers(admin) != nil || Classifiers([]uuid.UUID{RoleMember, RoleAdmin}) != nil {
		t.Error("admin credentials carry no classifier")
	}
	if got := Classifiers(invite); !reflect.DeepEqual(got, []string{"participant"}) {
		t.Errorf("Classifiers(inviting) = %v", got)
	}
	if (*Credential)(nil).HasRole(RoleAdmin) || Chain(nil).Leaf() != nil {
		t.Error("nil credential has a role")
	}
	if InfiniteAfter(filetime.Forever-1) != filetime.Forever {
		t.Error("InfiniteAfter not capped")
	}
}

// sampleChain is admin -> inviting member -> member, with non-ASCII names.
func sampleChain(t testing.TB) (testGroup, Chain) {
	g := newGroup(t, "sample")
	inv := newIdent("inviter")
	inv.subj.FriendlyName = "Zoë 招待 🎉"
	invChain := issue(t, g.creator, g.root, inv, invite, now, now.Add(10*day))
	return g, issue(t, inv, invChain, newIdent("joiner"), member, now, now.Add(day))
}

func TestMarshalRoundTrip(t *testing.T) {
	g, c := sampleChain(t)
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseChain(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, c) {
		t.Fatalf("round trip differs:\n%+v\n%+v", p, c)
	}
	if err := p.Verify(g.name, g.pub, now); err != nil {
		t.Fatal(err)
	}
	b2, _ := p.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Fatal("re-encoding differs")
	}
	// Parsed chains do not alias the input.
	for i := range b {
		b[i] = 0
	}
	if err := p.Verify(g.name, g.pub, now); err != nil {
		t.Fatalf("parsed chain aliases its input: %v", err)
	}
}

func TestParseChainRejects(t *testing.T) {
	_, c := sampleChain(t)
	b, _ := c.MarshalBinary()
	for n := 0; n < len(b); n++ {
		if _, err := ParseChain(b[:n]); err == nil {
			t.Fatalf("prefix of %d bytes parsed", n)
		}
	}
	_, err := ParseChain(append(append([]byte(nil), b...), 0))
	wantCode(t, err, peererr.ErrInvalidCredential)
	v2 := append([]byte(nil), b...)
	v2[3] = 2
	_, err = ParseChain(v2)
	wantCode(t, err, peererr.ErrUnsupportedVersion)
	_, err = ParseChain(make([]byte, MaxEncodedSize+1))
	wantCode(t, err, peererr.ErrInvalidCredential)
	_, err = Chain(nil).MarshalBinary()
	wantCode(t, err, peererr.ErrInvalidCredential)
}

// TestFlippedByte flips bits of every byte of an encoded chain: each
// result must fail to parse or fail to verify.
func TestFlippedByte(t *testing.T) {
	g, c := sampleChain(t)
	b, _ := c.MarshalBinary()
	for i := range b {
		for _, bit := range []byte{0x01, 0x20, 0x80} {
			m := append([]byte(nil), b...)
			m[i] ^= bit
			p, err := ParseChain(m)
			if err != nil {
				if peererr.HResult(err) == peererr.ErrFail.HR {
					t.Fatalf("byte %d: error without a code: %v", i, err)
				}
				continue
			}
			if err := p.Verify(g.name, g.pub, now); err == nil {
				t.Fatalf("byte %d ^ %#x: altered chain verifies", i, bit)
			}
		}
	}
}
