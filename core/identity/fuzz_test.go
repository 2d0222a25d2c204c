package identity

import (
	"errors"
	"strings"
	"testing"

	"p2p/core/peererr"
)

// FuzzParseXML feeds identity XML parsing arbitrary text: it must never
// panic, must fail with E_INVALIDARG, and what it accepts must be
// canonical and verified.
func FuzzParseXML(f *testing.F) {
	for _, c := range [][2]string{{"chat", "Alice"}, {"", ""}, {"<&>😀", "\t\r\n\"'"}} {
		id, err := newIdentity(c[0], c[1])
		if err != nil {
			f.Fatal(err)
		}
		doc := id.XML()
		f.Add(doc)
		f.Add(strings.Replace(doc, `VERSION="p2p-1"`, `VERSION="1.0"`, 1))
		f.Add(doc[:len(doc)/2])
	}
	f.Add(`<PEERIDENTITYINFO VERSION="1.0"><IDC xmlns:dt="urn:schemas-microsoft-com:datatypes" dt:dt="bin.base64">AAAA</IDC></PEERIDENTITYINFO>`)
	f.Add("")
	f.Fuzz(func(t *testing.T, doc string) {
		info, err := ParseXML(doc)
		if err != nil {
			if peererr.HResult(err) != peererr.ErrInvalidArg.HR {
				t.Fatalf("error %v is not E_INVALIDARG", err)
			}
			return
		}
		if encodeInfo(info.PeerName, info.FriendlyName, info.CertDER) != strings.TrimSpace(doc) {
			t.Fatal("accepted a non-canonical document")
		}
		ci, err := ParseCertificate(info.CertDER)
		if err != nil || ci.PeerName != info.PeerName || !ci.PublicKey.Equal(info.PublicKey) {
			t.Fatalf("accepted an unverified certificate: %v", err)
		}
	})
}

// FuzzImport feeds Store.Import arbitrary documents and passwords. The
// store's KDF memory bound is lowered so mutated parameters stay cheap.
// Errors must be the documented ones; what is accepted must be stored
// and equal to what Get returns.
func FuzzImport(f *testing.F) {
	src := newTestStore(f)
	for _, c := range [][3]string{{"chat", "Alice", "pw"}, {"", "", ""}, {"😀<&>", "x\ty", "pässwörd"}} {
		id := mustCreate(f, src, c[0], c[1])
		doc, err := src.Export(id.PeerName, c[2])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc, c[2])
		f.Add(doc, c[2]+"x")
		f.Add(strings.Replace(doc, `MEMORY="64"`, `MEMORY="128"`, 1), c[2])
		f.Add(id.XML(), c[2])
	}
	dst := newTestStore(f)
	dst.maxKDFMemoryKiB = 256
	dst.maxIdentities = 16
	f.Fuzz(func(t *testing.T, doc, password string) {
		id, err := dst.Import(doc, password)
		if err != nil {
			if !errors.Is(err, peererr.ErrInvalidArg) && !errors.Is(err, peererr.ErrAlreadyExists) &&
				!errors.Is(err, peererr.ErrTooManyIdentities) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		got, err := dst.Get(id.PeerName)
		if err != nil {
			t.Fatal(err)
		}
		sameIdentity(t, id, got)
	})
}

// FuzzExportPayload feeds the decrypted-payload decoder arbitrary bytes
// (the AEAD keeps them from Import unless the password is known).
func FuzzExportPayload(f *testing.F) {
	id, err := newIdentity("p", "Friend")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(id.PeerName, marshalPayload(id))
	f.Add(id.PeerName, []byte{1})
	f.Fuzz(func(t *testing.T, name string, p []byte) {
		got, err := unmarshalPayload(name, p)
		if err != nil {
			if !errors.Is(err, peererr.ErrInvalidArg) {
				t.Fatalf("error %v is not E_INVALIDARG", err)
			}
			return
		}
		if got.PeerName != name || !got.PublicKey().Equal(got.Key.Public()) || checkFriendlyName(got.FriendlyName) != nil {
			t.Fatalf("accepted inconsistent identity %+v", got)
		}
		if _, err := ParseXML(got.XML()); err != nil {
			t.Fatalf("accepted identity has invalid XML: %v", err)
		}
	})
}
