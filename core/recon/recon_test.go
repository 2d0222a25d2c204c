package recon

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"p2p/core/wire"
)

// items returns n items with random ids in sorted order (spread evenly
// over the id space, random within their slot) and random digests.
func items(r *rand.Rand, n int) []Item {
	out := make([]Item, n)
	slot := ^uint64(0) / uint64(max(n, 1))
	for i := range out {
		binary.BigEndian.PutUint64(out[i].ID[:8], uint64(i)*slot+r.Uint64N(slot))
		binary.BigEndian.PutUint64(out[i].ID[8:], r.Uint64())
		binary.BigEndian.PutUint64(out[i].Hash[:8], r.Uint64())
		binary.BigEndian.PutUint64(out[i].Hash[8:], r.Uint64())
	}
	return out
}

// newHash is the digest of another version of a record: unrelated to
// the first (a fingerprint sums digests, so flipping the same bit in two
// digests would cancel out, as no two SHA-256 digests do).
func newHash(r *rand.Rand) (h [HashSize]byte) {
	binary.BigEndian.PutUint64(h[:8], r.Uint64())
	binary.BigEndian.PutUint64(h[8:], r.Uint64())
	return h
}

// exchange is one reconciliation run through the wire codecs.
type exchange struct {
	rounds int    // requests the initiator sent
	bytes  int    // payload bytes of every message both ways
	toA    []Item // what the responder sent the initiator
	toB    []Item // what the initiator sent the responder
}

// spanItems are the items of s in sp.
func spanItems(s *Set, sp Span) []Item {
	lo, hi := s.span(sp.Lower, sp.Upper)
	return s.items[lo:hi]
}

// run reconciles initiator a with responder b, encoding and decoding
// every message.
func run(t *testing.T, a, b *Set) exchange {
	t.Helper()
	var x exchange
	req := a.First()
	for req != nil {
		x.rounds++
		if x.rounds > 100 {
			t.Fatal("no end after 100 rounds")
		}
		enc := (&wire.RangeRequest{Round: uint64(x.rounds), Ranges: req}).Encode()
		x.bytes += len(enc)
		m, err := wire.DecodeRangeRequest(enc)
		if err != nil {
			t.Fatalf("round %d: request: %v", x.rounds, err)
		}
		out, sendAll := b.Respond(m.Ranges)
		for _, sp := range sendAll {
			x.toA = append(x.toA, spanItems(b, sp)...)
		}
		enc = (&wire.RangeReply{Round: m.Round, Ranges: out}).Encode()
		x.bytes += len(enc)
		reply, err := wire.DecodeRangeReply(enc)
		if err != nil {
			t.Fatalf("round %d: reply: %v", x.rounds, err)
		}
		o, err := a.Continue(req, reply.Ranges)
		if err != nil {
			t.Fatalf("round %d: %v", x.rounds, err)
		}
		x.toB = append(x.toB, o.Send...)
		for _, sp := range o.SendAll {
			x.toB = append(x.toB, spanItems(a, sp)...)
		}
		if o.Want != nil {
			enc := (&wire.RangeWant{Ranges: o.Want}).Encode()
			x.bytes += len(enc)
			w, err := wire.DecodeRangeWant(enc)
			if err != nil {
				t.Fatalf("round %d: want: %v", x.rounds, err)
			}
			x.toA = append(x.toA, b.Wanted(w.Ranges)...)
		}
		req = o.Next
	}
	return x
}

// minus is the items of a not in b (same id and digest).
func minus(a, b []Item) map[Item]bool {
	in := make(map[Item]bool, len(b))
	for _, it := range b {
		in[it] = true
	}
	out := map[Item]bool{}
	for _, it := range a {
		if !in[it] {
			out[it] = true
		}
	}
	return out
}

// check requires that each side was sent exactly what it lacked.
func check(t *testing.T, name string, a, b []Item, x exchange) {
	t.Helper()
	for _, c := range []struct {
		what           string
		sent, from, to []Item
	}{{"to the initiator", x.toA, b, a}, {"to the responder", x.toB, a, b}} {
		want := minus(c.from, c.to)
		got := map[Item]bool{}
		for _, it := range c.sent {
			if got[it] {
				t.Errorf("%s: %s: item sent twice", name, c.what)
			}
			got[it] = true
		}
		for it := range want {
			if !got[it] {
				t.Errorf("%s: %s: missing item %x", name, c.what, it.ID[:4])
			}
		}
		for it := range got {
			if !want[it] {
				t.Errorf("%s: %s: item %x sent that the other holds", name, c.what, it.ID[:4])
			}
		}
	}
}

func set(its []Item) *Set {
	its = slices.Clone(its)
	SortItems(its)
	return NewSet(its)
}

// TestReconcile runs the protocol between sets of many shapes: equal,
// one or both empty, disjoint, a few differences, the same ids in other
// versions, differences crowded into one corner of the id space.
func TestReconcile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := items(r, 20000)
	other := items(r, 3000)
	changed := func(its []Item, every int) []Item {
		out := slices.Clone(its)
		for i := 0; i < len(out); i += every {
			out[i].Hash = newHash(r)
		}
		return out
	}
	cases := []struct {
		name string
		a, b []Item
	}{
		{"equal", base, base},
		{"both empty", nil, nil},
		{"initiator empty", nil, base},
		{"responder empty", base, nil},
		{"one item each side", base[:1], base[1:2]},
		{"disjoint", base[:5000], other},
		{"ten differences", base[5:], append(slices.Clone(base[:len(base)-5]), other[:3]...)},
		{"other versions", base, changed(base, 997)},
		{"crowded corner", base[:10000], base[:9000]},
		{"small", base[:70], changed(base[:65], 10)},
		{"interleaved halves", everyOther(base, 0), everyOther(base, 1)},
	}
	for _, c := range cases {
		a, b := set(c.a), set(c.b)
		x := run(t, a, b)
		check(t, c.name, a.items, b.items, x)
		t.Logf("%s: %d and %d items, %d rounds, %d bytes", c.name, a.Len(), b.Len(), x.rounds, x.bytes)
	}
}

// TestReconcileOutOfRoom: when a message would exceed its ranges, the
// rest goes as one range to compare again next round, and the exchange
// still ends with everything sent.
func TestReconcileOutOfRoom(t *testing.T) {
	defer func(m int) { maxRanges = m }(maxRanges)
	maxRanges = 3 * Branch
	base := items(rand.New(rand.NewPCG(9, 10)), 6000)
	a, b := set(everyOther(base, 0)), set(everyOther(base, 1))
	x := run(t, a, b)
	check(t, "out of room", a.items, b.items, x)
	t.Logf("%d rounds", x.rounds)
	if x.rounds < 3 {
		t.Fatalf("%d rounds: the cap did not bind", x.rounds)
	}
}

func everyOther(its []Item, from int) []Item {
	var out []Item
	for i := from; i < len(its); i += 2 {
		out = append(out, its[i])
	}
	return out
}

// TestReconcileRandom: random sets and differences, against the
// expected differences.
func TestReconcileRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		all := items(r, 1+r.IntN(3000))
		var a, b []Item
		pa, pb := r.Float64(), r.Float64()
		for _, it := range all {
			inA, inB := r.Float64() < pa, r.Float64() < pb
			if r.IntN(4) == 0 { // in both
				inA, inB = true, true
			}
			if inA {
				a = append(a, it)
			}
			if inB {
				if r.IntN(50) == 0 {
					it.Hash = newHash(r) // another version
				}
				b = append(b, it)
			}
		}
		sa, sb := set(a), set(b)
		check(t, "random", sa.items, sb.items, run(t, sa, sb))
	}
}

// TestReconcileMillion is the figure of the issue: two members with
// 1,000,000 records that differ in 10 (4 only on each side, 2 in other
// versions) find the differences in under 3 round trips and under 10 KB
// both ways.
func TestReconcileMillion(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 1_000_000
	base := items(r, n+4)
	drop := func(its []Item, at ...int) []Item {
		out := make([]Item, 0, len(its))
		for i, it := range its {
			if !slices.Contains(at, i) {
				out = append(out, it)
			}
		}
		return out
	}
	a := drop(base, 5, 500_000, 700_000, 1_000_003) // 4 only on b's side
	b := drop(base, 10, 200_000, 200_001, 999_990)  // 4 only on a's side
	b[400_000].Hash[5] ^= 1                         // the same records in other versions
	b[800_000].Hash[0] ^= 1
	sa, sb := NewSet(a), NewSet(b)
	x := run(t, sa, sb)
	check(t, "million", sa.items, sb.items, x)
	t.Logf("1,000,000 records differing in 10: %d round trips, %d bytes", x.rounds, x.bytes)
	if x.rounds >= 3 || x.bytes >= 10_000 {
		t.Fatalf("%d round trips and %d bytes, want < 3 and < 10,000", x.rounds, x.bytes)
	}
	if len(x.toA) != 6 || len(x.toB) != 6 {
		t.Fatalf("%d and %d records sent, want 6 each", len(x.toA), len(x.toB))
	}
}

// TestContinueRefusesNonsense: a reply that lists or sends for ranges
// the request did not ask about is a protocol error.
func TestContinueRefusesNonsense(t *testing.T) {
	s := set(items(rand.New(rand.NewPCG(7, 8)), 100))
	req := s.First()
	for name, reply := range map[string][]wire.Range{
		"sent without being asked": {{Mode: wire.RangeSent}},
		"empty from the responder": {{Mode: wire.RangeEmpty}},
	} {
		if _, err := s.Continue(req, reply); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	empty := NewSet(nil)
	if _, err := empty.Continue(empty.First(), []wire.Range{{Mode: wire.RangeList}}); err == nil {
		t.Error("a listing for a range asked for in full accepted")
	}
}

// FuzzReconcile feeds a peer's decoded messages to both sides: nothing a
// peer sends may make them panic, loop or answer with a message the
// other side cannot decode.
func FuzzReconcile(f *testing.F) {
	s := set(items(rand.New(rand.NewPCG(11, 12)), 3000))
	other := set(items(rand.New(rand.NewPCG(13, 14)), 500))
	req := other.First()
	out, _ := s.Respond(req)
	f.Add((&wire.RangeRequest{Ranges: req}).Encode(), (&wire.RangeReply{Ranges: out}).Encode())
	f.Add((&wire.RangeRequest{Ranges: []wire.Range{{Mode: wire.RangeEmpty}}}).Encode(),
		(&wire.RangeReply{Ranges: []wire.Range{{Upper: []byte{9}, Mode: wire.RangeList, Digests: [][8]byte{{1}}}, {Mode: wire.RangeSent}}}).Encode())
	f.Fuzz(func(t *testing.T, reqBytes, replyBytes []byte) {
		if m, err := wire.DecodeRangeRequest(reqBytes); err == nil {
			out, sendAll := s.Respond(m.Ranges)
			if _, err := wire.DecodeRangeReply((&wire.RangeReply{Ranges: out}).Encode()); err != nil {
				t.Fatalf("reply does not decode: %v", err)
			}
			for _, sp := range sendAll {
				if len(sp.Upper) != 0 && bytes.Compare(sp.Lower, sp.Upper) >= 0 {
					t.Fatalf("span %x..%x", sp.Lower, sp.Upper)
				}
			}
			s.Wanted(m.Ranges)
		}
		if m, err := wire.DecodeRangeReply(replyBytes); err == nil {
			o, err := s.Continue(s.First(), m.Ranges)
			if err != nil {
				return
			}
			for _, next := range [][]wire.Range{o.Next, o.Want} {
				if next == nil {
					continue
				}
				if _, err := wire.DecodeRangeWant((&wire.RangeWant{Ranges: next}).Encode()); err != nil {
					t.Fatalf("next message does not decode: %v", err)
				}
			}
		}
	})
}
