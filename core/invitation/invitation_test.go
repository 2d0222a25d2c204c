package invitation

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/peererr"
)

var (
	admin  = []uuid.UUID{credential.RoleAdmin}
	member = []uuid.UUID{credential.RoleMember}
)

func TestGMCRoundTrip(t *testing.T) {
	g := newGroup(t, "club")
	joiner := newIdent("joiner")
	inv := gmcInvitation(t, g, g.creator, g.root, joiner, []uuid.UUID{credential.RoleMember, credential.RoleInvitingMember})
	doc := encode(t, inv)
	if strings.ContainsAny(doc, "\n\r\t") || !strings.HasPrefix(doc, `<PEERINVITATION VERSION="p2p-1">`) {
		t.Fatalf("document not one line of our version: %q", doc[:60])
	}
	got, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, inv) {
		t.Fatalf("round trip differs:\n%+v\n%+v", got, inv)
	}
	if again := encode(t, got); again != doc {
		t.Fatal("re-encoding differs")
	}
	if err := got.Verify(now); err != nil {
		t.Fatal(err)
	}
	if err := got.VerifyFor(joiner.subj.PeerName, now.Add(day-1)); err != nil {
		t.Fatal(err)
	}
	// The leaf keeps its roles sorted; the invitation keeps the caller's
	// order. Both describe the same set.
	if got.Roles[0] != credential.RoleMember || got.Credential.Leaf().Roles[0] != credential.RoleInvitingMember {
		t.Fatalf("role order: invitation %v, leaf %v", got.Roles, got.Credential.Leaf().Roles)
	}
	if !reflect.DeepEqual(got.Classifiers, []string{"participant"}) {
		t.Errorf("classifiers %v", got.Classifiers)
	}
}

func TestPasswordRoundTrip(t *testing.T) {
	g := newGroup(t, "open")
	inv := passwordInvitation(t, g)
	doc := encode(t, inv)
	got, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, inv) {
		t.Fatalf("round trip differs:\n%+v\n%+v", got, inv)
	}
	if strings.Contains(doc, "SUBJECT") || strings.Contains(doc, "<CREDENTIAL>") {
		t.Errorf("password invitation names a subject or credential: %s", doc)
	}
	for _, who := range []string{"alice", "bob"} {
		if err := got.VerifyFor(newIdent(who).subj.PeerName, now); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}
}

func TestInvitingMemberInvitation(t *testing.T) {
	g := newGroup(t, "chain")
	inviter := newIdent("inviter")
	c, err := credential.Issue(g.creator.subj, g.creator.key, g.root, inviter.subj, []uuid.UUID{credential.RoleInvitingMember}, now, now.Add(2*day))
	if err != nil {
		t.Fatal(err)
	}
	inv := gmcInvitation(t, g, inviter, c, newIdent("joiner"), member)
	got, err := Parse(encode(t, inv))
	if err != nil {
		t.Fatal(err)
	}
	if err := got.VerifyFor(newIdent("joiner").subj.PeerName, now); err != nil {
		t.Fatal(err)
	}
	if len(got.Credential) != 3 {
		t.Fatalf("chain of %d", len(got.Credential))
	}
}

func TestVerifyForAnotherIdentity(t *testing.T) {
	g := newGroup(t, "club")
	inv := gmcInvitation(t, g, g.creator, g.root, newIdent("joiner"), member)
	wantCode(t, inv.VerifyFor(newIdent("eve").subj.PeerName, now), peererr.ErrInvitationNotTrusted)
	// Even out of date, the wrong identity is reported first.
	wantCode(t, inv.VerifyFor(newIdent("eve").subj.PeerName, now.Add(2*day)), peererr.ErrInvitationNotTrusted)
	wantCode(t, inv.VerifyFor("", now), peererr.ErrInvalidArg)
}

func TestValidityPeriod(t *testing.T) {
	g := newGroup(t, "club")
	joiner := newIdent("joiner").subj.PeerName
	gmc := gmcInvitation(t, g, g.creator, g.root, newIdent("joiner"), member)
	pw := passwordInvitation(t, g)
	for _, c := range []struct {
		name string
		inv  *Invitation
		at   filetime.FILETIME
	}{
		{"gmc expired", gmc, gmc.NotAfter},
		{"gmc long expired", gmc, gmc.NotAfter.Add(1000 * day)},
		{"gmc not yet valid", gmc, gmc.NotBefore - 1},
		{"password expired", pw, pw.NotAfter},
		{"password not yet valid", pw, pw.NotBefore - 1},
		{"password before the root", pw, g.root.Leaf().NotBefore - 1},
	} {
		wantCode(t, c.inv.VerifyFor(joiner, c.at), peererr.ErrInvalidTimePeriod)
		wantCode(t, c.inv.Verify(c.at), peererr.ErrInvalidTimePeriod)
	}
}

// TestTampered changes signed fields after signing, as an attacker
// editing the text would; Verify must refuse every one.
func TestTampered(t *testing.T) {
	g := newGroup(t, "club")
	joiner, eve := newIdent("joiner"), newIdent("eve")
	other := newGroup(t, "other")
	evesChain, err := credential.Issue(g.creator.subj, g.creator.key, g.root, eve.subj, member, now, now.Add(day))
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(inv *Invitation){
		"group friendly name": func(inv *Invitation) { inv.GroupFriendlyName = "Evil" },
		"cloud":               func(inv *Invitation) { inv.Cloud = "LinkLocal_" },
		"scope":               func(inv *Invitation) { inv.Scope = 3 },
		"addresses":           func(inv *Invitation) { inv.Addresses = []netip.AddrPort{netip.MustParseAddrPort("203.0.113.9:1")} },
		"drop address":        func(inv *Invitation) { inv.Addresses = inv.Addresses[:1] },
		"classifiers":         func(inv *Invitation) { inv.Classifiers = nil },
		"issuer friendly":     func(inv *Invitation) { inv.IssuerFriendlyName = "Mallory" },
		"roles":               func(inv *Invitation) { inv.Roles = admin },
		"validity":            func(inv *Invitation) { inv.NotAfter = inv.NotAfter.Add(day) },
		"other credential": func(inv *Invitation) {
			inv.Credential = evesChain
			inv.SubjectPeerName, inv.SubjectFriendlyName, inv.SubjectKey = eve.subj.PeerName, eve.subj.FriendlyName, eve.subj.Key
		},
		"other group": func(inv *Invitation) { inv.GroupPeerName, inv.GroupKey = other.name, other.pub },
		"re-signed by eve": func(inv *Invitation) {
			inv.Signature = ed25519.Sign(eve.key, must(inv.signedBytes()))
		},
		"signature": func(inv *Invitation) { inv.Signature[7] ^= 1 },
		"flags":     func(inv *Invitation) { inv.Flags = 1 },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			inv := gmcInvitation(t, g, g.creator, g.root, joiner, member)
			edit(inv)
			wantCode(t, inv.Verify(now), peererr.ErrInvitationNotTrusted)
		})
	}
	// A password invitation naming a plain member as issuer of the member
	// role: a member cannot grant anything.
	m := newIdent("member")
	mChain, err := credential.Issue(g.creator.subj, g.creator.key, g.root, m.subj, member, now, now.Add(day))
	if err != nil {
		t.Fatal(err)
	}
	pw := passwordInvitation(t, g)
	pw.IssuerPeerName, pw.IssuerFriendlyName, pw.IssuerChain = m.subj.PeerName, m.subj.FriendlyName, mChain
	pw.NotAfter = now.Add(day)
	pw.Signature = ed25519.Sign(m.key, must(pw.signedBytes()))
	wantCode(t, pw.Verify(now), peererr.ErrInvitationNotTrusted)
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestFlippedByte flips bits of every byte of a signed invitation's text:
// each result must fail to parse or fail to verify.
func TestFlippedByte(t *testing.T) {
	g := newGroup(t, "club")
	joiner := newIdent("joiner").subj.PeerName
	for _, inv := range []*Invitation{
		gmcInvitation(t, g, g.creator, g.root, newIdent("joiner"), member),
		passwordInvitation(t, g),
	} {
		doc := []byte(encode(t, inv))
		for i := range doc {
			for _, bit := range []byte{0x01, 0x20} {
				m := append([]byte(nil), doc...)
				m[i] ^= bit
				p, err := Parse(string(m))
				if err != nil {
					if peererr.HResult(err) == peererr.ErrFail.HR {
						t.Fatalf("byte %d: error without a code: %v", i, err)
					}
					continue
				}
				if err := p.VerifyFor(joiner, now); err == nil {
					t.Fatalf("byte %d (%q) ^ %#x: altered invitation verifies", i, doc[i], bit)
				}
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	g := newGroup(t, "club")
	doc := encode(t, gmcInvitation(t, g, g.creator, g.root, newIdent("joiner"), member))
	pw := encode(t, passwordInvitation(t, g))
	roleText := credential.RoleMember.String()
	cases := []struct {
		name string
		doc  string
		want *peererr.Code
	}{
		{"empty", "", peererr.ErrInvalidArg},
		{"too long", strings.Repeat(" ", MaxDocumentSize+1), peererr.ErrInvalidArg},
		{"not xml", "hello", peererr.ErrInvalidArg},
		{"other root", "<PEERIDENTITYINFO VERSION=\"1.0\"></PEERIDENTITYINFO>", peererr.ErrInvalidArg},
		{"broken before root", "<<PEERINVITATION", peererr.ErrInvalidArg},
		{"windows version", `<PEERINVITATION VERSION="1.0"><CLOUDNAME>Global_</CLOUDNAME></PEERINVITATION>`, peererr.ErrUnsupportedVersion},
		{"no version", `<PEERINVITATION></PEERINVITATION>`, peererr.ErrUnsupportedVersion},
		{"truncated", doc[:len(doc)/2], peererr.ErrInvitationNotTrusted},
		{"trailing newline", doc + "\n", peererr.ErrInvitationNotTrusted},
		{"trailing garbage", doc + "<X/>", peererr.ErrInvitationNotTrusted},
		{"declaration", `<?xml version="1.0"?>` + doc, peererr.ErrInvitationNotTrusted},
		{"comment", strings.Replace(doc, "<CLOUD>", "<!-- hi --><CLOUD>", 1), peererr.ErrInvitationNotTrusted},
		{"whitespace", strings.Replace(doc, "<CLOUD>", "\n  <CLOUD>", 1), peererr.ErrInvitationNotTrusted},
		{"extra attribute", strings.Replace(doc, `VERSION="p2p-1"`, `VERSION="p2p-1" X="1"`, 1), peererr.ErrInvitationNotTrusted},
		{"single quotes", strings.Replace(doc, `VERSION="p2p-1"`, `VERSION='p2p-1'`, 1), peererr.ErrInvitationNotTrusted},
		{"char reference", strings.Replace(doc, "<CLOUD>G", "<CLOUD>&#71;", 1), peererr.ErrInvitationNotTrusted},
		{"cdata", strings.Replace(doc, "<CLOUD>Global_", "<CLOUD><![CDATA[Global_]]>", 1), peererr.ErrInvitationNotTrusted},
		{"upper-case role", strings.Replace(doc, roleText, strings.ToUpper(roleText), 1), peererr.ErrInvitationNotTrusted},
		{"braced role", strings.Replace(doc, roleText, "{"+roleText+"}", 1), peererr.ErrInvitationNotTrusted},
		{"leading zero", strings.Replace(doc, "<SCOPE>1<", "<SCOPE>01<", 1), peererr.ErrInvitationNotTrusted},
		{"unknown element", strings.Replace(doc, "<CLOUD>", "<EXTRA></EXTRA><CLOUD>", 1), peererr.ErrInvitationNotTrusted},
		{"repeated element", strings.Replace(doc, "<CLOUD>", "<CLOUD>x</CLOUD><CLOUD>", 1), peererr.ErrInvitationNotTrusted},
		{"elements reordered", swap(doc, "<SCOPE>1</SCOPE>", "<CLOUDFLAGS>0</CLOUDFLAGS>"), peererr.ErrInvitationNotTrusted},
		{"subject in a password invitation", strings.Replace(pw, "<VALIDITYSTART>", "<SUBJECTPEERNAME></SUBJECTPEERNAME><VALIDITYSTART>", 1), peererr.ErrInvitationNotTrusted},
		{"both chains", strings.Replace(doc, "<ADDRESS>", "<ISSUERCHAIN>AA==</ISSUERCHAIN><ADDRESS>", 1), peererr.ErrInvitationNotTrusted},
		{"bad base64", strings.Replace(doc, "<SIGNATURE>", "<SIGNATURE>!", 1), peererr.ErrInvitationNotTrusted},
		{"scheme 3", strings.Replace(doc, "<AUTHSCHEME>1<", "<AUTHSCHEME>3<", 1), peererr.ErrInvitationNotTrusted},
		{"port zero", strings.Replace(doc, ":40000<", ":0<", 1), peererr.ErrInvitationNotTrusted},
		{"too many roles", strings.Replace(doc, "<ROLE>", strings.Repeat("<ROLE>"+roleText+"</ROLE>", MaxRoles+1)+"<ROLE>", 1), peererr.ErrInvitationNotTrusted},
		{"duplicate role", strings.Replace(doc, "<ROLE>", "<ROLE>"+roleText+"</ROLE><ROLE>", 1), peererr.ErrInvitationNotTrusted},
		{"too many addresses", strings.Replace(doc, "<ADDRESS>", strings.Repeat("<ADDRESS>192.0.2.1:1</ADDRESS>", MaxAddresses)+"<ADDRESS>", 1), peererr.ErrInvitationNotTrusted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.doc)
			wantCode(t, err, c.want)
		})
	}
}

func swap(s, a, b string) string {
	s = strings.Replace(s, a, "\x00", 1)
	s = strings.Replace(s, b, a, 1)
	return strings.Replace(s, "\x00", b, 1)
}

func TestSignRefuses(t *testing.T) {
	g := newGroup(t, "club")
	joiner := newIdent("joiner")
	cases := map[string]struct {
		edit func(inv *Invitation)
		key  ed25519.PrivateKey
		want *peererr.Code
	}{
		"wrong key":                  {func(*Invitation) {}, joiner.key, peererr.ErrInvalidArg},
		"subject not the leaf":       {func(inv *Invitation) { inv.SubjectFriendlyName = "someone" }, nil, peererr.ErrInvalidArg},
		"roles not the leaf's":       {func(inv *Invitation) { inv.Roles = admin }, nil, peererr.ErrInvalidArg},
		"validity not the leaf's":    {func(inv *Invitation) { inv.NotBefore++ }, nil, peererr.ErrInvalidTimePeriod},
		"issuer not the chain's":     {func(inv *Invitation) { inv.IssuerPeerName = joiner.subj.PeerName }, nil, peererr.ErrInvalidArg},
		"flags":                      {func(inv *Invitation) { inv.Flags = 1 }, nil, peererr.ErrInvalidArg},
		"scope":                      {func(inv *Invitation) { inv.Scope = 4 }, nil, peererr.ErrInvalidArg},
		"cloud flags":                {func(inv *Invitation) { inv.CloudFlags = 8 }, nil, peererr.ErrInvalidArg},
		"scheme":                     {func(inv *Invitation) { inv.AuthScheme = 3 }, nil, peererr.ErrInvalidArg},
		"no roles":                   {func(inv *Invitation) { inv.Roles = nil }, nil, peererr.ErrInvalidRoleProperty},
		"unknown role":               {func(inv *Invitation) { inv.Roles = []uuid.UUID{uuid.New()} }, nil, peererr.ErrInvalidRoleProperty},
		"control character":          {func(inv *Invitation) { inv.GroupFriendlyName = "a\x01b" }, nil, peererr.ErrInvalidFriendlyName},
		"long friendly name":         {func(inv *Invitation) { inv.GroupFriendlyName = strings.Repeat("x", 256) }, nil, peererr.ErrInvalidFriendlyName},
		"long cloud":                 {func(inv *Invitation) { inv.Cloud = strings.Repeat("x", 256) }, nil, peererr.ErrInvalidArg},
		"bad classifier":             {func(inv *Invitation) { inv.Classifiers = []string{"a\nb"} }, nil, peererr.ErrInvalidClassifier},
		"too many classifiers":       {func(inv *Invitation) { inv.Classifiers = make([]string, MaxClassifiers+1) }, nil, peererr.ErrInvalidArg},
		"port zero":                  {func(inv *Invitation) { inv.Addresses = []netip.AddrPort{netip.MustParseAddrPort("192.0.2.1:0")} }, nil, peererr.ErrInvalidAddress},
		"unspecified address":        {func(inv *Invitation) { inv.Addresses = []netip.AddrPort{netip.MustParseAddrPort("[::]:1")} }, nil, peererr.ErrInvalidAddress},
		"zero address":               {func(inv *Invitation) { inv.Addresses = []netip.AddrPort{{}} }, nil, peererr.ErrInvalidAddress},
		"group key not the name's":   {func(inv *Invitation) { inv.GroupKey = joiner.subj.Key }, nil, peererr.ErrInvalidPeerName},
		"subject key not the name's": {func(inv *Invitation) { inv.SubjectKey = g.pub }, nil, peererr.ErrInvalidPeerName},
		"issuer chain too":           {func(inv *Invitation) { inv.IssuerChain = g.root }, nil, peererr.ErrInvalidCredential},
		"credential of one link":     {func(inv *Invitation) { inv.Credential = g.root }, nil, peererr.ErrInvalidCredential},
		"nil link":                   {func(inv *Invitation) { inv.Credential = credential.Chain{nil, nil} }, nil, peererr.ErrInvalidCredential},
		"password with subject": {func(inv *Invitation) {
			inv.AuthScheme, inv.IssuerChain, inv.Credential = AuthPassword, g.root, nil
		}, nil, peererr.ErrInvalidArg},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			inv := gmcInvitation(t, g, g.creator, g.root, joiner, member)
			c.edit(inv)
			key := c.key
			if key == nil {
				key = g.creator.key
			}
			err := inv.Sign(key)
			if !errors.Is(err, c.want) {
				t.Fatalf("Sign: %v, want %s", err, c.want.Name)
			}
		})
	}
	// Password invitations: the issuer must be able to grant the roles,
	// for no longer than its own credential.
	m := newIdent("member")
	mChain, err := credential.Issue(g.creator.subj, g.creator.key, g.root, m.subj, member, now, now.Add(day))
	if err != nil {
		t.Fatal(err)
	}
	pw := passwordInvitation(t, g)
	pw.IssuerPeerName, pw.IssuerFriendlyName, pw.IssuerChain, pw.NotAfter = m.subj.PeerName, m.subj.FriendlyName, mChain, now.Add(day)
	if err := pw.Sign(m.key); !errors.Is(err, peererr.ErrNotAuthorized) {
		t.Fatalf("member signs a password invitation: %v", err)
	}
	pw = passwordInvitation(t, g)
	pw.NotAfter = filetime.Forever
	if err := pw.Sign(g.creator.key); !errors.Is(err, peererr.ErrInvalidTimePeriod) {
		t.Fatalf("password invitation outliving its issuer: %v", err)
	}
	// Encode refuses an unsigned or malformed invitation; the agreement
	// between the invitation and its chain is Verify's to judge.
	pw = passwordInvitation(t, g)
	pw.Signature = nil
	if _, err := pw.Encode(); !errors.Is(err, peererr.ErrInvalidArg) {
		t.Fatalf("Encode unsigned: %v", err)
	}
	pw = passwordInvitation(t, g)
	pw.Flags = 1
	if _, err := pw.Encode(); !errors.Is(err, peererr.ErrInvalidArg) {
		t.Fatalf("Encode with flags: %v", err)
	}
}

// TestLargest builds an invitation with every list and string at its
// limit, escaped as expensively as possible, and a chain of 24: it must
// encode within MaxDocumentSize and round-trip.
func TestLargest(t *testing.T) {
	g := newGroup(t, strings.Repeat("&", 86)+"-largest12")
	if len(g.name) != 137 {
		t.Fatalf("group name of %d", len(g.name))
	}
	ids := []ident{g.creator}
	chain := g.root
	for i := 1; i < credential.MaxChainLength; i++ {
		next := newIdent(fmt.Sprintf("%03d", i) + strings.Repeat("\u20ac", 146))
		next.subj.FriendlyName = strings.Repeat("\u20ac", 255)
		var err error
		chain, err = credential.Issue(ids[i-1].subj, ids[i-1].key, chain, next.subj, admin, now, now.Add(day))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, next)
	}
	var classifiers []string
	for i := 0; i < MaxClassifiers; i++ {
		classifiers = append(classifiers, strings.Repeat("\"", 149))
	}
	var addrs []netip.AddrPort
	for i := 0; i < MaxAddresses; i++ {
		addrs = append(addrs, netip.AddrPortFrom(netip.MustParseAddr("fe80::ffff:ffff:ffff:ffff").WithZone(strings.Repeat("&", maxZone)), 65535))
	}
	leaf, issuer := chain[0], ids[len(ids)-2]
	inv := &Invitation{
		GroupPeerName: g.name, GroupFriendlyName: strings.Repeat("&", 255), Cloud: strings.Repeat("<", 255),
		Scope: 3, CloudFlags: 7, GroupKey: g.pub,
		IssuerPeerName: issuer.subj.PeerName, IssuerFriendlyName: issuer.subj.FriendlyName,
		SubjectPeerName: leaf.Subject.PeerName, SubjectFriendlyName: leaf.Subject.FriendlyName, SubjectKey: leaf.Subject.Key,
		Roles: leaf.Roles, NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter,
		Classifiers: classifiers, AuthScheme: AuthGMC, Credential: chain, Addresses: addrs,
	}
	if err := inv.Sign(issuer.key); err != nil {
		t.Fatal(err)
	}
	doc := encode(t, inv)
	t.Logf("largest invitation: %d bytes of %d", len(doc), MaxDocumentSize)
	got, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.VerifyFor(leaf.Subject.PeerName, now); err != nil {
		t.Fatal(err)
	}
}

// TestEmptyFields round-trips the empty strings and lists the format
// allows.
func TestEmptyFields(t *testing.T) {
	g := newGroup(t, "")
	joiner := newIdent("")
	joiner.subj.FriendlyName = ""
	inv := gmcInvitation(t, g, g.creator, g.root, joiner, admin)
	inv.GroupFriendlyName, inv.Cloud, inv.Classifiers, inv.Addresses = "", "", []string{""}, nil
	if err := inv.Sign(g.creator.key); err != nil {
		t.Fatal(err)
	}
	doc := encode(t, inv)
	got, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, inv) {
		t.Fatalf("round trip differs:\n%+v\n%+v", got, inv)
	}
	if err := got.VerifyFor(joiner.subj.PeerName, now); err != nil {
		t.Fatal(err)
	}
}
