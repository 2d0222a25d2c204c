package wire

import (
	"encoding/binary"
	"net/netip"
)

// Hello opens a neighbour connection: the dialling member names the group
// and shows its credential chain (bound to the TLS certificate it
// presented).
type Hello struct {
	Version      byte
	Group        string
	NodeID       uint64
	Chain        []byte
	FriendlyName string
	Addresses    []netip.AddrPort
	Flags        uint32
}

// Welcome accepts a Hello with the listening member's own credentials;
// after a password proof it also carries the credential issued to the
// joiner. To a Hello with HelloNAT it adds, after the fields above, the
// address the member sees the dialler's packets come from (Observed: the
// dialler's reflexive address) and its own capabilities (Caps, CapNAT
// set); a Welcome to an older dialler ends at Issued.
type Welcome struct {
	NodeID       uint64
	Chain        []byte
	FriendlyName string
	Addresses    []netip.AddrPort
	Issued       []byte
	Observed     netip.AddrPort // with Caps != 0 only
	Caps         uint32         // 0: the fields end at Issued
}

// Refuse ends a connection attempt with an HRESULT and a reason.
type Refuse struct {
	HR     uint32
	Reason string
}

// Records carries encoded records (record.Record binary form).
type Records struct {
	Records [][]byte
}

// IDSize and HashSize are the sizes of a record id and of the record
// digest prefix used to compare databases.
const (
	IDSize   = 16
	HashSize = 16
)

// Bucket summarises the records whose ids start with Prefix.
type Bucket struct {
	Prefix []byte // at most IDSize bytes
	Count  uint32
	FP     [HashSize]byte // XOR of the record digests
}

// Fingerprints asks the peer to compare buckets with its own.
type Fingerprints struct {
	Round   uint64
	Buckets []Bucket
}

// Item is one record in a bucket listing.
type Item struct {
	ID   [IDSize]byte
	Hash [HashSize]byte
}

// Outcomes of one bucket in a SyncReply.
const (
	BucketEqual byte = 0 // same records
	BucketSplit byte = 1 // too many to list: here are my child buckets
	BucketItems byte = 2 // here are my records' ids and digests
	BucketSent  byte = 3 // you have none: I am sending you all of mine
)

// BucketReply is the answer for one bucket.
type BucketReply struct {
	Prefix   []byte
	Outcome  byte
	Children []Bucket // BucketSplit
	Items    []Item   // BucketItems
}

// SyncReply answers a Fingerprints message.
type SyncReply struct {
	Round   uint64
	Replies []BucketReply
}

// Want asks for records by id.
type Want struct {
	IDs [][IDSize]byte
}

// Barrier asks the peer to answer with BarrierAck once it has handled
// every message sent before it.
type Barrier struct{ Seq uint64 }

// Hello flags.
const (
	// HelloDirectOnly asks for a connection that carries direct
	// connections only: not a neighbour, no flooding or reconciliation.
	HelloDirectOnly uint32 = 0x1
	// HelloPassword asks to join with the group password: the Hello
	// carries no credential and the member answers with a challenge.
	HelloPassword uint32 = 0x2
	// HelloNAT says the dialler speaks the NAT-traversal messages (Punch,
	// Relay, DirectOpen with DirectResume) and wants the Welcome's
	// Observed and Caps.
	HelloNAT uint32 = 0x4
)

// Welcome capabilities.
const (
	// CapNAT: the member speaks the NAT-traversal messages.
	CapNAT uint32 = 0x1
)

// DirectOpen starts a direct connection on a new stream; the accepting
// side answers with its own DirectOpen.
type DirectOpen struct {
	ConnectionID uint64 // the sender's id for it
	Flags        uint32
	Resume       uint64 // with DirectResume only: the receiver's id of the connection moved here
}

// DirectOpen flags.
const (
	// DirectNeighborData marks the stream that carries PeerGroupSendData
	// on a neighbour connection: data arrives under the neighbour
	// connection's id and no DIRECT_CONNECTION events are raised.
	DirectNeighborData uint32 = 0x1
	// DirectResume moves an open direct connection (the receiver's id in
	// Resume) onto this stream, which may belong to another QUIC
	// connection to the same member: after it, each side sends a
	// DirectMoved on the old stream and its later messages here. Sent only
	// to members whose Welcome or Hello showed the NAT capability.
	DirectResume uint32 = 0x2
)

// Data is one application message on a direct connection.
type Data struct {
	Type [16]byte
	Data []byte
}

// MaxData is the largest PeerGroupSendData message: 1 MiB. Larger data
// must be split by the application.
const MaxData = 1 << 20

// AppendDataFrame appends a whole Data frame for one message to b, copying
// data once.
func AppendDataFrame(b []byte, typ [16]byte, data []byte) []byte {
	n := 1 + 16 + uvarintLen(uint64(len(data))) + len(data)
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, byte(TData))
	b = append(b, typ[:]...)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Encode returns the payload of m.
func (m *Hello) Encode() []byte {
	var e enc
	e.u8(m.Version)
	e.str(m.Group)
	e.u64(m.NodeID)
	e.bytes(m.Chain)
	e.str(m.FriendlyName)
	e.addrs(m.Addresses)
	e.u32(m.Flags)
	return e.b
}

// DecodeHello parses a Hello payload.
func DecodeHello(b []byte) (*Hello, error) {
	d := dec{b: b}
	m := &Hello{Version: d.u8(), Group: d.str(maxString, "group"), NodeID: d.u64(),
		Chain: d.bytes(maxChain, "chain"), FriendlyName: d.str(maxString, "friendly name"),
		Addresses: d.addrs(), Flags: d.u32()}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Welcome) Encode() []byte {
	var e enc
	e.u64(m.NodeID)
	e.bytes(m.Chain)
	e.str(m.FriendlyName)
	e.addrs(m.Addresses)
	e.bytes(m.Issued)
	if m.Caps != 0 {
		e.addr(m.Observed)
		e.u32(m.Caps)
	}
	return e.b
}

// DecodeWelcome parses a Welcome payload.
func DecodeWelcome(b []byte) (*Welcome, error) {
	d := dec{b: b}
	m := &Welcome{NodeID: d.u64(), Chain: d.bytes(maxChain, "chain"),
		FriendlyName: d.str(maxString, "friendly name"), Addresses: d.addrs(), Issued: d.bytes(maxChain, "issued")}
	if d.err == nil && len(d.b) > 0 {
		m.Observed = d.optAddr()
		if m.Caps = d.u32(); m.Caps == 0 {
			d.fail("capabilities")
		}
	}
	return m, d.end()
}

// PasswordChallenge answers a Hello that asks to join with the group
// password: the member shows its credential and the parameters the
// joiner derives its proof with.
type PasswordChallenge struct {
	Chain     []byte
	Nonce     [32]byte
	Salt      []byte
	KDFTime   uint32
	KDFMemory uint32 // KiB
	KDFLanes  uint8
}

// Encode returns the payload of m.
func (m *PasswordChallenge) Encode() []byte {
	var e enc
	e.bytes(m.Chain)
	e.fixed(m.Nonce[:])
	e.bytes(m.Salt)
	e.u32(m.KDFTime)
	e.u32(m.KDFMemory)
	e.u8(m.KDFLanes)
	return e.b
}

// DecodePasswordChallenge parses a PasswordChallenge payload.
func DecodePasswordChallenge(b []byte) (*PasswordChallenge, error) {
	d := dec{b: b}
	m := &PasswordChallenge{Chain: d.bytes(maxChain, "chain")}
	copy(m.Nonce[:], d.take(32, "nonce"))
	m.Salt = d.bytes(64, "salt")
	m.KDFTime, m.KDFMemory, m.KDFLanes = d.u32(), d.u32(), d.u8()
	return m, d.end()
}

// PasswordProof proves knowledge of the group password, bound to this
// TLS session and challenge.
type PasswordProof struct {
	Proof []byte
}

// Encode returns the payload of m.
func (m *PasswordProof) Encode() []byte {
	var e enc
	e.bytes(m.Proof)
	return e.b
}

// DecodePasswordProof parses a PasswordProof payload.
func DecodePasswordProof(b []byte) (*PasswordProof, error) {
	d := dec{b: b}
	m := &PasswordProof{Proof: d.bytes(64, "proof")}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Refuse) Encode() []byte {
	var e enc
	e.u32(m.HR)
	e.str(m.Reason)
	return e.b
}

// DecodeRefuse parses a Refuse payload.
func DecodeRefuse(b []byte) (*Refuse, error) {
	d := dec{b: b}
	m := &Refuse{HR: d.u32(), Reason: d.str(maxString, "reason")}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Records) Encode() []byte {
	size := binary.MaxVarintLen64
	for _, r := range m.Records {
		size += binary.MaxVarintLen64 + len(r)
	}
	e := enc{b: make([]byte, 0, size)}
	e.uvar(uint64(len(m.Records)))
	for _, r := range m.Records {
		e.bytes(r)
	}
	return e.b
}

// DecodeRecords parses a Records payload; the records share b's memory.
func DecodeRecords(b []byte) (*Records, error) {
	d := dec{b: b}
	n := d.uvar(maxRecords, "record count")
	m := &Records{Records: make([][]byte, 0, min(n, 1024))}
	for i := uint64(0); i < n && d.err == nil; i++ {
		m.Records = append(m.Records, d.view(MaxFrame, "record"))
	}
	return m, d.end()
}

func (e *enc) buckets(bs []Bucket) {
	e.uvar(uint64(len(bs)))
	for _, bk := range bs {
		e.bytes(bk.Prefix)
		e.u32(bk.Count)
		e.fixed(bk.FP[:])
	}
}

func (d *dec) buckets() []Bucket {
	n := d.uvar(maxBuckets, "bucket count")
	out := make([]Bucket, 0, min(n, 256))
	for i := uint64(0); i < n && d.err == nil; i++ {
		bk := Bucket{Prefix: d.bytes(IDSize, "prefix"), Count: d.u32()}
		copy(bk.FP[:], d.take(HashSize, "fingerprint"))
		out = append(out, bk)
	}
	return out
}

// Encode returns the payload of m.
func (m *Fingerprints) Encode() []byte {
	var e enc
	e.u64(m.Round)
	e.buckets(m.Buckets)
	return e.b
}

// DecodeFingerprints parses a Fingerprints payload.
func DecodeFingerprints(b []byte) (*Fingerprints, error) {
	d := dec{b: b}
	m := &Fingerprints{Round: d.u64(), Buckets: d.buckets()}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *SyncReply) Encode() []byte {
	var e enc
	e.u64(m.Round)
	e.uvar(uint64(len(m.Replies)))
	for _, r := range m.Replies {
		e.bytes(r.Prefix)
		e.u8(r.Outcome)
		switch r.Outcome {
		case BucketSplit:
			e.buckets(r.Children)
		case BucketItems:
			e.uvar(uint64(len(r.Items)))
			for _, it := range r.Items {
				e.fixed(it.ID[:])
				e.fixed(it.Hash[:])
			}
		}
	}
	return e.b
}

// DecodeSyncReply parses a SyncReply payload.
func DecodeSyncReply(b []byte) (*SyncReply, error) {
	d := dec{b: b}
	m := &SyncReply{Round: d.u64()}
	n := d.uvar(maxBuckets, "reply count")
	for i := uint64(0); i < n && d.err == nil; i++ {
		r := BucketReply{Prefix: d.bytes(IDSize, "prefix"), Outcome: d.u8()}
		switch r.Outcome {
		case BucketEqual, BucketSent:
		case BucketSplit:
			r.Children = d.buckets()
		case BucketItems:
			k := d.uvar(maxItems, "item count")
			for j := uint64(0); j < k && d.err == nil; j++ {
				var it Item
				copy(it.ID[:], d.take(IDSize, "id"))
				copy(it.Hash[:], d.take(HashSize, "hash"))
				r.Items = append(r.Items, it)
			}
		default:
			d.fail("bucket outcome")
		}
		m.Replies = append(m.Replies, r)
	}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Want) Encode() []byte {
	var e enc
	e.uvar(uint64(len(m.IDs)))
	for _, id := range m.IDs {
		e.fixed(id[:])
	}
	return e.b
}

// DecodeWant parses a Want payload.
func DecodeWant(b []byte) (*Want, error) {
	d := dec{b: b}
	n := d.uvar(maxItems, "id count")
	m := &Want{}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var id [IDSize]byte
		copy(id[:], d.take(IDSize, "id"))
		m.IDs = append(m.IDs, id)
	}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Barrier) Encode() []byte {
	var e enc
	e.u64(m.Seq)
	return e.b
}

// DecodeBarrier parses a Barrier or BarrierAck payload.
func DecodeBarrier(b []byte) (*Barrier, error) {
	d := dec{b: b}
	m := &Barrier{Seq: d.u64()}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *DirectOpen) Encode() []byte {
	var e enc
	e.u64(m.ConnectionID)
	e.u32(m.Flags)
	if m.Flags&DirectResume != 0 {
		e.u64(m.Resume)
	}
	return e.b
}

// DecodeDirectOpen parses a DirectOpen payload.
func DecodeDirectOpen(b []byte) (*DirectOpen, error) {
	d := dec{b: b}
	m := &DirectOpen{ConnectionID: d.u64(), Flags: d.u32()}
	if m.Flags&DirectResume != 0 {
		m.Resume = d.u64()
	}
	return m, d.end()
}

// Encode returns the payload of m.
func (m *Data) Encode() []byte {
	var e enc
	e.fixed(m.Type[:])
	e.bytes(m.Data)
	return e.b
}

// DecodeData parses a Data payload. The message's Data shares b's memory
// (a data message is most of its frame; copying it would double the work).
func DecodeData(b []byte) (*Data, error) {
	d := dec{b: b}
	m := &Data{}
	copy(m.Type[:], d.take(16, "type"))
	m.Data = d.view(MaxData, "data")
	return m, d.end()
}
