package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
)

// Reaching members behind NATs. Two messages travel on neighbour control
// streams, between members whose handshake showed the NAT capability
// (HelloNAT, CapNAT): Punch coordinates a hole punch through a member
// connected to both sides, Relay sets up a relay session through one.
// Small control packets travel beside QUIC on the group's UDP socket:
// their first byte has the two high bits clear, so QUIC never takes them
// for its own (RFC 9000 17.2/17.3 set the fixed bit).

// Punch kinds.
const (
	PunchRequest byte = 1 // initiator -> coordinator -> target: my candidates, the probe key
	PunchReply   byte = 2 // target -> coordinator -> initiator: my candidates
	PunchSync    byte = 3 // initiator -> coordinator -> target: start probing now
	PunchRefuse  byte = 4 // coordinator or target -> initiator: no punch (HR says why)
)

// Punch flags.
const (
	// PunchNeighbor: the initiator will open a neighbour connection, not
	// a direct-only one.
	PunchNeighbor uint32 = 0x1
)

// Punch is one message of a hole punch. The initiator names the target
// in Peer; the coordinator replaces Peer with the other side's name and
// sets Observed to where it sees that side's packets come from. Each
// side signs its own candidates with its identity key (Key, Sig), so the
// coordinator cannot add an address to them: a member sends probes only
// to the address the coordinator observed, and only if the other side
// signed that address as its own.
type Punch struct {
	Kind       byte
	Session    uint64
	Peer       string
	Flags      uint32
	Token      [16]byte // the key of the probes' MACs, chosen by the initiator
	Observed   netip.AddrPort
	Candidates []netip.AddrPort
	Key        []byte // Ed25519 public key of the signer
	Sig        []byte
	HR         uint32 // PunchRefuse
}

// Limits of a Punch.
const (
	MaxPunchCandidates = 8
	maxSig             = 64
	maxKey             = 32
)

// PunchSigningBytes is what a side of a punch signs: the group, the
// message kind and session, the probe key and its own candidates.
func PunchSigningBytes(group string, kind byte, session uint64, token [16]byte, cands []netip.AddrPort) []byte {
	var e enc
	e.str("p2p-punch-v1")
	e.str(group)
	e.u8(kind)
	e.u64(session)
	e.fixed(token[:])
	e.addrs(cands)
	return e.b
}

// Encode returns the payload of m.
func (m *Punch) Encode() []byte {
	var e enc
	e.u8(m.Kind)
	e.u64(m.Session)
	e.str(m.Peer)
	e.u32(m.Flags)
	e.fixed(m.Token[:])
	e.addr(m.Observed)
	e.addrs(m.Candidates)
	e.bytes(m.Key)
	e.bytes(m.Sig)
	e.u32(m.HR)
	return e.b
}

// DecodePunch parses a Punch payload.
func DecodePunch(b []byte) (*Punch, error) {
	d := dec{b: b}
	m := &Punch{Kind: d.u8(), Session: d.u64(), Peer: d.str(maxString, "peer"), Flags: d.u32()}
	copy(m.Token[:], d.take(16, "token"))
	m.Observed = d.optAddr()
	m.Candidates = d.addrs()
	m.Key = d.bytes(maxKey, "key")
	m.Sig = d.bytes(maxSig, "signature")
	m.HR = d.u32()
	if d.err == nil && (m.Kind < PunchRequest || m.Kind > PunchRefuse || len(m.Candidates) > MaxPunchCandidates) {
		d.fail("punch")
	}
	return m, d.end()
}

// Relay kinds.
const (
	RelayRequest byte = 1 // origin -> relay: relay me to Peer
	RelayOffer   byte = 2 // relay -> target: Peer asks for a relay; bind to Port with Token
	RelayReady   byte = 3 // relay -> origin: the target is bound; bind to Port with Token, then dial it
	RelayRefuse  byte = 4 // target -> relay -> origin, or relay -> origin: no relay (HR says why)
	RelayClose   byte = 5 // relay -> either side, or either side -> relay: the session ended
)

// Relay is one message of a relay session. The relay forwards the
// session's UDP datagrams between the two sides on a port of its own
// (Port, on the address each side reaches the relay at); each side first
// binds its address there with a Bind packet keyed by Token. The two
// sides then run an ordinary QUIC connection, authenticated end to end,
// through that port: the relay sees only ciphertext.
type Relay struct {
	Kind    byte
	Session uint64
	Peer    string
	Port    uint16
	Token   [16]byte
	HR      uint32
}

// Encode returns the payload of m.
func (m *Relay) Encode() []byte {
	var e enc
	e.u8(m.Kind)
	e.u64(m.Session)
	e.str(m.Peer)
	e.b = binary.BigEndian.AppendUint16(e.b, m.Port)
	e.fixed(m.Token[:])
	e.u32(m.HR)
	return e.b
}

// DecodeRelay parses a Relay payload.
func DecodeRelay(b []byte) (*Relay, error) {
	d := dec{b: b}
	m := &Relay{Kind: d.u8(), Session: d.u64(), Peer: d.str(maxString, "peer")}
	if v := d.take(2, "port"); v != nil {
		m.Port = binary.BigEndian.Uint16(v)
	}
	copy(m.Token[:], d.take(16, "token"))
	m.HR = d.u32()
	if d.err == nil && (m.Kind < RelayRequest || m.Kind > RelayClose) {
		d.fail("relay")
	}
	return m, d.end()
}

// Control packet kinds (the first byte).
const (
	PacketProbe    byte = 0x31 // hole punch: opens the sender's NAT toward the receiver
	PacketProbeAck byte = 0x32 // hole punch: answers a probe
	PacketBind     byte = 0x33 // relay: binds the sender's address to its side of a session
	PacketBindAck  byte = 0x34 // relay: the bind took effect
)

// Roles of a Bind: which side of the relay session sends it.
const (
	RoleOrigin byte = 1
	RoleTarget byte = 2
)

// packetMagic follows the kind byte.
var packetMagic = []byte("p2pN")

// PacketSize is the size of every control packet.
const PacketSize = 1 + 4 + 8 + 1 + 16

// Packet is a control packet: kind, session, role and a MAC keyed by the
// session's token, so only the two sides (and the relay or coordinator
// that handed the token over) can make one.
type Packet struct {
	Kind    byte
	Session uint64
	Role    byte
	MAC     [16]byte
}

// PacketMAC is the MAC of a control packet: HMAC-SHA256 over kind,
// session and role, truncated to 16 bytes.
func PacketMAC(token [16]byte, kind byte, session uint64, role byte) [16]byte {
	h := hmac.New(sha256.New, token[:])
	var b [10]byte
	b[0] = kind
	binary.BigEndian.PutUint64(b[1:9], session)
	b[9] = role
	h.Write(b[:])
	var out [16]byte
	copy(out[:], h.Sum(nil))
	return out
}

// NewPacket makes a control packet with its MAC.
func NewPacket(token [16]byte, kind byte, session uint64, role byte) Packet {
	return Packet{Kind: kind, Session: session, Role: role, MAC: PacketMAC(token, kind, session, role)}
}

// Append appends the packet's bytes to b.
func (p *Packet) Append(b []byte) []byte {
	b = append(b, p.Kind)
	b = append(b, packetMagic...)
	b = binary.BigEndian.AppendUint64(b, p.Session)
	b = append(b, p.Role)
	return append(b, p.MAC[:]...)
}

// ParsePacket parses a control packet; ok is false for anything else
// (the MAC is not checked here: Valid does that).
func ParsePacket(b []byte) (p Packet, ok bool) {
	if len(b) != PacketSize || b[0] < PacketProbe || b[0] > PacketBindAck || !bytes.Equal(b[1:5], packetMagic) {
		return Packet{}, false
	}
	p.Kind = b[0]
	p.Session = binary.BigEndian.Uint64(b[5:13])
	p.Role = b[13]
	copy(p.MAC[:], b[14:])
	return p, true
}

// Valid reports whether the packet's MAC is right for token.
func (p *Packet) Valid(token [16]byte) bool {
	want := PacketMAC(token, p.Kind, p.Session, p.Role)
	return hmac.Equal(want[:], p.MAC[:])
}
