package groupconfig

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"p2p/core/peererr"
)

func sample(t testing.TB) (string, ed25519.PublicKey) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	cfg := &Config{GroupPeerName: "g.x", GroupKey: make([]byte, 32), Chain: []byte{1, 2}, Ready: true,
		Records: [][]byte{{9}}}
	doc, err := Encode(`<PEERIDENTITYEXPORT VERSION="p2p-1">&</PEERIDENTITYEXPORT>`, cfg, priv)
	if err != nil {
		t.Fatal(err)
	}
	return doc, pub
}

func TestRoundTripAndTamper(t *testing.T) {
	doc, pub := sample(t)
	d, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.IdentityExport, "&") {
		t.Fatalf("identity export not unescaped: %q", d.IdentityExport)
	}
	cfg, err := d.Config(pub)
	if err != nil || cfg.GroupPeerName != "g.x" || !cfg.Ready {
		t.Fatalf("config: %+v %v", cfg, err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := d.Config(other); !errors.Is(err, peererr.ErrInvalidArg) {
		t.Fatalf("wrong key accepted: %v", err)
	}
	i := strings.Index(doc, "<GROUP>") + 10
	mut := doc[:i] + string(rune(doc[i]^1)) + doc[i+1:]
	if d, err := Parse(mut); err == nil {
		if _, err := d.Config(pub); err == nil {
			t.Fatal("tampered configuration accepted")
		}
	}
	if _, err := Parse(strings.Replace(doc, Version, "p2p-9", 1)); !errors.Is(err, peererr.ErrUnsupportedVersion) {
		t.Fatalf("version: %v", err)
	}
	for _, bad := range []string{"", "<x/>", doc + "<x/>", doc[:len(doc)-3]} {
		if _, err := Parse(bad); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	doc, pub := sample(f)
	f.Add(doc)
	f.Add("<PEERGROUPCONFIG/>")
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := Parse(s); err == nil {
			d.Config(pub)
		}
	})
}
