package dht_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"p2p/core/dht"
)

const groupName = "0123456789abcdef0123456789abcdef01234567.test"

type fixture struct {
	groupKey  ed25519.PublicKey
	keys      *dht.Keys
	member    string
	memberPub ed25519.PublicKey
	memberKey ed25519.PrivateKey
	addrs     []netip.AddrPort
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	gpub, _, _ := ed25519.GenerateKey(rand.Reader)
	mpub, mkey, _ := ed25519.GenerateKey(rand.Reader)
	return &fixture{
		groupKey: gpub, keys: dht.NewKeys(groupName, gpub),
		member: "fedcba9876543210fedcba9876543210fedcba98.alice", memberPub: mpub, memberKey: mkey,
		addrs: []netip.AddrPort{
			netip.MustParseAddrPort("192.0.2.7:40001"),
			netip.MustParseAddrPort("[2001:db8::7]:40001"),
			netip.MustParseAddrPort("127.0.0.1:40001"),
		},
	}
}

func TestItemRoundTrip(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	s := f.keys.Slot(dht.EpochOf(now), f.member)
	v := s.Seal(f.addrs, now, f.memberKey)
	if len(v) != dht.SealedSize {
		t.Fatalf("sealed %d bytes, want %d", len(v), dht.SealedSize)
	}
	got, err := s.Open(v, f.memberPub, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Addrs, f.addrs) || got.PeerName != f.member || got.Issued.Unix() != now.Unix() {
		t.Fatalf("opened %+v", got)
	}
	// Every item has the same size, whatever it holds.
	if w := s.Seal(nil, now, f.memberKey); len(w) != len(v) {
		t.Fatalf("an empty item has %d bytes, a full one %d", len(w), len(v))
	}
	// At most MaxAddresses go in; unusable ones are left out.
	var many []netip.AddrPort
	for i := range 40 {
		many = append(many, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 1000))
	}
	many = append([]netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:1"), netip.MustParseAddrPort("10.0.0.1:0")}, many...)
	got, err = s.Open(s.Seal(many, now, f.memberKey), f.memberPub, now)
	if err != nil || len(got.Addrs) != dht.MaxAddresses || got.Addrs[0] != many[2] {
		t.Fatalf("%d addresses, first %v, err %v", len(got.Addrs), got.Addrs, err)
	}
}

// TestKeysRotate checks that a member's slot moves with the epoch and
// differs between members and groups: nobody can link two epochs' items
// or find a slot without the group key.
func TestKeysRotate(t *testing.T) {
	f := newFixture(t)
	e := dht.EpochOf(time.Now())
	a, b := f.keys.Slot(e, f.member), f.keys.Slot(e+1, f.member)
	other := f.keys.Slot(e, "fedcba9876543210fedcba9876543210fedcba98.bob")
	gpub2, _, _ := ed25519.GenerateKey(rand.Reader)
	otherGroup := dht.NewKeys(groupName, gpub2).Slot(e, f.member)
	targets := [][20]byte{a.Target, b.Target, other.Target, otherGroup.Target}
	for i := range targets {
		for j := range i {
			if targets[i] == targets[j] {
				t.Fatalf("slots %d and %d share a target", i, j)
			}
		}
	}
	if again := f.keys.Slot(e, f.member); again.Target != a.Target || !bytes.Equal(again.Key, a.Key) {
		t.Fatal("slot derivation is not deterministic")
	}
}

// TestItemRejects checks every reason an item found in a slot is ignored.
func TestItemRejects(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	e := dht.EpochOf(now)
	s := f.keys.Slot(e, f.member)
	good := s.Seal(f.addrs, now, f.memberKey)
	_, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
	gpub2, _, _ := ed25519.GenerateKey(rand.Reader)

	// plain builds a plaintext as an insider would, signed by key.
	plain := func(n byte, issued time.Time, key ed25519.PrivateKey, mutate func([]byte)) []byte {
		p := make([]byte, dht.PlainSize)
		p[0] = 1
		binary.BigEndian.PutUint64(p[1:], uint64(issued.Unix()))
		p[9] = n
		for i := range int(n) {
			a := netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}).As16()
			copy(p[10+i*18:], a[:])
			binary.BigEndian.PutUint16(p[10+i*18+16:], 4000)
		}
		if mutate != nil {
			mutate(p)
		}
		copy(p[dht.SignedSize:], ed25519.Sign(key, s.SignedMessage(p[:dht.SignedSize])))
		return p
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	cases := []struct {
		name  string
		value []byte
		slot  *dht.Slot
		key   ed25519.PublicKey
		now   time.Time
	}{
		{"empty", nil, s, f.memberPub, now},
		{"short", good[:len(good)-1], s, f.memberPub, now},
		{"long", append(bytes.Clone(good), 0), s, f.memberPub, now},
		{"garbage", bytes.Repeat([]byte{0x5a}, dht.SealedSize), s, f.memberPub, now},
		{"altered", flipped, s, f.memberPub, now},
		{"replayed into the next epoch", good, f.keys.Slot(e+1, f.member), f.memberPub, now},
		{"replayed as another member's", good, f.keys.Slot(e, "fedcba9876543210fedcba9876543210fedcba98.bob"), f.memberPub, now},
		{"another group's key", good, dht.NewKeys(groupName, gpub2).Slot(e, f.member), f.memberPub, now},
		{"signed by a stranger (forged by an insider)", s.SealPlain(plain(2, now, strangerKey, nil)), s, f.memberPub, now},
		{"checked against another key", good, s, gpub2, now},
		{"stale", good, s, f.memberPub, now.Add(2 * time.Hour)},
		{"from the future", good, s, f.memberPub, now.Add(-time.Hour)},
		{"unknown version", s.SealPlain(plain(2, now, f.memberKey, func(p []byte) { p[0] = 2 })), s, f.memberPub, now},
		{"too many addresses", s.SealPlain(plain(17, now, f.memberKey, nil)[:dht.PlainSize]), s, f.memberPub, now},
		{"bytes after the last address", s.SealPlain(plain(2, now, f.memberKey, func(p []byte) { p[10+5*18] = 1 })), s, f.memberPub, now},
		{"port 0", s.SealPlain(plain(1, now, f.memberKey, func(p []byte) { p[10+16], p[10+17] = 0, 0 })), s, f.memberPub, now},
		{"unspecified address", s.SealPlain(plain(1, now, f.memberKey, func(p []byte) { clear(p[10:26]) })), s, f.memberPub, now},
		{"plaintext of another size", s.SealPlain(plain(1, now, f.memberKey, nil)[:dht.PlainSize-1]), s, f.memberPub, now},
	}
	for _, c := range cases {
		if got, err := c.slot.Open(c.value, c.key, c.now); err == nil {
			t.Errorf("%s: opened: %+v", c.name, got)
		}
	}
	// The insider's plaintext itself is fine when the member signs it.
	if _, err := s.Open(s.SealPlain(plain(2, now, f.memberKey, nil)), f.memberPub, now); err != nil {
		t.Fatalf("a well-formed item: %v", err)
	}
}

// FuzzOpen feeds Open anything: it must never panic, and whatever it
// accepts must be an item the member signed.
func FuzzOpen(f *testing.F) {
	fx := newFixture(f)
	now := time.Unix(1_900_000_000, 0)
	s := fx.keys.Slot(dht.EpochOf(now), fx.member)
	good := s.Seal(fx.addrs, now, fx.memberKey)
	f.Add(good)
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, dht.SealedSize))
	f.Add(good[:100])
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := s.Open(v, fx.memberPub, now)
		if err == nil && !bytes.Equal(v, good) {
			t.Fatalf("opened a value that is not the member's: %+v", got)
		}
	})
}

// FuzzOpenPlain feeds Open plaintexts of any content sealed with the
// right key, as an insider could: the parsing behind the seal must never
// panic, and nothing but what the member signed may open.
func FuzzOpenPlain(f *testing.F) {
	fx := newFixture(f)
	now := time.Unix(1_900_000_000, 0)
	s := fx.keys.Slot(dht.EpochOf(now), fx.member)
	p := make([]byte, dht.PlainSize)
	p[0], p[9] = 1, 1
	binary.BigEndian.PutUint64(p[1:], uint64(now.Unix()))
	a := netip.MustParseAddr("192.0.2.1").As16()
	copy(p[10:], a[:])
	binary.BigEndian.PutUint16(p[26:], 4000)
	copy(p[dht.SignedSize:], ed25519.Sign(fx.memberKey, s.SignedMessage(p[:dht.SignedSize])))
	f.Add(p)
	f.Add(p[:dht.SignedSize])
	f.Add(make([]byte, dht.PlainSize))
	f.Fuzz(func(t *testing.T, plain []byte) {
		got, err := s.Open(s.SealPlain(plain), fx.memberPub, now)
		if err == nil && !bytes.Equal(plain, p) {
			t.Fatalf("opened a plaintext the member did not sign: %+v", got)
		}
	})
}
