package store

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/uuid"

	"p2p/core/record"
)

// TestWithRange: the records in [lower, upper), in id order, with byte
// prefixes as bounds and an empty upper as no limit.
func TestWithRange(t *testing.T) {
	db := open(t)
	var ids [][]byte
	for _, first := range []byte{0x00, 0x10, 0x10, 0x7f, 0x80, 0xff} {
		r := rec(1, "x")
		r.ID = uuid.New()
		r.ID[0] = first
		if _, err := db.Put(r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID[:])
	}
	slices.SortFunc(ids, bytes.Compare)
	for _, c := range []struct {
		lower, upper []byte
		want         [][]byte
	}{
		{nil, nil, ids},
		{[]byte{0x10}, []byte{0x11}, ids[1:3]},
		{[]byte{0x10}, []byte{0x80}, ids[1:4]},
		{[]byte{0x80}, nil, ids[4:]},
		{[]byte{0x01}, []byte{0x10}, nil},
	} {
		var got [][]byte
		if err := db.WithRange(c.lower, c.upper, func(r *record.Record) bool {
			got = append(got, bytes.Clone(r.ID[:]))
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, c.want, bytes.Equal) {
			t.Errorf("[%x, %x): %x, want %x", c.lower, c.upper, got, c.want)
		}
	}
}
