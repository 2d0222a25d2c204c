package credential

import (
	"bytes"
	"testing"

	"p2p/core/peererr"
)

// FuzzParseChain feeds ParseChain arbitrary bytes, seeded with valid
// chains of one, two, three and 24 links. Whatever parses must re-encode
// to the same bytes (the encoding is canonical) and must survive Verify;
// whatever fails must carry an HRESULT.
func FuzzParseChain(f *testing.F) {
	g := newGroup(f, "fuzz")
	_, sample := sampleChain(f)
	long, _ := adminChain(f, g, MaxChainLength)
	for _, c := range []Chain{g.root, sample[1:], sample, long} {
		b, err := c.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("GMC\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseChain(b)
		if err != nil {
			if peererr.HResult(err) == peererr.ErrFail.HR {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		again, err := c.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed chain does not marshal: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n%x\n%x", b, again)
		}
		_ = c.Verify(g.name, g.pub, now)
		_ = c.Verify(c[len(c)-1].GroupPeerName, c[len(c)-1].Subject.Key, now)
	})
}
