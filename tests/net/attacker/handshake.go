package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/quic-go/quic-go"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peername"
	"p2p/core/wire"
)

// credentialContext is what a credential's issuer signs before its fields
// (core/credential's signing context, documented with its format).
const credentialContext = "p2p-gmc-v1\x00"

// dialer opens QUIC connections from one UDP socket, bound to -bind if
// given, with the attacker's identity certificate.
type dialer struct {
	id  *identity.Identity
	udp *net.UDPConn
	tr  *quic.Transport
}

func newDialer(id *identity.Identity, bind string) (*dialer, error) {
	laddr := &net.UDPAddr{}
	if bind != "" {
		ip := net.ParseIP(bind)
		if ip == nil {
			return nil, fmt.Errorf("-bind %q is not an IP address", bind)
		}
		laddr.IP = ip
	}
	udp, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, err
	}
	return &dialer{id: id, udp: udp, tr: &quic.Transport{Conn: udp}}, nil
}

func (d *dialer) close() {
	d.tr.Close()
	d.udp.Close()
}

// tlsConfig presents cert the way core/mesh does.
func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		MinVersion:         tls.VersionTLS13,
		NextProtos:         []string{wire.ALPN},
		InsecureSkipVerify: true, // identity certificates are self-signed, as in core/mesh
		ServerName:         "p2p-group",
	}
}

func quicConfig() *quic.Config {
	return &quic.Config{HandshakeIdleTimeout: 10 * time.Second, MaxIdleTimeout: 30 * time.Second}
}

// dial connects to addr as the attacker's identity.
func (d *dialer) dial(ctx context.Context, addr string) (*quic.Conn, error) {
	return d.dialAs(ctx, addr, d.id.TLSCertificate())
}

// dialAs connects to addr presenting cert.
func (d *dialer) dialAs(ctx context.Context, addr string, cert tls.Certificate) (*quic.Conn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second) // generous: the machine may be loaded
	defer cancel()
	return d.tr.Dial(dctx, ua, tlsConfig(cert), quicConfig())
}

// helloMsg builds a Hello for group with chain and flags.
func helloMsg(groupName string, chain []byte, flags uint32) *wire.Hello {
	var node [8]byte
	rand.Read(node[:])
	return &wire.Hello{Version: wire.Version, Group: groupName, NodeID: binary.BigEndian.Uint64(node[:]) | 1,
		Chain: chain, FriendlyName: "attacker", Flags: flags}
}

// hello opens the control stream, sends h (and extra, frames written
// right behind it) and reads the answer.
func hello(ctx context.Context, conn *quic.Conn, h *wire.Hello, extra ...[]byte) (*quic.Stream, *bufio.Reader, wire.Type, []byte, error) {
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	if err := wire.WriteFrame(s, wire.THello, h.Encode()); err != nil {
		return s, nil, 0, nil, err
	}
	for _, f := range extra {
		if _, err := s.Write(f); err != nil {
			return s, nil, 0, nil, err
		}
	}
	br := bufio.NewReader(s)
	s.SetReadDeadline(time.Now().Add(15 * time.Second))
	t, payload, err := wire.ReadFrame(br, 1<<20)
	if err != nil {
		return s, br, 0, nil, err
	}
	s.SetReadDeadline(time.Time{})
	return s, br, t, payload, nil
}

// attempt dials addr, sends a Hello for group with chain and prints what
// the member answered and sent afterwards.
func attempt(ctx context.Context, d *dialer, label, addr, groupName string, chain []byte) {
	attemptWith(ctx, d, label, addr, d.id.TLSCertificate(), helloMsg(groupName, chain, 0))
}

// attemptWith is attempt with a chosen certificate, Hello and frames
// pipelined behind the Hello.
func attemptWith(ctx context.Context, d *dialer, label, addr string, cert tls.Certificate, h *wire.Hello, extra ...[]byte) {
	fmt.Printf("attempt %s\n", label)
	conn, err := d.dialAs(ctx, addr, cert)
	if err != nil {
		fmt.Printf("result error %v\n", oneLine(err))
		fmt.Println("after frames=0 records=0 streams=0")
		return
	}
	defer conn.CloseWithError(0, "")
	s, br, t, payload, err := hello(ctx, conn, h, extra...)
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
	if s == nil || br == nil {
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

func peerOf(conn *quic.Conn) string {
	st := conn.ConnectionState().TLS
	if len(st.PeerCertificates) != 1 {
		return "?"
	}
	return st.PeerCertificates[0].Subject.CommonName
}

// ---- nocred: a valid identity, no credential ----

// nocred connects with the attacker's genuine identity but no credential
// of the group, in every way a Hello allows.
func nocred(ctx context.Context, d *dialer, groupName, addr string) error {
	cert := d.id.TLSCertificate()
	attemptWith(ctx, d, "no-credential", addr, cert, helloMsg(groupName, nil, 0))
	garbage := make([]byte, 700)
	rand.Read(garbage)
	attemptWith(ctx, d, "garbage-credential", addr, cert, helloMsg(groupName, garbage, 0))
	attemptWith(ctx, d, "no-credential-direct-only", addr, cert, helloMsg(groupName, nil, wire.HelloDirectOnly))
	attemptWith(ctx, d, "password-flag-gmc-group", addr, cert, helloMsg(groupName, nil, wire.HelloPassword))

	// Records pipelined behind the Hello, before any Welcome.
	now := filetime.Now()
	r := newTestRecord(groupName, d.id.PeerName, now, "attacker: sent before the handshake")
	r.Sign(groupName, d.id.Key)
	b, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	var frame frameBuf
	wire.WriteFrame(&frame, wire.TRecords, (&wire.Records{Records: [][]byte{b}}).Encode())
	fmt.Printf("sent pipelined=%s\n", r.ID)
	attemptWith(ctx, d, "records-before-welcome", addr, cert, helloMsg(groupName, nil, 0), frame.b)

	other, err := plainCertificate()
	if err != nil {
		return err
	}
	attemptWith(ctx, d, "no-identity-certificate", addr, other, helloMsg(groupName, nil, 0))
	return nil
}

// plainCertificate is a self-signed ECDSA certificate: well-formed X.509,
// but not an identity certificate.
func plainCertificate() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not-an-identity"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// frameBuf collects written frames.
type frameBuf struct{ b []byte }

func (f *frameBuf) Write(p []byte) (int, error) { f.b = append(f.b, p...); return len(p), nil }

// ---- forge and foreign: must be refused ----

// forge presents chains the group key never signed: a root credential
// naming the real group but signed by a fresh key, and the attacker's
// own group's genuine root under the real group's name. With a genuine
// invitation it also presents that credential with its roles raised to
// administrator (so its signature no longer matches) and the genuine
// credential over the TLS certificate of another identity.
func forge(ctx context.Context, d *dialer, home, groupName, addr string, genuine *invitation.Invitation) error {
	id := d.id
	now := filetime.Now()
	_, fakeKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	forged, err := forgedRoot(groupName, subjectOf(id), fakeKey, now)
	if err != nil {
		return err
	}
	attempt(ctx, d, "forged-root", addr, groupName, forged)

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
	attempt(ctx, d, "own-group-root", addr, groupName, ownBytes)

	if genuine == nil {
		return nil
	}
	raised := cloneChain(genuine.Credential)
	raised[0].Roles = []uuid.UUID{credential.RoleAdmin}
	raisedBytes, err := raised.MarshalBinary()
	if err != nil {
		return err
	}
	attempt(ctx, d, "raised-roles", addr, groupName, raisedBytes)

	other, err := loadIdentity(filepath.Join(home, "thief"))
	if err != nil {
		return err
	}
	stolen, _ := genuine.Credential.MarshalBinary()
	attemptWith(ctx, d, "stolen-credential", addr, other.TLSCertificate(), helloMsg(groupName, stolen, 0))
	return nil
}

// forgedRoot is a root credential for groupName issued to subject and
// signed by key, which is not the group's.
func forgedRoot(groupName string, subject credential.Subject, key ed25519.PrivateKey, now filetime.FILETIME) ([]byte, error) {
	c := &credential.Credential{
		GroupPeerName: groupName, Subject: subject,
		IssuerPeerName: groupName, IssuerFriendlyName: groupName,
		Roles:     []uuid.UUID{credential.RoleAdmin},
		NotBefore: now - filetime.FILETIME(time.Hour/100), NotAfter: now + filetime.FILETIME(24*time.Hour/100),
		Signature: make([]byte, ed25519.SignatureSize),
	}
	raw, err := credential.Chain{c}.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("forge chain: %w", err)
	}
	// Chain encoding: "GMC", version, count, then fields and signature.
	fields := raw[5 : len(raw)-ed25519.SignatureSize]
	c.Signature = ed25519.Sign(key, append([]byte(credentialContext), fields...))
	return credential.Chain{c}.MarshalBinary()
}

// cloneChain copies a chain deeply enough to change a link's fields.
func cloneChain(c credential.Chain) credential.Chain {
	out := make(credential.Chain, len(c))
	for i, cr := range c {
		cp := *cr
		cp.Roles = append([]uuid.UUID(nil), cr.Roles...)
		out[i] = &cp
	}
	return out
}

// foreign presents a genuine credential of another group, once naming
// the attacked group and once naming the credential's own group.
func foreign(ctx context.Context, d *dialer, inv *invitation.Invitation, groupName, addr string) error {
	chain, err := inv.Credential.MarshalBinary()
	if err != nil {
		return err
	}
	attempt(ctx, d, "foreign-credential", addr, groupName, chain)
	attempt(ctx, d, "foreign-group-name", addr, inv.GroupPeerName, chain)
	return nil
}
