package mesh

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/quic-go/quic-go"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/wire"
)

// The neighbour handshake, accepting side. Nothing about the group is
// sent before the peer proved membership: the member takes the control
// stream the dialler opens, reads its Hello, checks its credential (or,
// for a password joiner, challenges it for a proof of the password and
// issues it a credential) and only then answers Welcome. A peer that
// fails a step is told why in a Refuse message where a stream is open,
// and the connection is closed. Each step is one method of
// serverHandshake, run in order by handshake.

// serverHandshake is the state of one accepted handshake.
type serverHandshake struct {
	n    *Node
	conn *quic.Conn

	peer      *identity.Info // the identity of the peer's TLS certificate
	s         *quic.Stream   // the control stream, once accepted
	br        *bufio.Reader  // reads s; the neighbour's reader takes it over
	hello     *wire.Hello
	issued    []byte           // the credential issued to a password joiner
	peerChain credential.Chain // the peer's verified (or issued) credential
}

// refusal is a handshake step's verdict against the peer: the HRESULT
// and reason the member refuses it with.
type refusal struct {
	code   *peererr.Code
	reason string
}

func (r *refusal) Error() string { return r.reason }

func refuse(code *peererr.Code, reason string) error { return &refusal{code, reason} }

// errHandshakeBroken is a step that failed on the connection itself: it
// is closed without a word.
var errHandshakeBroken = errors.New("handshake connection broken")

// accept runs the server side of the handshake for an inbound connection
// and starts the neighbour (or, for a direct-only connection, the link).
func (n *Node) accept(conn *quic.Conn) {
	ctx, cancel := context.WithTimeout(n.ctx, handshakeTimeout)
	defer cancel()
	hs := &serverHandshake{n: n, conn: conn}
	if err := hs.handshake(ctx); err != nil {
		var r *refusal
		if errors.As(err, &r) {
			hs.refuse(r)
		} else {
			conn.CloseWithError(codeProtocol, "")
		}
		return
	}
	nb := hs.finish()
	if nb.directOnly {
		if !n.addLink(nb) {
			conn.CloseWithError(codeBusy, "")
		}
		return
	}
	if err := n.startNeighbor(nb, hs.br); err != nil {
		n.log.Debug("inbound neighbour dropped", "err", err)
	}
}

// handshake runs the steps; each fails with a *refusal or
// errHandshakeBroken.
func (hs *serverHandshake) handshake(ctx context.Context) error {
	if err := hs.identifyPeer(); err != nil {
		return err
	}
	if err := hs.acceptStream(ctx); err != nil {
		return err
	}
	if err := hs.readHello(); err != nil {
		return err
	}
	if err := hs.verifyPeer(); err != nil {
		return err
	}
	return hs.sendWelcome()
}

// identifyPeer reads the peer's identity from its TLS certificate.
func (hs *serverHandshake) identifyPeer() error {
	peer, err := peerIdentity(hs.conn.ConnectionState().TLS)
	if err != nil {
		return refuse(peererr.ErrConnectionNotAuthenticated, "no identity certificate")
	}
	hs.peer = peer
	return nil
}

// acceptStream waits for the control stream the dialler opens.
func (hs *serverHandshake) acceptStream(ctx context.Context) error {
	s, err := hs.conn.AcceptStream(ctx)
	if err != nil {
		return errHandshakeBroken
	}
	hs.s = s
	s.SetDeadline(time.Now().Add(handshakeTimeout))
	hs.br = bufio.NewReader(s)
	return nil
}

// readHello reads the dialler's Hello and checks that it speaks this
// version, for this group, and is not this node.
func (hs *serverHandshake) readHello() error {
	t, payload, err := wire.ReadFrame(hs.br, 1<<20)
	if err != nil || t != wire.THello {
		return refuse(peererr.ErrConnectionRefused, "expected hello")
	}
	h, err := wire.DecodeHello(payload)
	switch {
	case err != nil:
		return refuse(peererr.ErrConnectionRefused, "malformed hello")
	case h.Version != wire.Version:
		return refuse(peererr.ErrUnsupportedVersion, "protocol version")
	case h.Group != hs.n.e.GroupPeerName():
		return refuse(peererr.ErrInvalidGroup, "not this group")
	case h.NodeID == hs.n.nodeID:
		return refuse(peererr.ErrConnectSelf, "own node")
	}
	hs.hello = h
	return nil
}

// verifyPeer checks that Hello shows a credential of the group for the
// identity of the peer's certificate, or, for a password joiner, that it
// knows the password (checkPassword).
func (hs *serverHandshake) verifyPeer() error {
	if hs.hello.Flags&wire.HelloPassword != 0 {
		if err := hs.checkPassword(); err != nil {
			return err
		}
		hs.peerChain, _ = credential.ParseChain(hs.issued)
		return nil
	}
	chain, err := hs.n.checkMembership(hs.peer, hs.hello.Chain)
	if err != nil {
		return refuse(peererr.ErrNotAuthorized, "not a member")
	}
	hs.peerChain = chain
	return nil
}

// checkPassword challenges a password joiner for a proof of the password
// bound to this TLS session, compares it with the group's verifier and,
// if it matches, issues the joiner a credential with the group's
// password role. Wrong proofs count against the source address.
func (hs *serverHandshake) checkPassword() error {
	n := hs.n
	from := addrPort(hs.conn.RemoteAddr()).Addr()
	if n.pwFailures.blocked(from) {
		return refuse(peererr.ErrNotAuthorized, "too many wrong passwords; try again later")
	}
	props := n.e.Properties()
	if props.AuthSchemes&group.AuthPassword == 0 || props.Verifier == nil {
		return refuse(peererr.ErrNotAuthorized, "the group does not accept passwords")
	}
	roles := []uuid.UUID{props.PasswordRole}
	mine := n.e.Chain()
	if !mine.Leaf().CanIssue(roles) {
		return refuse(peererr.ErrNotAuthorized, "this member cannot issue the password role")
	}
	v := props.Verifier
	ch := &wire.PasswordChallenge{Salt: v.Salt, KDFTime: v.Params.Time, KDFMemory: v.Params.MemoryKiB, KDFLanes: v.Params.Lanes}
	ch.Chain, _ = mine.MarshalBinary()
	rand.Read(ch.Nonce[:])
	if err := wire.WriteFrame(hs.s, wire.TPasswordChallenge, ch.Encode()); err != nil {
		return refuse(peererr.ErrConnectionFailed, "write")
	}
	t, payload, err := wire.ReadFrame(hs.br, 256)
	if err != nil || t != wire.TPasswordProof {
		return refuse(peererr.ErrConnectionRefused, "expected a password proof")
	}
	proof, err := wire.DecodePasswordProof(payload)
	key, kerr := sessionKey(hs.conn)
	if err != nil || kerr != nil || !v.CheckProof(proof.Proof, key, ch.Nonce[:], hs.peer.PeerName) {
		n.pwFailures.add(from)
		n.stats.Refused.Add(1)
		return refuse(peererr.ErrNotAuthorized, reasonWrongPassword)
	}
	leaf := mine.Leaf()
	id := n.e.Identity()
	subject := credential.Subject{PeerName: hs.peer.PeerName, FriendlyName: hs.hello.FriendlyName, Key: hs.peer.PublicKey}
	chain, err := credential.Issue(credential.Subject{PeerName: id.PeerName, FriendlyName: id.FriendlyName, Key: id.PublicKey()},
		id.Key, mine, subject, roles, max(filetime.Now(), leaf.NotBefore), leaf.NotAfter)
	if err != nil {
		n.log.Warn("issue password credential", "err", err)
		return refuse(peererr.ErrNotAuthorized, "this member cannot issue the credential")
	}
	hs.issued, _ = chain.MarshalBinary()
	n.log.Info("admitted a member with the group password", "member", hs.peer.PeerName)
	return nil
}

// sendWelcome answers the proven member: this member's credential, its
// addresses, the credential issued to a password joiner and, to a peer
// that speaks the NAT messages, the address the connection came from.
func (hs *serverHandshake) sendWelcome() error {
	n := hs.n
	chain, _ := n.e.Chain().MarshalBinary()
	w := &wire.Welcome{NodeID: n.nodeID, Chain: chain, FriendlyName: n.e.Identity().FriendlyName,
		Addresses: n.Addresses(), Issued: hs.issued}
	if hs.hello.Flags&wire.HelloNAT != 0 {
		w.Observed, w.Caps = addrPort(hs.conn.RemoteAddr()), wire.CapNAT
	}
	if err := wire.WriteFrame(hs.s, wire.TWelcome, w.Encode()); err != nil {
		return errHandshakeBroken
	}
	return nil
}

// refuse tells the peer why it is refused, where a stream is open, and
// closes the connection.
func (hs *serverHandshake) refuse(r *refusal) {
	n, conn := hs.n, hs.conn
	n.stats.Refused.Add(1)
	n.log.Info("refused connection", "from", conn.RemoteAddr(), "reason", r.reason)
	if hs.s != nil {
		wire.WriteFrame(hs.s, wire.TRefuse, (&wire.Refuse{HR: r.code.HR, Reason: r.reason}).Encode())
		hs.s.Close()
		// The dialler closes once it has read the refusal; closing
		// first could discard it.
		select {
		case <-conn.Context().Done():
		case <-time.After(2 * time.Second):
		case <-n.ctx.Done():
		}
	}
	conn.CloseWithError(codeRefused, "")
}

// finish lifts the handshake's deadline, learns the addresses the peer
// gave and makes the neighbour.
func (hs *serverHandshake) finish() *neighbor {
	n, h := hs.n, hs.hello
	hs.s.SetDeadline(time.Time{})
	n.addCandidates(h.Addresses)
	nb := n.newNeighbor(hs.conn, hs.s, hs.peer.PeerName, h.NodeID, false)
	nb.announced = h.Addresses
	nb.validTo = validTo(hs.peerChain)
	nb.natCap = h.Flags&wire.HelloNAT != 0
	nb.directOnly = h.Flags&wire.HelloDirectOnly != 0
	return nb
}
