package group_test

import (
	"fmt"
	"testing"
	"time"

	"p2p/core/group"
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

// TestCheckHashes: the hashes Check computes with the signatures, for the
// store, are record.Hash; hashes the caller passes are kept as given.
func TestCheckHashes(t *testing.T) {
	m := newMembers(t)
	var recs []*record.Record
	for i := range 300 { // several verification chunks
		recs = append(recs, m.signed(m.bob, fmt.Sprint("record ", i)))
	}
	c := m.a.Check(recs, nil, nil)
	got, passed := group.CheckedHashes(c), group.CheckedRecords(c)
	if len(passed) != len(recs) || len(got) != len(passed) {
		t.Fatalf("%d passed with %d hashes, want %d", len(passed), len(got), len(recs))
	}
	for i, r := range passed {
		if got[i] != r.Hash(m.a.GroupPeerName()) {
			t.Fatalf("record %d: Check's hash differs from record.Hash", i)
		}
	}
	given := make([][32]byte, len(recs))
	for i := range given {
		given[i][0] = byte(i)
	}
	c = m.a.Check(recs, given, nil)
	for i, h := range group.CheckedHashes(c) {
		if h != given[i] {
			t.Fatalf("record %d: given hash not kept", i)
		}
	}
}

// TestCheckAheadOfStore: batches checked one after the other, none yet
// stored, know the members every earlier one introduces, and stored
// together (Merge) they are stored as if one by one.
func TestCheckAheadOfStore(t *testing.T) {
	m := newMembers(t)
	c := m.w.join(m.a, m.carol, expiresIn(30*24*time.Hour))
	carolMember, err := group.StoreOf(c).Get(group.MemberRecordID(c.GroupPeerName(), m.carol.PeerName))
	if err != nil {
		t.Fatal(err)
	}
	c1 := m.a.Check([]*record.Record{carolMember}, nil, nil)
	c2 := m.a.Check([]*record.Record{m.signed(m.bob, "bob's")}, nil, c1)
	c3 := m.a.Check([]*record.Record{m.signed(m.carol, "carol's")}, nil, c2)
	if c1.Len() != 1 || c2.Len() != 1 || c3.Len() != 1 {
		t.Fatalf("passed %d, %d, %d; want 1 each", c1.Len(), c2.Len(), c3.Len())
	}
	stored, rejected, err := m.a.Store(group.Merge(c1, c2, c3), nil)
	if err != nil || stored != 3 || rejected != 0 {
		t.Fatalf("stored %d rejected %d: %v", stored, rejected, err)
	}
	// Stored, carol is known without any earlier batch.
	if d := m.a.Check([]*record.Record{m.signed(m.carol, "again")}, nil, nil); d.Len() != 1 {
		t.Fatalf("carol's record after her member record was stored: %d passed", d.Len())
	}
}
