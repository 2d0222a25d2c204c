package mesh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/credential"
	"p2p/core/identity"
	"p2p/core/password"
	"p2p/core/peererr"
	"p2p/core/wire"
)

// The neighbour handshake, dialling side. On a new QUIC connection, whose
// TLS certificate names the peer, the dialler opens the control stream
// and sends Hello with its credential; a password joiner, which has
// none, answers the member's PasswordChallenge with a proof; the member
// answers Welcome (or Refuse), which must show a valid credential for the
// identity of the certificate. Each step is one method of
// clientHandshake, run in order by handshake.

// clientHandshake is the state of one dialling handshake.
type clientHandshake struct {
	n     *Node
	conn  *quic.Conn
	addr  netip.AddrPort
	flags uint32 // Hello flags the caller asks for (HelloDirectOnly)

	peer     *identity.Info // the identity of the peer's TLS certificate
	password string         // a password joiner's password, "" for a member
	s        *quic.Stream   // the control stream
	br       *bufio.Reader  // reads s; the neighbour's reader takes it over

	answer    wire.Type // the member's final answer: Welcome, Refuse or anything else
	payload   []byte
	welcome   *wire.Welcome
	peerChain credential.Chain // the peer's verified credential
}

// stepFailure is a failed handshake step: the error the caller gets and
// the code the connection is closed with.
type stepFailure struct {
	code quic.ApplicationErrorCode
	err  error
}

func (f *stepFailure) Error() string { return f.err.Error() }
func (f *stepFailure) Unwrap() error { return f.err }

func fail(code quic.ApplicationErrorCode, err error) error { return &stepFailure{code, err} }

// clientHandshake runs the dialling side of the handshake on conn to a.
// It returns the neighbour, not yet started, and the reader of its
// control stream; on failure conn is closed.
func (n *Node) clientHandshake(ctx context.Context, conn *quic.Conn, a netip.AddrPort, flags uint32) (*neighbor, *bufio.Reader, error) {
	hs := &clientHandshake{n: n, conn: conn, addr: a, flags: flags}
	if err := hs.handshake(ctx); err != nil {
		f := err.(*stepFailure)
		conn.CloseWithError(f.code, "")
		return nil, nil, f.err
	}
	return hs.finish(), hs.br, nil
}

// handshake runs the steps; each fails with a *stepFailure.
func (hs *clientHandshake) handshake(ctx context.Context) error {
	if err := hs.identifyPeer(); err != nil {
		return err
	}
	if err := hs.sendHello(ctx); err != nil {
		return err
	}
	if err := hs.readAnswer(); err != nil {
		return err
	}
	if err := hs.readWelcome(); err != nil {
		return err
	}
	if err := hs.verifyPeer(); err != nil {
		return err
	}
	return hs.adoptIssued()
}

// identifyPeer reads the peer's identity from its TLS certificate.
func (hs *clientHandshake) identifyPeer() error {
	peer, err := peerIdentity(hs.conn.ConnectionState().TLS)
	if err != nil {
		return fail(codeRefused, err)
	}
	hs.peer = peer
	return nil
}

// sendHello opens the control stream and sends Hello: this member's
// credential, or the password flag for a joiner that has none yet.
func (hs *clientHandshake) sendHello(ctx context.Context) error {
	n := hs.n
	s, err := hs.conn.OpenStreamSync(ctx)
	if err != nil {
		return fail(codeProtocol, fmt.Errorf("open stream to %s: %v: %w", hs.addr, err, peererr.ErrConnectionFailed))
	}
	hs.s = s
	chain, _ := n.e.Chain().MarshalBinary()
	flags := hs.flags | wire.HelloNAT
	if hs.password = n.e.PendingPassword(); hs.password != "" {
		flags |= wire.HelloPassword
	}
	hello := &wire.Hello{Version: wire.Version, Group: n.e.GroupPeerName(), NodeID: n.nodeID, Chain: chain,
		FriendlyName: n.e.Identity().FriendlyName, Addresses: n.Addresses(), Flags: flags}
	s.SetDeadline(time.Now().Add(handshakeTimeout))
	hs.br = bufio.NewReader(s)
	if err := wire.WriteFrame(s, wire.THello, hello.Encode()); err != nil {
		return fail(codeProtocol, fmt.Errorf("hello to %s: %v: %w", hs.addr, err, peererr.ErrConnectionFailed))
	}
	return nil
}

// readAnswer reads the member's answer to Hello; a password joiner
// challenged for its password proves it first (provePassword).
func (hs *clientHandshake) readAnswer() error {
	t, payload, err := wire.ReadFrame(hs.br, 1<<20)
	if err == nil && t == wire.TPasswordChallenge && hs.password != "" {
		t, payload, err = hs.provePassword(payload)
	}
	if err != nil {
		return fail(codeProtocol, fmt.Errorf("handshake with %s: %v: %w", hs.addr, err, peererr.ErrConnectionFailed))
	}
	hs.answer, hs.payload = t, payload
	return nil
}

// provePassword answers the member's PasswordChallenge, once the
// challenge shows a member's credential, with a proof of the password
// bound to this TLS session, and returns the member's final answer.
func (hs *clientHandshake) provePassword(payload []byte) (wire.Type, []byte, error) {
	n := hs.n
	ch, err := wire.DecodePasswordChallenge(payload)
	if err != nil {
		return 0, nil, err
	}
	// Only a member may see a proof.
	if _, err := n.checkMembership(hs.peer, ch.Chain); err != nil {
		return 0, nil, fmt.Errorf("password challenge from a non-member: %w", err)
	}
	params := password.Params{Time: ch.KDFTime, MemoryKiB: ch.KDFMemory, Lanes: ch.KDFLanes}
	if err := params.Check(); err != nil {
		return 0, nil, err
	}
	key, err := sessionKey(hs.conn)
	if err != nil {
		return 0, nil, err
	}
	pk := n.passwordKey(hs.password, ch.Salt, params)
	proof := &wire.PasswordProof{Proof: password.Proof(pk, key, ch.Nonce[:], n.e.Identity().PeerName)}
	hs.s.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := wire.WriteFrame(hs.s, wire.TPasswordProof, proof.Encode()); err != nil {
		return 0, nil, err
	}
	return wire.ReadFrame(hs.br, 1<<20)
}

// readWelcome takes the member's final answer: Welcome, or a refusal
// with the member's reason and HRESULT. A wrong password raises
// AUTHENTICATION_FAILED (once, until the application resumes).
func (hs *clientHandshake) readWelcome() error {
	switch hs.answer {
	case wire.TRefuse:
		r, err := wire.DecodeRefuse(hs.payload)
		if err != nil {
			return fail(codeRefused, fmt.Errorf("%s refused: %w", hs.addr, peererr.ErrConnectionRefused))
		}
		err = fmt.Errorf("%s refused: %s: %w", hs.addr, r.Reason, peererr.FromHR(r.HR))
		if hs.password != "" && r.HR == peererr.ErrNotAuthorized.HR && r.Reason == reasonWrongPassword {
			hs.n.authenticationFailed(err)
		}
		return fail(codeRefused, err)
	case wire.TWelcome:
	default:
		return fail(codeProtocol, fmt.Errorf("handshake with %s: unexpected message %d: %w", hs.addr, hs.answer, peererr.ErrConnectionFailed))
	}
	w, err := wire.DecodeWelcome(hs.payload)
	if err != nil {
		return hs.notMember(err)
	}
	hs.welcome = w
	return nil
}

// verifyPeer checks that Welcome shows a credential of the group for the
// identity of the peer's certificate, and that the peer is not this node.
func (hs *clientHandshake) verifyPeer() error {
	if hs.welcome.NodeID == hs.n.nodeID {
		return hs.notMember(errors.New("connected to itself"))
	}
	chain, err := hs.n.checkMembership(hs.peer, hs.welcome.Chain)
	if err != nil {
		return hs.notMember(err)
	}
	hs.peerChain = chain
	return nil
}

func (hs *clientHandshake) notMember(err error) error {
	hs.n.stats.Refused.Add(1)
	return fail(codeRefused, fmt.Errorf("%s is not a member: %v: %w", hs.addr, err, peererr.ErrConnectionNotAuthenticated))
}

// adoptIssued makes the credential a member issued a password joiner
// this member's own.
func (hs *clientHandshake) adoptIssued() error {
	if hs.password == "" {
		return nil
	}
	issued, err := credential.ParseChain(hs.welcome.Issued)
	if err == nil {
		err = hs.n.e.AdoptChain(issued)
	}
	if err != nil {
		return fail(codeRefused, fmt.Errorf("credential issued by %s: %v: %w", hs.addr, err, peererr.ErrInvalidCredential))
	}
	hs.n.log.Info("joined with the group password", "issuer", hs.peer.PeerName)
	return nil
}

// finish lifts the handshake's deadline, learns the addresses the member
// gave (and this node's own as the member saw it) and makes the
// neighbour.
func (hs *clientHandshake) finish() *neighbor {
	n, w := hs.n, hs.welcome
	hs.s.SetDeadline(time.Time{})
	n.addCandidates(w.Addresses)
	if w.Caps&wire.CapNAT != 0 && !n.isRelayAddr(hs.addr) {
		n.learnReflexive(w.Observed)
	}
	nb := n.newNeighbor(hs.conn, hs.s, hs.peer.PeerName, w.NodeID, true)
	nb.announced = w.Addresses
	nb.validTo = validTo(hs.peerChain)
	nb.natCap = w.Caps&wire.CapNAT != 0
	return nb
}
