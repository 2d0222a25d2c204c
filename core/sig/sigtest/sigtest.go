// Package sigtest makes Ed25519 signatures at the edges of the ZIP 215
// rules, for the tests that check every path gives them one verdict.
package sigtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"

	"filippo.io/edwards25519"
)

// SmallOrder are every encoding of a point of order dividing 8 that
// decodes: the 8 canonical ones, then 6 non-canonical (y >= p, or x = 0
// with the sign bit set). ZIP 215 accepts all 14 as A and as R.
var SmallOrder = [14][]byte{
	h("0100000000000000000000000000000000000000000000000000000000000000"), // identity
	h("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // order 2
	h("0000000000000000000000000000000000000000000000000000000000000000"), // order 4
	h("0000000000000000000000000000000000000000000000000000000000000080"),
	h("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), // order 8
	h("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
	h("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
	h("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
	h("0100000000000000000000000000000000000000000000000000000000000080"), // identity, x = 0 with the sign set
	h("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), // order 2, sign set
	h("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // identity, y = 1 + p
	h("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
	h("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // order 4, y = p
	h("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
}

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// SignMixedOrder signs msg with key like ed25519.Sign, but with the
// small-order point SmallOrder[torsion] added to R: S = r + k a with
// R = rB + T and k = H(R || A || msg). The cofactored equation of ZIP 215
// accepts it; crypto/ed25519.Verify's refuses it unless T is the
// identity.
func SignMixedOrder(key ed25519.PrivateKey, msg []byte, torsion int) []byte {
	hs := sha512.Sum512(key.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(hs[:32])
	if err != nil {
		panic(err)
	}
	var rb [64]byte
	rand.Read(rb[:])
	r, _ := new(edwards25519.Scalar).SetUniformBytes(rb[:])
	T, err := new(edwards25519.Point).SetBytes(SmallOrder[torsion])
	if err != nil {
		panic(err)
	}
	R := new(edwards25519.Point).ScalarBaseMult(r)
	R.Add(R, T)
	enc := R.Bytes()
	d := sha512.New()
	d.Write(enc)
	d.Write(key.Public().(ed25519.PublicKey))
	d.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(d.Sum(nil))
	S := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	return append(enc, S.Bytes()...)
}
