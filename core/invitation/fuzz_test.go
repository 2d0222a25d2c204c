package invitation

import (
	"testing"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/peererr"
)

// FuzzParseInvitation feeds Parse arbitrary text, seeded with signed GMC
// and password invitations. Whatever parses must re-encode to the same
// text and survive VerifyFor; every failure must carry an HRESULT.
func FuzzParseInvitation(f *testing.F) {
	g := newGroup(f, "fuzz")
	joiner := newIdent("joiner")
	inviter := newIdent("inviter")
	c, err := credential.Issue(g.creator.subj, g.creator.key, g.root, inviter.subj, []uuid.UUID{credential.RoleInvitingMember}, now, now.Add(2*day))
	if err != nil {
		f.Fatal(err)
	}
	for _, inv := range []*Invitation{
		gmcInvitation(f, g, g.creator, g.root, joiner, member),
		gmcInvitation(f, g, inviter, c, joiner, []uuid.UUID{credential.RoleMember, credential.RoleInvitingMember}),
		passwordInvitation(f, g),
	} {
		f.Add(encode(f, inv))
	}
	f.Add(`<PEERINVITATION VERSION="1.0"></PEERINVITATION>`)
	f.Fuzz(func(t *testing.T, doc string) {
		inv, err := Parse(doc)
		if err != nil {
			if peererr.HResult(err) == peererr.ErrFail.HR {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		again, err := inv.Encode()
		if err != nil {
			t.Fatalf("parsed invitation does not encode: %v", err)
		}
		if again != doc {
			t.Fatalf("not canonical:\n%q\n%q", doc, again)
		}
		if err := inv.VerifyFor(joiner.subj.PeerName, now); err != nil && peererr.HResult(err) == peererr.ErrFail.HR {
			t.Fatalf("verify error without a code: %v", err)
		}
	})
}
