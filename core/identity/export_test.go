package identity

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"p2p/core/peererr"
)

func TestExportImportRoundTrip(t *testing.T) {
	src := newTestStore(t)
	id := mustCreate(t, src, "chat 😀", `Alice <&> "A"`)
	for _, pw := range []string{"correct horse", "", "pässwörd 😀"} {
		doc, err := src.Export(id.PeerName, pw)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(doc, "Alice") {
			t.Fatal("friendly name in clear in the export")
		}
		dst := newTestStore(t)
		got, err := dst.Import(doc, pw)
		if err != nil {
			t.Fatalf("Import with %q: %v", pw, err)
		}
		sameIdentity(t, id, got)
		stored, err := dst.Get(id.PeerName)
		if err != nil {
			t.Fatal(err)
		}
		sameIdentity(t, id, stored)
		// PeerIdentityImport: an identity already here.
		_, err = dst.Import(doc, pw)
		wantCode(t, "import existing", err, peererr.ErrAlreadyExists)
	}
	_, err := src.Export(strings.Repeat("ab", 20)+".x", "pw")
	wantCode(t, "export unknown", err, peererr.ErrNotFound)
	_, err = src.Export("garbage", "pw")
	wantCode(t, "export garbage name", err, peererr.ErrInvalidArg)
}

func TestImportWrongPasswordAndTampering(t *testing.T) {
	src := newTestStore(t)
	id := mustCreate(t, src, "chat", "Alice")
	other := mustCreate(t, src, "chat", "Bob")
	doc, err := src.Export(id.PeerName, "secret")
	if err != nil {
		t.Fatal(err)
	}
	dst := newTestStore(t)
	_, err = dst.Import(doc, "Secret")
	wantCode(t, "wrong password", err, peererr.ErrInvalidArg)
	_, err = dst.Import(doc, "")
	wantCode(t, "empty password", err, peererr.ErrInvalidArg)

	attr := func(name string) string {
		return regexp.MustCompile(name + `="([^"]*)"`).FindStringSubmatch(doc)[1]
	}
	data := regexp.MustCompile(`bin\.base64">([^<]*)<`).FindStringSubmatch(doc)[1]
	flip := func(b64 string, i int) string {
		b, _ := base64.StdEncoding.DecodeString(b64)
		b[i%len(b)] ^= 0x40
		return base64.StdEncoding.EncodeToString(b)
	}
	salt, nonce := attr("SALT"), attr("NONCE")
	tampered := map[string]string{
		"ciphertext first byte": strings.Replace(doc, data, flip(data, 0), 1),
		"ciphertext tag":        strings.Replace(doc, data, flip(data, -1+len(data)*3/4), 1),
		"truncated ciphertext":  strings.Replace(doc, data, base64.StdEncoding.EncodeToString([]byte("short")), 1),
		"salt":                  strings.Replace(doc, salt, flip(salt, 3), 1),
		"nonce":                 strings.Replace(doc, nonce, flip(nonce, 3), 1),
		"other peer name":       strings.Replace(doc, id.PeerName, other.PeerName, 1),
		"other classifier":      strings.Replace(doc, ".chat<", ".chap<", 1),
		"kdf time":              strings.Replace(doc, `TIME="1"`, `TIME="2"`, 1),
		"kdf memory":            strings.Replace(doc, `MEMORY="64"`, `MEMORY="72"`, 1),
		"kdf threads":           strings.Replace(doc, `THREADS="1"`, `THREADS="2"`, 1),
	}
	for name, d := range tampered {
		if d == doc {
			t.Fatalf("%s: tampering changed nothing", name)
		}
		_, err := dst.Import(d, "secret")
		wantCode(t, name, err, peererr.ErrInvalidArg)
	}
	if ids, _ := dst.List(); len(ids) != 0 {
		t.Fatalf("%d identities imported from bad documents", len(ids))
	}
}

func TestImportRejectsMalformed(t *testing.T) {
	src := newTestStore(t)
	id := mustCreate(t, src, "chat", "")
	doc, _ := src.Export(id.PeerName, "pw")
	info := id.XML()
	cases := map[string]string{
		"empty":            "",
		"identity xml":     info,
		"windows version":  strings.Replace(doc, `VERSION="p2p-1"`, `VERSION="1.0"`, 1),
		"other kdf":        strings.Replace(doc, `"argon2id"`, `"scrypt"`, 1),
		"other cipher":     strings.Replace(doc, `"AES-256-GCM"`, `"AES-128-GCM"`, 1),
		"absurd memory":    strings.Replace(doc, `MEMORY="64"`, `MEMORY="4194304"`, 1),
		"absurd time":      strings.Replace(doc, `TIME="1"`, `TIME="1000000"`, 1),
		"zero time":        strings.Replace(doc, `TIME="1"`, `TIME="0"`, 1),
		"zero threads":     strings.Replace(doc, `THREADS="1"`, `THREADS="0"`, 1),
		"too many threads": strings.Replace(doc, `THREADS="1"`, `THREADS="255"`, 1),
		"threads overflow": strings.Replace(doc, `THREADS="1"`, `THREADS="257"`, 1),
		"leading zero":     strings.Replace(doc, `TIME="1"`, `TIME="01"`, 1),
		"negative":         strings.Replace(doc, `TIME="1"`, `TIME="-1"`, 1),
		"memory too small": strings.Replace(strings.Replace(doc, `MEMORY="64"`, `MEMORY="8"`, 1), `THREADS="1"`, `THREADS="2"`, 1),
		"attribute order":  strings.Replace(doc, `ALGORITHM="argon2id" TIME="1"`, `TIME="1" ALGORITHM="argon2id"`, 1),
		"extra attribute":  strings.Replace(doc, `<KDF `, `<KDF X="1" `, 1),
		"self-closing kdf": regexp.MustCompile(`"></KDF>`).ReplaceAllString(doc, `"/>`),
		"unsecured name":   strings.Replace(doc, id.PeerName, "0.chat", 1),
		"trailing":         doc + "<x/>",
		"huge":             doc + strings.Repeat(" ", MaxDocumentSize) + "x",
	}
	for name, d := range cases {
		start := time.Now()
		_, err := src.Import(d, "pw")
		wantCode(t, name, err, peererr.ErrInvalidArg)
		if time.Since(start) > 2*time.Second {
			t.Errorf("%s: took %v", name, time.Since(start))
		}
	}
}

// TestDefaultKDFParameters exports and imports once with the real cost.
func TestDefaultKDFParameters(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if s.kdf != (kdfParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}) || s.maxKDFMemoryKiB != MaxKDFMemoryKiB {
		t.Fatalf("default parameters %+v, import bound %d", s.kdf, s.maxKDFMemoryKiB)
	}
	id := mustCreate(t, s, "real", "")
	doc, err := s.Export(id.PeerName, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, `<KDF ALGORITHM="argon2id" TIME="3" MEMORY="65536" THREADS="2" SALT="`) {
		t.Fatalf("export does not use the default parameters: %s", doc)
	}
	other, _ := OpenStore(t.TempDir())
	got, err := other.Import(doc, "pw")
	if err != nil {
		t.Fatal(err)
	}
	sameIdentity(t, id, got)
	// Two exports of one identity differ (fresh salt and nonce).
	doc2, _ := s.Export(id.PeerName, "pw")
	if doc2 == doc {
		t.Fatal("two exports are identical")
	}
}

func TestUnmarshalPayloadRejects(t *testing.T) {
	id, _ := newIdentity("p", "Friend")
	other, _ := newIdentity("p", "")
	good := marshalPayload(id)
	if got, err := unmarshalPayload(id.PeerName, good); err != nil {
		t.Fatal(err)
	} else {
		sameIdentity(t, id, got)
	}
	otherKey := marshalPayload(&Identity{Key: other.Key, FriendlyName: id.FriendlyName, CertDER: id.CertDER})
	for name, p := range map[string][]byte{
		"empty":         nil,
		"short":         good[:20],
		"version":       append([]byte{2}, good[1:]...),
		"name overruns": append(append([]byte(nil), good[:33]...), 0xff, 0xff),
		"no cert":       good[:33+2+len(id.FriendlyName)],
		"other key":     otherKey,
	} {
		_, err := unmarshalPayload(id.PeerName, p)
		wantCode(t, name, err, peererr.ErrInvalidArg)
	}
	_, err := unmarshalPayload(other.PeerName, good)
	wantCode(t, "other name", err, peererr.ErrInvalidArg)
}

// TestWorstCaseSizes builds the largest identity: the longest names made
// of the characters that grow most when encoded.
func TestWorstCaseSizes(t *testing.T) {
	s := newTestStore(t)
	for _, c := range [][2]string{
		{strings.Repeat(`"`, 149), strings.Repeat(`"`, 255)}, // 5-byte escapes
		{strings.Repeat("€", 149), strings.Repeat("€", 255)}, // 3-byte UTF-8
		{strings.Repeat("😀", 74), strings.Repeat("😀", 127)},  // 4-byte UTF-8
	} {
		id := mustCreate(t, s, c[0], c[1])
		doc, err := s.Export(id.PeerName, "pw")
		if err != nil {
			t.Fatal(err)
		}
		if len(id.CertDER) > MaxCertSize/2 || len(id.XML()) > MaxDocumentSize/2 || len(doc) > MaxDocumentSize/2 {
			t.Fatalf("certificate %d, identity XML %d, export %d bytes: too close to the limits",
				len(id.CertDER), len(id.XML()), len(doc))
		}
		got, err := newTestStore(t).Import(doc, "pw")
		if err != nil {
			t.Fatal(err)
		}
		sameIdentity(t, id, got)
	}
}

func TestUnsealDoesNotStore(t *testing.T) {
	src := newTestStore(t)
	id := mustCreate(t, src, "u", "U")
	doc, _ := src.Export(id.PeerName, "pw")
	dst := newTestStore(t)
	got, err := dst.Unseal(doc, "pw")
	if err != nil {
		t.Fatal(err)
	}
	sameIdentity(t, id, got)
	if ids, _ := dst.List(); len(ids) != 0 {
		t.Fatal("Unseal stored the identity")
	}
	_, err = dst.Unseal(doc, "wrong")
	wantCode(t, "Unseal wrong password", err, peererr.ErrInvalidArg)
}
