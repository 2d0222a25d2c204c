// Command attacker speaks the group wire protocol itself, to check that
// members refuse what an honest member never sends. The tests of
// tests/net run it against peer processes and parse the lines it prints.
//
//	attacker -home DIR -mode identity
//	    make (or load) the attacker's identity in DIR; prints
//	    "identity <peer name> <escaped identity XML>".
//	attacker -home DIR -mode forge -group G -addr HOST:PORT
//	    present a credential chain for group G whose root is signed by a
//	    key that is not G's, then a chain of a group of its own.
//	attacker -home DIR -mode foreign -invitation FILE -group G -addr HOST:PORT
//	    present the genuine credential of ANOTHER group (from FILE, an
//	    invitation of that group for this identity) to a member of G.
//	attacker -home DIR -mode tamper -invitation FILE [-addr HOST:PORT]
//	    join G properly with a genuine invitation, then send a Records
//	    frame with its member record, one valid record, one record whose
//	    data was changed after signing and a forged update of the valid
//	    record.
//
// Each connection attempt prints "attempt <label>" and then
// "result refused 0x<hr> <reason>", "result welcome <peer>" or
// "result error <text>", then "after frames=<n> records=<n> streams=<n>":
// what the member sent after its answer. Tamper mode prints "sent ...",
// "ack" once the member acknowledged handling the records, and
// "received records=<n>". Errors of the program itself exit 1.
package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/quic-go/quic-go"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peername"
	"p2p/core/record"
	"p2p/core/wire"
)

// testType is the record type of tests/net/peer.c (TEST_TYPE).
var testType = uuid.MustParse("7e57d47a-0001-4e70-9e7a-6e6574746573")

// credentialContext is what a credential's issuer signs before its fields
// (core/credential's signing context, documented with its format).
const credentialContext = "p2p-gmc-v1\x00"

func main() {
	home := flag.String("home", "", "directory holding the attacker's identity")
	mode := flag.String("mode", "", "identity, forge, foreign or tamper")
	groupName := flag.String("group", "", "peer name of the group attacked")
	addr := flag.String("addr", "", "member address host:port")
	invFile := flag.String("invitation", "", "file holding an invitation for this identity")
	flag.Parse()
	if err := run(*home, *mode, *groupName, *addr, *invFile); err != nil {
		fmt.Fprintln(os.Stderr, "attacker:", err)
		os.Exit(1)
	}
}

func run(home, mode, groupName, addr, invFile string) error {
	if home == "" {
		return errors.New("-home is required")
	}
	id, err := loadIdentity(home)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch mode {
	case "identity":
		fmt.Printf("identity %s %s\n", id.PeerName, escape(id.XML()))
		return nil
	case "forge":
		return forge(ctx, id, groupName, addr)
	case "foreign":
		inv, err := readInvitation(invFile, id)
		if err != nil {
			return err
		}
		return foreign(ctx, id, inv, groupName, addr)
	case "tamper":
		inv, err := readInvitation(invFile, id)
		if err != nil {
			return err
		}
		return tamper(ctx, id, inv, addr)
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// loadIdentity returns the identity kept in home, creating it once.
func loadIdentity(home string) (*identity.Identity, error) {
	store, err := identity.OpenStore(home)
	if err != nil {
		return nil, err
	}
	ids, err := store.List()
	if err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		return ids[0], nil
	}
	return store.Create("", "attacker")
}

// readInvitation reads and verifies an invitation issued to id.
func readInvitation(path string, id *identity.Identity) (*invitation.Invitation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	inv, err := invitation.Parse(string(b))
	if err != nil {
		return nil, err
	}
	if err := inv.VerifyFor(id.PeerName, filetime.Now()); err != nil {
		return nil, err
	}
	return inv, nil
}

func subjectOf(id *identity.Identity) credential.Subject {
	return credential.Subject{PeerName: id.PeerName, FriendlyName: "attacker", Key: id.PublicKey()}
}

// ---- forge and foreign: must be refused ----

// forge presents two chains the group key never signed: a root
// credential naming the real group but signed by a fresh key, and the
// attacker's own group's genuine root under the real group's name.
func forge(ctx context.Context, id *identity.Identity, groupName, addr string) error {
	now := filetime.Now()
	_, fakeKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	// 1. A root credential for the real group, signed by the wrong key.
	c := &credential.Credential{
		GroupPeerName: groupName, Subject: subjectOf(id),
		IssuerPeerName: groupName, IssuerFriendlyName: groupName,
		Roles:     []uuid.UUID{credential.RoleAdmin},
		NotBefore: now - filetime.FILETIME(time.Hour/100), NotAfter: now + filetime.FILETIME(24*time.Hour/100),
		Signature: make([]byte, ed25519.SignatureSize),
	}
	raw, err := credential.Chain{c}.MarshalBinary()
	if err != nil {
		return fmt.Errorf("forge chain: %w", err)
	}
	// Chain encoding: "GMC", version, count, then fields and signature.
	fields := raw[5 : len(raw)-ed25519.SignatureSize]
	c.Signature = ed25519.Sign(fakeKey, append([]byte(credentialContext), fields...))
	forged, err := credential.Chain{c}.MarshalBinary()
	if err != nil {
		return err
	}
	attempt(ctx, id, "forged-root", addr, groupName, forged)

	// 2. A genuine root of a group the attacker made itself.
	ownPub, ownKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	ownName := peername.Secure(ownPub, "fake")
	own, err := credential.IssueRoot(ownKey, ownName, subjectOf(id), []uuid.UUID{credential.RoleAdmin}, now, credential.InfiniteAfter(now))
	if err != nil {
		return err
	}
	ownBytes, _ := own.MarshalBinary()
	attempt(ctx, id, "own-group-root", addr, groupName, ownBytes)
	return nil
}

// foreign presents a genuine credential of another group, once naming
// the attacked group and once naming the credential's own group.
func foreign(ctx context.Context, id *identity.Identity, inv *invitation.Invitation, groupName, addr string) error {
	chain, err := inv.Credential.MarshalBinary()
	if err != nil {
		return err
	}
	attempt(ctx, id, "foreign-credential", addr, groupName, chain)
	attempt(ctx, id, "foreign-group-name", addr, inv.GroupPeerName, chain)
	return nil
}

// attempt dials addr, sends a Hello for group with chain and prints what
// the member answered and sent afterwards.
func attempt(ctx context.Context, id *identity.Identity, label, addr, groupName string, chain []byte) {
	fmt.Printf("attempt %s\n", label)
	conn, err := dial(ctx, id, addr)
	if err != nil {
		fmt.Printf("result error %v\n", oneLine(err))
		return
	}
	defer conn.CloseWithError(0, "")
	s, br, t, payload, err := hello(ctx, conn, groupName, chain)
	switch {
	case err != nil:
		fmt.Printf("result error %v\n", oneLine(err))
	case t == wire.TRefuse:
		r, derr := wire.DecodeRefuse(payload)
		if derr != nil {
			fmt.Printf("result error malformed refuse: %v\n", derr)
		} else {
			fmt.Printf("result refused 0x%08x %s\n", r.HR, oneLine(errors.New(r.Reason)))
		}
	case t == wire.TWelcome:
		fmt.Printf("result welcome %s\n", peerOf(conn))
	default:
		fmt.Printf("result error unexpected message %d\n", t)
	}
	if s == nil {
		fmt.Println("after frames=0 records=0 streams=0")
		return
	}
	frames, records := drain(s, br, time.Second)
	streams := 0
	actx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	for {
		if _, err := conn.AcceptStream(actx); err != nil {
			break
		}
		streams++
	}
	cancel()
	fmt.Printf("after frames=%d records=%d streams=%d\n", frames, records, streams)
}

// drain reads frames until the stream ends or wait passes, counting
// frames and the records they carry.
func drain(s *quic.Stream, br *bufio.Reader, wait time.Duration) (frames, records int) {
	s.SetReadDeadline(time.Now().Add(wait))
	for {
		t, payload, err := wire.ReadFrame(br, wire.MaxFrame)
		if err != nil {
			return frames, records
		}
		frames++
		if t == wire.TRecords {
			if m, err := wire.DecodeRecords(payload); err == nil {
				records += len(m.Records)
			}
		}
	}
}

func dial(ctx context.Context, id *identity.Identity, addr string) (*quic.Conn, error) {
	tlsConf := &tls.Config{
		Certificates:       []tls.Certificate{id.TLSCertificate()},
		MinVersion:         tls.VersionTLS13,
		NextProtos:         []string{wire.ALPN},
		InsecureSkipVerify: true, // identity certificates are self-signed, as in core/mesh
		ServerName:         "p2p-group",
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return quic.DialAddr(dctx, addr, tlsConf, &quic.Config{HandshakeIdleTimeout: 5 * time.Second, MaxIdleTimeout: 30 * time.Second})
}

// hello opens the control stream, sends Hello and reads the answer.
func hello(ctx context.Context, conn *quic.Conn, groupName string, chain []byte) (*quic.Stream, *bufio.Reader, wire.Type, []byte, error) {
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	var node [8]byte
	rand.Read(node[:])
	h := &wire.Hello{Version: wire.Version, Group: groupName, NodeID: uint64(node[0])<<56 | uint64(node[1])<<48 | 1,
		Chain: chain, FriendlyName: "attacker"}
	if err := wire.WriteFrame(s, wire.THello, h.Encode()); err != nil {
		return s, nil, 0, nil, err
	}
	br := bufio.NewReader(s)
	s.SetReadDeadline(time.Now().Add(10 * time.Second))
	t, payload, err := wire.ReadFrame(br, 1<<20)
	if err != nil {
		return s, br, 0, nil, err
	}
	s.SetReadDeadline(time.Time{})
	return s, br, t, payload, nil
}

func peerOf(conn *quic.Conn) string {
	st := conn.ConnectionState().TLS
	if len(st.PeerCertificates) != 1 {
		return "?"
	}
	return st.PeerCertificates[0].Subject.CommonName
}

// ---- tamper: a genuine member sending bad records ----

// tamper joins with a genuine credential and sends its member record, a
// valid record, a record altered after signing and an altered update of
// the valid one; then a Barrier, whose acknowledgement tells that the
// member handled everything before it.
func tamper(ctx context.Context, id *identity.Identity, inv *invitation.Invitation, addr string) error {
	g := inv.GroupPeerName
	var addrs []string
	if addr != "" {
		addrs = []string{addr}
	}
	for _, a := range inv.Addresses {
		addrs = append(addrs, a.String())
	}
	chain, err := inv.Credential.MarshalBinary()
	if err != nil {
		return err
	}
	var conn *quic.Conn
	for _, a := range addrs {
		if conn, err = dial(ctx, id, a); err == nil {
			break
		}
	}
	if conn == nil {
		return fmt.Errorf("no member reachable at %v: %v", addrs, err)
	}
	defer conn.CloseWithError(0, "")
	s, br, t, payload, err := hello(ctx, conn, g, chain)
	if err != nil {
		return err
	}
	if t != wire.TWelcome {
		r, _ := wire.DecodeRefuse(payload)
		return fmt.Errorf("not welcomed: message %d %+v", t, r)
	}
	fmt.Printf("result welcome %s\n", peerOf(conn))

	now := filetime.Now()
	leaf := inv.Credential.Leaf()
	member := &record.Record{Type: group.MemberType, ID: group.MemberRecordID(g, id.PeerName), Version: 1,
		CreatorID: id.PeerName, ModifiedByID: id.PeerName, Created: now, Modified: now, Expires: leaf.NotAfter}
	member.Data, _ = json.Marshal(struct {
		FriendlyName string `json:"friendlyName"`
		Chain        []byte `json:"chain"`
	}{"attacker", chain})
	member.Sign(g, id.Key)

	newRecord := func(text string) *record.Record {
		r := &record.Record{Type: testType, ID: uuid.New(), Version: 1, CreatorID: id.PeerName, ModifiedByID: id.PeerName,
			Created: now, Modified: now, Expires: now + filetime.FILETIME(24*time.Hour/100), Data: []byte(text)}
		r.Sign(g, id.Key)
		return r
	}
	valid := newRecord("attacker: a valid record")
	tampered := newRecord("attacker: this record was changed after signing")
	tampered.Data[len(tampered.Data)-1] ^= 0x01
	update := valid.Clone()
	update.Version = 2
	update.Modified++
	update.Data = []byte("attacker: a valid record")
	update.Sign(g, id.Key)
	update.Data[0] ^= 0x20 // "Attacker": the update no longer matches its signature

	var encoded [][]byte
	for _, r := range []*record.Record{member, valid, tampered, update} {
		b, err := r.MarshalBinary()
		if err != nil {
			return err
		}
		encoded = append(encoded, b)
	}
	if err := wire.WriteFrame(s, wire.TRecords, (&wire.Records{Records: encoded}).Encode()); err != nil {
		return err
	}
	sum := sha256.Sum256(valid.Data)
	fmt.Printf("sent member=%s valid=%s tampered=%s update=%s valid-sha256=%s\n",
		member.ID, valid.ID, tampered.ID, update.ID, hex.EncodeToString(sum[:]))
	if err := wire.WriteFrame(s, wire.TBarrier, (&wire.Barrier{Seq: 7}).Encode()); err != nil {
		return err
	}
	received := 0
	s.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		t, payload, err := wire.ReadFrame(br, wire.MaxFrame)
		if err != nil {
			return fmt.Errorf("waiting for the barrier acknowledgement: %w", err)
		}
		if t == wire.TRecords {
			if m, err := wire.DecodeRecords(payload); err == nil {
				received += len(m.Records)
			}
		}
		if t == wire.TBarrierAck {
			break
		}
	}
	fmt.Println("ack")
	fmt.Printf("received records=%d\n", received)
	// Let the member flood what it accepted before the connection ends.
	time.Sleep(500 * time.Millisecond)
	return nil
}

// ---- small helpers ----

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(s)
}

func oneLine(err error) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(err.Error())
}
