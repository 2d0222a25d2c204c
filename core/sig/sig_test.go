package sig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"p2p/core/sig/sigtest"
)

// groupOrder is l, little-endian.
var groupOrder = mustHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// testCase is one signature with the verdict the ZIP 215 rules give it.
type testCase struct {
	name          string
	pub, msg, sig []byte
	want          bool
}

// TestSmallOrderEncodings checks the table: each decodes, has order
// dividing 8, and is canonical exactly for the first 8.
func TestSmallOrderEncodings(t *testing.T) {
	seen := map[string]bool{}
	for i, enc := range sigtest.SmallOrder {
		p, err := new(edwards25519.Point).SetBytes(enc)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%d: not of small order", i)
		}
		if canonical := bytes.Equal(p.Bytes(), enc); canonical != (i < 8) {
			t.Fatalf("%d: canonical %v", i, canonical)
		}
		seen[string(p.Bytes())] = true
	}
	if len(seen) != 8 {
		t.Fatalf("%d distinct points, want 8", len(seen))
	}
}

// signer makes signatures under a public key with a torsion component
// (aB + T), which the cofactored equation accepts and crypto/ed25519's
// rejects.
type signer struct {
	a   *edwards25519.Scalar
	pub []byte // aB, or aB + T for a torsioned key
}

func newSigner(t *testing.T, torsion []byte) *signer {
	t.Helper()
	seed := make([]byte, 32)
	rand.Read(seed)
	h := sha512.Sum512(seed)
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	A := new(edwards25519.Point).ScalarBaseMult(a)
	T, _ := new(edwards25519.Point).SetBytes(torsion)
	A.Add(A, T)
	return &signer{a: a, pub: A.Bytes()}
}

// sign returns (R, S) with R = rB and S = r + k a, k = H(R || pub || msg).
func (s *signer) sign(msg []byte) []byte {
	var rb [64]byte
	rand.Read(rb[:])
	r, _ := new(edwards25519.Scalar).SetUniformBytes(rb[:])
	enc := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	h := sha512.New()
	h.Write(enc)
	h.Write(s.pub)
	h.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
	S := new(edwards25519.Scalar).MultiplyAdd(k, s.a, r)
	return append(enc, S.Bytes()...)
}

// edgeCases are signatures at the edges of the rules, each with its ZIP
// 215 verdict.
func edgeCases(t *testing.T) []testCase {
	t.Helper()
	var cs []testCase
	// Every small-order A with every small-order R and S = 0: valid
	// (ZIP 215's own vectors, message "Zcash").
	for i, a := range sigtest.SmallOrder {
		for j, r := range sigtest.SmallOrder {
			cs = append(cs, testCase{name: fmt.Sprintf("small-order A%d R%d", i, j),
				pub: a, msg: []byte("Zcash"), sig: append(bytes.Clone(r), make([]byte, 32)...), want: true})
		}
	}
	msg := []byte("a record's signing bytes")
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	good := ed25519.Sign(priv, msg)
	cs = append(cs, testCase{"plain", pub, msg, good, true})
	cs = append(cs, testCase{"other message", pub, []byte("another"), good, false})
	// S + l: the same scalar, not canonical.
	sPlusL := append(bytes.Clone(good[:32]), addLE(good[32:], groupOrder)...)
	cs = append(cs, testCase{"S + l", pub, msg, sPlusL, false})
	highBit := bytes.Clone(good)
	highBit[63] |= 0x80
	cs = append(cs, testCase{"S with its top bit set", pub, msg, highBit, false})
	cs = append(cs, testCase{"short signature", pub, msg, good[:63], false})
	cs = append(cs, testCase{"short key", pub[:31], msg, good, false})
	// A and R that do not decode (y = 2: x^2 is not a square).
	noPoint := make([]byte, 32)
	noPoint[0] = 2
	if _, err := new(edwards25519.Point).SetBytes(noPoint); err == nil {
		t.Fatal("y = 2 decodes")
	}
	cs = append(cs, testCase{"A not a point", noPoint, msg, good, false})
	cs = append(cs, testCase{"R not a point", pub, msg, append(bytes.Clone(noPoint), good[32:]...), false})
	// Mixed order: a torsion component in R or in A passes the
	// cofactored check only.
	for j := 1; j < 8; j++ {
		cs = append(cs, testCase{fmt.Sprintf("R with torsion %d", j), pub, msg, sigtest.SignMixedOrder(priv, msg, j), true})
	}
	for j := 1; j < 8; j++ {
		s := newSigner(t, sigtest.SmallOrder[j])
		cs = append(cs, testCase{fmt.Sprintf("A with torsion %d", j), s.pub, msg, s.sign(msg), true})
		sig := s.sign(msg)
		cs = append(cs, testCase{fmt.Sprintf("A with torsion %d, wrong message", j), s.pub, []byte("x"), sig, false})
	}
	return cs
}

// addLE returns a + b for 32-byte little-endian numbers (no overflow past
// 256 bits for the values used here).
func addLE(a, b []byte) []byte {
	out := make([]byte, 32)
	carry := 0
	for i := range out {
		v := int(a[i]) + int(b[i]) + carry
		out[i], carry = byte(v), v>>8
	}
	return out
}

// TestSameVerdictEveryPath is the compatibility test: every edge case
// gets the same verdict from Verify, from a batch of all of them, from a
// batch of each alone, and from batches where it sits among good and bad
// signatures of many keys and is found by bisection.
func TestSameVerdictEveryPath(t *testing.T) {
	cs := edgeCases(t)
	cofactorless := 0
	for _, c := range cs {
		if got := Verify(c.pub, c.msg, c.sig); got != c.want {
			t.Errorf("Verify %s: %v, want %v", c.name, got, c.want)
		}
		if c.want && len(c.pub) == 32 && !ed25519.Verify(c.pub, c.msg, c.sig) {
			cofactorless++
		}
	}
	// The cases matter: crypto/ed25519 refuses many that ZIP 215 accepts.
	if cofactorless < 100 {
		t.Fatalf("only %d cases where crypto/ed25519 disagrees", cofactorless)
	}
	check := func(what string, b *Batch, want []bool) {
		t.Helper()
		got := b.Verify()
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: entry %d: %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	// All together (bisected, since some fail).
	var all Batch
	var want []bool
	for _, c := range cs {
		all.Add(c.pub, c.msg, c.sig)
		want = append(want, c.want)
	}
	check("all cases", &all, want)
	// Every valid case passes inside a batch without falling back to
	// single checks: the batch equation itself agrees with Verify.
	var valid Batch
	for _, c := range cs {
		if c.want {
			valid.Add(c.pub, c.msg, c.sig)
		}
	}
	for i, ok := range valid.Verify() {
		if !ok {
			t.Errorf("valid case %d refused in a batch", i)
		}
	}
	if valid.singles != 0 {
		t.Errorf("a batch of valid cases fell back to %d single checks", valid.singles)
	}
	// Each alone.
	for _, c := range cs {
		var b Batch
		b.Add(c.pub, c.msg, c.sig)
		check(c.name+" alone", &b, []bool{c.want})
	}
	// Each among 12 good signatures of 3 keys, with and without a bad one.
	keys := make([]ed25519.PrivateKey, 3)
	for i := range keys {
		_, keys[i], _ = ed25519.GenerateKey(rand.Reader)
	}
	for ci, c := range cs {
		var b Batch
		var want []bool
		for i := range 12 {
			if i == 5 {
				b.Add(c.pub, c.msg, c.sig)
				want = append(want, c.want)
			}
			k := keys[i%3]
			m := fmt.Appendf(nil, "message %d", i)
			s := ed25519.Sign(k, m)
			ok := true
			if ci%2 == 1 && i == 10 {
				s[5] ^= 1
				ok = false
			}
			b.Add(k.Public().(ed25519.PublicKey), m, s)
			want = append(want, ok)
		}
		check(c.name+" in a batch", &b, want)
	}
}

// TestBatchFindsEveryBadSignature: a batch of 120 signatures by 5 keys
// with bad ones at chosen places passes exactly the good ones, and a
// reused batch forgets what it held.
func TestBatchFindsEveryBadSignature(t *testing.T) {
	keys := make([]ed25519.PrivateKey, 5)
	for i := range keys {
		_, keys[i], _ = ed25519.GenerateKey(rand.Reader)
	}
	for _, bad := range [][]int{nil, {0}, {119}, {7, 8, 9}, {1, 20, 40, 60, 80, 100}} {
		var b Batch
		for round := range 2 {
			isBad := map[int]bool{}
			for _, i := range bad {
				isBad[i] = true
			}
			for i := range 120 {
				k := keys[i%5]
				m := fmt.Appendf(nil, "record %d %d", round, i)
				s := ed25519.Sign(k, m)
				if isBad[i] {
					m = append(m, '!')
				}
				b.Add(k.Public().(ed25519.PublicKey), m, s)
			}
			got := b.Verify()
			for i, ok := range got {
				if ok == isBad[i] {
					t.Fatalf("bad %v, round %d: entry %d verdict %v", bad, round, i, ok)
				}
			}
			if len(bad) == 1 && b.singles >= 2*singleBelow {
				t.Fatalf("one bad signature among 120 took %d single checks", b.singles)
			}
			b.Reset()
			if b.Len() != 0 {
				t.Fatal("Reset kept entries")
			}
		}
	}
}

// TestOneVerifier fails if code outside this package checks an Ed25519
// signature another way (crypto/ed25519.Verify or x509's CheckSignature),
// which would let members disagree about what is valid.
func TestOneVerifier(t *testing.T) {
	root := filepath.Join("..", "..")
	var offenders []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "build", "bench", "tests", ".git", "sig":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"ed25519.Verify(", "ed25519.VerifyWithOptions(", ".CheckSignature(", ".CheckSignatureFrom("} {
			if bytes.Contains(b, []byte(bad)) {
				offenders = append(offenders, path+": "+bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(offenders) > 0 {
		t.Fatalf("signatures checked outside core/sig:\n%s", strings.Join(offenders, "\n"))
	}
}
