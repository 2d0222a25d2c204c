package mesh

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"

	"p2p/core/recon"
	"p2p/core/record"
)

// TestIndexSnapshot: a snapshot taken after adds, changes and removals,
// merged into the previous one, equals one built from scratch.
func TestIndexSnapshot(t *testing.T) {
	x := &index{m: make(map[[recon.IDSize]byte][recon.HashSize]byte), changed: make(map[[recon.IDSize]byte]struct{}),
		claimed: make(map[[32]byte]struct{})}
	r := rand.New(rand.NewPCG(1, 2))
	var live []*record.Record
	newRec := func() *record.Record {
		rec := &record.Record{ID: uuid.New(), Version: 1, Data: []byte{byte(r.Uint32())}}
		live = append(live, rec)
		return rec
	}
	for range 2000 {
		newRec()
	}
	x.add("g", live)
	for step := range 30 {
		var batch, gone []*record.Record
		for range r.IntN(40) {
			batch = append(batch, newRec())
		}
		for range r.IntN(10) { // new versions
			rec := live[r.IntN(len(live))]
			rec.Version++
			batch = append(batch, rec)
		}
		for range r.IntN(10) {
			i := r.IntN(len(live))
			gone = append(gone, live[i])
			live = slices.Delete(live, i, i+1)
		}
		x.add("g", batch)
		x.remove(gone)
		if step%3 == 0 {
			continue // several rounds of changes between snapshots
		}
		got := x.snapshot().Items()
		want := make([]recon.Item, 0, len(live))
		for _, rec := range live {
			h := rec.Hash("g")
			var it recon.Item
			it.ID = rec.ID
			copy(it.Hash[:], h[:])
			want = append(want, it)
		}
		recon.SortItems(want)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: snapshot of %d items differs from the %d expected", step, len(got), len(want))
		}
	}
}
