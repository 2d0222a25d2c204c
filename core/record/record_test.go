package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
)

const group = "0123456789abcdef0123456789abcdef01234567.test"

func sample() *Record {
	return &Record{
		Type: uuid.MustParse("11111111-2222-3333-4444-555555555555"), ID: uuid.New(),
		Version: 1, CreatorID: "a.b", ModifiedByID: "a.b",
		Attributes: `<attributes><attribute name="n" type="int">1</attribute></attributes>`,
		Created:    filetime.Now(), Expires: filetime.Now().Add(1e12), Modified: filetime.Now(),
		Data: []byte("hello"),
	}
}

func TestSignVerifyAndTamper(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	r := sample()
	r.Sign(group, priv)
	if !r.Verify(group, pub) {
		t.Fatal("valid signature rejected")
	}
	if r.Verify(group+"x", pub) {
		t.Fatal("signature accepted for another group")
	}
	enc, _ := r.MarshalBinary()
	for i := range enc {
		mut := bytes.Clone(enc)
		mut[i] ^= 0x01
		var d Record
		if d.UnmarshalBinary(mut) != nil {
			continue
		}
		if d.Verify(group, pub) {
			t.Fatalf("flipping byte %d kept a valid signature", i)
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	r := sample()
	r.Signature = bytes.Repeat([]byte{7}, 64)
	enc, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var d Record
	if err := d.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if d.Hash(group) != r.Hash(group) {
		t.Fatalf("round trip changed the record: %+v vs %+v", d, r)
	}
	if err := d.UnmarshalBinary(append(enc, 0)); !errors.Is(err, peererr.ErrInvalidRecord) {
		t.Fatalf("trailing byte: got %v", err)
	}
	if err := d.UnmarshalBinary(enc[:len(enc)-1]); !errors.Is(err, peererr.ErrInvalidRecord) {
		t.Fatalf("truncated: got %v", err)
	}
}

func TestCompare(t *testing.T) {
	a, b := sample(), sample()
	b.ID = a.ID
	b.Version = 2
	if Compare(a, b) != -1 || Compare(b, a) != 1 {
		t.Fatal("higher version must win")
	}
	b.Version = 1
	b.Modified = b.Created + 10
	a.Modified = a.Created
	if Compare(b, a) != 1 {
		t.Fatal("updated record must beat a never-updated one")
	}
	a.Modified, b.Modified = a.Created+5, a.Created+5
	a.ModifiedByID, b.ModifiedByID = "b", "a"
	if Compare(a, b) != 1 {
		t.Fatal("lexically higher modifier must win")
	}
	b.ModifiedByID = "b"
	b.Modified = a.Modified + 1
	if Compare(b, a) != 1 {
		t.Fatal("later modification must win")
	}
	b.Modified = a.Modified
	a.Signature, b.Signature = []byte{1}, []byte{2}
	if Compare(b, a) != 1 || Compare(a, a) != 0 {
		t.Fatal("larger signature must win; equal records compare 0")
	}
}

func FuzzUnmarshal(f *testing.F) {
	r := sample()
	r.Signature = bytes.Repeat([]byte{1}, 64)
	enc, _ := r.MarshalBinary()
	f.Add(enc)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Record
		if d.UnmarshalBinary(b) != nil {
			return
		}
		again, err := d.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var e Record
		if err := e.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-decoding a valid encoding failed: %v", err)
		}
		if e.Hash(group) != d.Hash(group) {
			t.Fatal("re-encoding changed the record")
		}
	})
}

// SigningBytes runs once per record signed or verified: one allocation,
// however long the names.
func TestSigningBytesAllocatesOnce(t *testing.T) {
	r := sample()
	r.CreatorID = strings.Repeat("c", 200)
	r.ModifiedByID = strings.Repeat("m", 200)
	group := strings.Repeat("g", 150)
	if n := testing.AllocsPerRun(100, func() { r.SigningBytes(group) }); n != 1 {
		t.Fatalf("SigningBytes made %v allocations, want 1", n)
	}
}

// The signed encoding never changes: every stored record's signature
// depends on it.
func TestSigningBytesGolden(t *testing.T) {
	r := sample()
	r.ID = uuid.MustParse("21111111-2222-3333-4444-555555555555")
	r.Created, r.Expires, r.Modified = 1, 2, 3
	const want = "a84a49ca859a6c43419a58d966da48116f1c1df7e5f6defe5f1c580b80df2767"
	if got := fmt.Sprintf("%x", sha256.Sum256(r.SigningBytes("group-name"))); got != want {
		t.Fatalf("signed encoding changed: sha256 %s, want %s", got, want)
	}
}
