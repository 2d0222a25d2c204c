package identity

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"p2p/core/peererr"
	"p2p/core/peername"
)

func TestNewIdentityCertificate(t *testing.T) {
	id, err := newIdentity("chat", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := peername.Authority(id.PublicKey()) + ".chat"; id.PeerName != want {
		t.Fatalf("peer name %q, want %q", id.PeerName, want)
	}
	cert, err := x509.ParseCertificate(id.CertDER)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != id.PeerName || cert.Issuer.CommonName != id.PeerName {
		t.Fatalf("subject %q issuer %q", cert.Subject.CommonName, cert.Issuer.CommonName)
	}
	if !cert.NotAfter.Equal(certNotAfter) || time.Until(cert.NotBefore) > 0 {
		t.Fatalf("validity %v .. %v", cert.NotBefore, cert.NotAfter)
	}
	info, err := ParseCertificate(id.CertDER)
	if err != nil {
		t.Fatal(err)
	}
	if info.PeerName != id.PeerName || !info.PublicKey.Equal(id.PublicKey()) {
		t.Fatalf("ParseCertificate: %+v", info)
	}
}

func TestParseCertificateRejects(t *testing.T) {
	id, _ := newIdentity("x", "")
	other, _ := newIdentity("x", "")

	badSig := append([]byte(nil), id.CertDER...)
	badSig[len(badSig)-1] ^= 1

	// A certificate for other's name signed with id's key.
	wrongName, err := selfSign(other.PeerName, id.Key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A certificate naming a valid peer name with an ECDSA key.
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: id.PeerName},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	ecCert, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ec.PublicKey, ec)
	// No dot: a bare authority is no identity name.
	bare, _ := selfSign(peername.Authority(id.PublicKey()), id.Key, time.Now())
	// Signed by another key than the one it certifies.
	tmpl2 := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: other.PeerName},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	crossSigned, _ := x509.CreateCertificate(rand.Reader, tmpl2, tmpl2, other.PublicKey(), id.Key)

	for name, der := range map[string][]byte{
		"empty": nil, "garbage": []byte("not a certificate"), "bad signature": badSig,
		"wrong name": wrongName, "ecdsa": ecCert, "bare authority": bare, "cross signed": crossSigned,
		"too big": make([]byte, MaxCertSize+1),
	} {
		if _, err := ParseCertificate(der); !errors.Is(err, peererr.ErrInvalidArg) {
			t.Errorf("%s: %v, want E_INVALIDARG", name, err)
		}
	}
}

func TestXMLRoundTrip(t *testing.T) {
	for _, friendly := range []string{"", "Alice", `<&>"'` + "\t\n\r ünï 😀", strings.Repeat("é", 255)} {
		id, err := newIdentity("class <&> 😀", friendly)
		if err != nil {
			t.Fatal(err)
		}
		doc := id.XML()
		info, err := ParseXML(doc)
		if err != nil {
			t.Fatalf("ParseXML(%q): %v", doc, err)
		}
		if info.PeerName != id.PeerName || info.FriendlyName != id.FriendlyName ||
			!info.PublicKey.Equal(id.PublicKey()) || string(info.CertDER) != string(id.CertDER) {
			t.Fatalf("round trip: %+v vs %+v", info, id)
		}
		if _, err := ParseXML("\n  " + doc + "\r\n"); err != nil {
			t.Fatalf("surrounding white space: %v", err)
		}
		if len(doc) > MaxDocumentSize/2 {
			t.Fatalf("document of %d bytes leaves too little margin", len(doc))
		}
	}
}

func TestParseXMLRejects(t *testing.T) {
	id, _ := newIdentity("chat", "Alice")
	other, _ := newIdentity("chat", "Bob")
	doc := id.XML()
	b64 := base64.StdEncoding.EncodeToString(id.CertDER)
	cases := map[string]string{
		"empty":            "",
		"not xml":          "hello",
		"other root":       strings.ReplaceAll(doc, "PEERIDENTITYINFO", "PEERIDENTITY"),
		"windows version":  strings.Replace(doc, `VERSION="p2p-1"`, `VERSION="1.0"`, 1),
		"no version":       strings.Replace(doc, ` VERSION="p2p-1"`, ``, 1),
		"inner space":      strings.Replace(doc, "<PEERNAME>", " <PEERNAME>", 1),
		"extra element":    strings.Replace(doc, "</FRIENDLYNAME>", "</FRIENDLYNAME><X>1</X>", 1),
		"comment":          strings.Replace(doc, "<PEERNAME>", "<!-- hi --><PEERNAME>", 1),
		"declaration":      `<?xml version="1.0"?>` + doc,
		"other classifier": strings.Replace(doc, ".chat<", ".chap<", 1),
		"other cert":       strings.Replace(doc, b64, base64.StdEncoding.EncodeToString(other.CertDER), 1),
		"base64 newline":   strings.Replace(doc, b64, b64[:10]+"\n"+b64[10:], 1),
		"bad base64":       strings.Replace(doc, b64, "!!!!", 1),
		"no idc":           strings.Replace(doc, "<IDC", "<IDX", 1),
		"trailing":         doc + "x",
		"twice":            doc + doc,
		"cdata":            strings.Replace(doc, "<FRIENDLYNAME>Alice", "<FRIENDLYNAME><![CDATA[Alice]]>", 1),
		"long friendly":    strings.Replace(doc, ">Alice<", ">"+strings.Repeat("a", 256)+"<", 1),
		"control char":     strings.Replace(doc, ">Alice<", ">A&#1;<", 1),
		"huge":             doc + strings.Repeat(" ", MaxDocumentSize) + "x",
	}
	for name, d := range cases {
		_, err := ParseXML(d)
		wantCode(t, name, err, peererr.ErrInvalidArg)
	}
}

func TestTLSMutualHandshake(t *testing.T) {
	alice, _ := newIdentity("a", "")
	bob, _ := newIdentity("b", "")
	verify := func(want string, got *string) func([][]byte, [][]*x509.Certificate) error {
		return func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) != 1 {
				return errors.New("want one certificate")
			}
			info, err := ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			*got = info.PeerName
			if info.PeerName != want {
				return errors.New("unexpected peer " + info.PeerName)
			}
			return nil
		}
	}
	var sawBob, sawAlice string
	cc, sc := net.Pipe()
	client := tls.Client(cc, &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{alice.TLSCertificate()},
		InsecureSkipVerify: true, VerifyPeerCertificate: verify(bob.PeerName, &sawBob),
	})
	server := tls.Server(sc, &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{bob.TLSCertificate()},
		ClientAuth: tls.RequireAnyClientCert, VerifyPeerCertificate: verify(alice.PeerName, &sawAlice),
	})
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if sawBob != bob.PeerName || sawAlice != alice.PeerName {
		t.Fatalf("saw %q and %q", sawBob, sawAlice)
	}
	if v := client.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("TLS version %#x", v)
	}
	cc.Close() // the raw pipe: a TLS close_notify would wait for a reader
	sc.Close()
}

func TestCheckXMLText(t *testing.T) {
	for _, ok := range []string{"", "a\tb\nc\rd", "\uFFFD", "\U0010FFFF", "\uE000"} {
		if err := checkXMLText("x", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"\x00", "\x01", "\x1f", "\uFFFE", "\uFFFF", "\xff", "a\xc3"} {
		if err := checkXMLText("x", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTLSCertificateLeaf(t *testing.T) {
	id, _ := newIdentity("", "")
	c := id.TLSCertificate()
	if c.Leaf == nil || !c.Leaf.PublicKey.(ed25519.PublicKey).Equal(id.PublicKey()) {
		t.Fatal("leaf missing or wrong")
	}
}
