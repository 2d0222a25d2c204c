package dht

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"p2p/core/sig"
)

// Item format, version 1. A member's item is the value of a BEP 44
// mutable item: sealed = nonce (24) || XChaCha20-Poly1305(seal key,
// nonce, plain, additional data = the slot's 20-byte target), where plain
// has a fixed size, so its length tells an observer nothing:
//
//	0    1    version, 1
//	1    8    issued: Unix seconds, big-endian
//	9    1    n: addresses used, 0..MaxAddresses
//	10   288  MaxAddresses slots of 18 bytes: IPv6 address (IPv4 as
//	          ::ffff:a.b.c.d), port big-endian; unused slots are zero
//	298  64   the member's identity signature (Ed25519) of
//	          "p2p-dht-item-v1\x00" group "\x00" member "\x00" epoch (8,
//	          big-endian) plain[0:298]
const (
	itemVersion  = 1
	MaxAddresses = 16
	addrSize     = 18
	signedSize   = 10 + MaxAddresses*addrSize
	plainSize    = signedSize + ed25519.SignatureSize
	// SealedSize is the length of every item value.
	SealedSize  = chacha20poly1305.NonceSizeX + plainSize + chacha20poly1305.Overhead
	itemContext = "p2p-dht-item-v1\x00"
)

// Keys are a group's secrets for the DHT, derived from its group key,
// which only members and holders of an invitation know (it is never sent
// in clear): they can find and read the group's items, nobody else can.
type Keys struct {
	group  string
	secret []byte // HKDF pseudorandom key
}

// NewKeys derives the DHT keys of the group named groupPeerName with key
// groupKey.
func NewKeys(groupPeerName string, groupKey ed25519.PublicKey) *Keys {
	prk, err := hkdf.Extract(sha256.New, groupKey, []byte("p2p-dht-v1\x00"+groupPeerName))
	if err != nil {
		panic(err) // only for FIPS-only modes with short keys; a group key is 32 bytes
	}
	return &Keys{group: groupPeerName, secret: prk}
}

// EpochOf is the epoch of t: Unix time divided by Epoch.
func EpochOf(t time.Time) uint64 { return uint64(t.Unix()) / uint64(Epoch/time.Second) }

func (k *Keys) expand(info string, epoch uint64, n int) []byte {
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], epoch)
	b, err := hkdf.Expand(sha256.New, k.secret, info+"\x00"+string(e[:]), n)
	if err != nil {
		panic(err)
	}
	return b
}

// Slot is where one member's item of one epoch lives: a BEP 44 key pair
// (whoever knows the group's secret can write it), its target, and the
// epoch's sealing key.
type Slot struct {
	Epoch  uint64
	Member string
	Key    ed25519.PrivateKey
	Public [32]byte
	Target [20]byte
	seal   []byte
	group  string
}

// Slot returns member's slot in epoch.
func (k *Keys) Slot(epoch uint64, member string) *Slot {
	seed := k.expand("sign\x00"+member, epoch, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	s := &Slot{Epoch: epoch, Member: member, Key: priv, seal: k.expand("seal", epoch, chacha20poly1305.KeySize), group: k.group}
	copy(s.Public[:], priv.Public().(ed25519.PublicKey))
	s.Target = sha1.Sum(s.Public[:]) // BEP 44 target of a key without salt
	return s
}

// Found is what a lookup learned: where a member said it can be reached,
// and when it said so.
type Found struct {
	PeerName string
	Addrs    []netip.AddrPort
	Issued   time.Time
}

// Seal makes the item value of the slot's member: its addresses (at most
// MaxAddresses of them, best first), dated issued and signed with the
// member's identity key.
func (s *Slot) Seal(addrs []netip.AddrPort, issued time.Time, identity ed25519.PrivateKey) []byte {
	plain := make([]byte, plainSize)
	plain[0] = itemVersion
	binary.BigEndian.PutUint64(plain[1:], uint64(issued.Unix()))
	n := 0
	for _, a := range addrs {
		if n == MaxAddresses {
			break
		}
		if !usable(a) {
			continue
		}
		off := 10 + n*addrSize
		ip := a.Addr().As16()
		copy(plain[off:], ip[:])
		binary.BigEndian.PutUint16(plain[off+16:], a.Port())
		n++
	}
	plain[9] = byte(n)
	copy(plain[signedSize:], ed25519.Sign(identity, s.signedMessage(plain[:signedSize])))
	aead, _ := chacha20poly1305.NewX(s.seal)
	out := make([]byte, chacha20poly1305.NonceSizeX, SealedSize)
	rand.Read(out)
	return aead.Seal(out, out, plain, s.Target[:])
}

func (s *Slot) signedMessage(signed []byte) []byte {
	m := make([]byte, 0, len(itemContext)+len(s.group)+len(s.Member)+10+len(signed))
	m = append(m, itemContext...)
	m = append(m, s.group...)
	m = append(m, 0)
	m = append(m, s.Member...)
	m = append(m, 0)
	m = binary.BigEndian.AppendUint64(m, s.Epoch)
	return append(m, signed...)
}

// Errors of Open. Each says why an item was ignored; none is ever more
// than a log line.
var (
	errItemSize      = errors.New("item of the wrong size")
	errItemSealed    = errors.New("item not sealed with this group's key for this slot")
	errItemVersion   = errors.New("item of an unknown version")
	errItemMalformed = errors.New("malformed item")
	errItemSignature = errors.New("item not signed by the member")
	errItemStale     = errors.New("item too old")
	errItemFuture    = errors.New("item dated in the future")
)

// Open reads an item value found in the slot: it must be sealed with the
// group's key for this slot, well formed, signed by memberKey (the
// member's identity key, as a member record or an invitation holds it)
// and dated within [now - maxItemAge, now + maxItemSkew].
func (s *Slot) Open(value []byte, memberKey ed25519.PublicKey, now time.Time) (*Found, error) {
	if len(value) != SealedSize {
		return nil, errItemSize
	}
	aead, _ := chacha20poly1305.NewX(s.seal)
	nonce := value[:chacha20poly1305.NonceSizeX]
	plain, err := aead.Open(nil, nonce, value[chacha20poly1305.NonceSizeX:], s.Target[:])
	if err != nil {
		return nil, errItemSealed
	}
	if plain[0] != itemVersion {
		return nil, errItemVersion
	}
	n := int(plain[9])
	if n > MaxAddresses {
		return nil, errItemMalformed
	}
	f := &Found{PeerName: s.Member, Issued: time.Unix(int64(binary.BigEndian.Uint64(plain[1:])), 0)}
	for i := range MaxAddresses {
		slot := plain[10+i*addrSize : 10+(i+1)*addrSize]
		if i >= n {
			for _, b := range slot {
				if b != 0 {
					return nil, errItemMalformed
				}
			}
			continue
		}
		a := netip.AddrPortFrom(netip.AddrFrom16([16]byte(slot[:16])).Unmap(), binary.BigEndian.Uint16(slot[16:]))
		if !usable(a) {
			return nil, fmt.Errorf("%w: address %s", errItemMalformed, a)
		}
		f.Addrs = append(f.Addrs, a)
	}
	if !sig.Verify(memberKey, s.signedMessage(plain[:signedSize]), plain[signedSize:]) {
		return nil, errItemSignature
	}
	switch {
	case f.Issued.Before(now.Add(-maxItemAge)):
		return nil, errItemStale
	case f.Issued.After(now.Add(maxItemSkew)):
		return nil, errItemFuture
	}
	return f, nil
}

// usable reports whether a is an address a member may be dialled at.
func usable(a netip.AddrPort) bool {
	ip := a.Addr()
	return a.IsValid() && a.Port() != 0 && !ip.IsUnspecified() && !ip.IsMulticast() && ip.Zone() == ""
}
