package group_test

import (
	"fmt"
	"testing"

	"p2p/core/record"
	"p2p/core/sig/sigtest"
)

// TestCheckGivesTheSingleVerdict: records whose signatures carry a
// small-order component (valid under ZIP 215, refused by
// crypto/ed25519.Verify) are stored, and tampered ones among them are
// refused, when they arrive together in one batch, each verdict the one
// record.Verify gives the record alone.
func TestCheckGivesTheSingleVerdict(t *testing.T) {
	m := newMembers(t)
	gname := m.a.GroupPeerName()
	bobKey := m.bob.PublicKey()
	var recs []*record.Record
	want := map[*record.Record]bool{}
	for i := range 40 {
		r := m.signed(m.bob, fmt.Sprintf("record %d", i))
		good := true
		switch {
		case i%5 == 1: // mixed order, valid
			r.Signature = sigtest.SignMixedOrder(m.bob.Key, r.SigningBytes(gname), 1+i%7)
		case i == 13 || i == 33: // mixed order, then tampered
			r.Signature = sigtest.SignMixedOrder(m.bob.Key, r.SigningBytes(gname), 4)
			r.Data = append(r.Data, '!')
			good = false
		case i == 22: // plain, tampered
			r.Data = append(r.Data, '!')
			good = false
		}
		if r.Verify(gname, bobKey) != good {
			t.Fatalf("record %d: single verdict %v, want %v", i, !good, good)
		}
		want[r] = good
		recs = append(recs, r)
	}
	m.apply(t, 37, 3, recs...)
	for r, good := range want {
		_, err := m.a.GetRecord(r.ID)
		if (err == nil) != good {
			t.Errorf("record %q: stored %v, want %v", r.Data, err == nil, good)
		}
	}
}
