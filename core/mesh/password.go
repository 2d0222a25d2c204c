package mesh

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/quic-go/quic-go"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/password"
	"p2p/core/peererr"
	"p2p/core/wire"
)

// Joining with the group password: the joiner says so in its Hello; the
// member answers with its own credential and the verifier's salt and
// costs; the joiner checks that it talks to a member, then sends an HMAC
// of the TLS session's exported key and a fresh nonce under its key of the
// password; the member compares with the verifier and, if they match,
// issues the joiner a credential with the group's password role. Nothing
// that can test a guess offline ever crosses the wire, and wrong guesses
// are rate-limited per source address.

const (
	exporterLabel       = "EXPORTER-p2p-group-password"
	reasonWrongPassword = "wrong password"
	// failureLimit failed password proofs from one address within
	// failureWindow lock that address out for the rest of the window.
	failureLimit  = 5
	failureWindow = time.Minute
)

// failures counts recent wrong passwords per source address.
type failures struct {
	mu sync.Mutex
	m  map[netip.Addr][]time.Time
}

func (f *failures) blocked(a netip.Addr) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.prune(a)) >= failureLimit
}

func (f *failures) add(a netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = make(map[netip.Addr][]time.Time)
	}
	f.m[a] = append(f.prune(a), time.Now())
}

func (f *failures) prune(a netip.Addr) []time.Time {
	ts := f.m[a]
	cut := time.Now().Add(-failureWindow)
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(f.m, a)
	} else {
		f.m[a] = ts
	}
	return ts
}

func sessionKey(conn *quic.Conn) ([]byte, error) {
	st := conn.ConnectionState().TLS
	return st.ExportKeyingMaterial(exporterLabel, nil, 32)
}

// checkPassword runs the member's side: on success it returns the
// credential issued to the joiner, else the code and reason to refuse
// with.
func (n *Node) checkPassword(conn *quic.Conn, s *quic.Stream, br *bufio.Reader, peer *identity.Info, h *wire.Hello) ([]byte, *peererr.Code, string) {
	from := addrPort(conn.RemoteAddr()).Addr()
	if n.pwFailures.blocked(from) {
		return nil, peererr.ErrNotAuthorized, "too many wrong passwords; try again later"
	}
	props := n.e.Properties()
	if props.AuthSchemes&group.AuthPassword == 0 || props.Verifier == nil {
		return nil, peererr.ErrNotAuthorized, "the group does not accept passwords"
	}
	roles := []uuid.UUID{props.PasswordRole}
	mine := n.e.Chain()
	if !mine.Leaf().CanIssue(roles) {
		return nil, peererr.ErrNotAuthorized, "this member cannot issue the password role"
	}
	v := props.Verifier
	ch := &wire.PasswordChallenge{Salt: v.Salt, KDFTime: v.Params.Time, KDFMemory: v.Params.MemoryKiB, KDFLanes: v.Params.Lanes}
	ch.Chain, _ = mine.MarshalBinary()
	rand.Read(ch.Nonce[:])
	if err := wire.WriteFrame(s, wire.TPasswordChallenge, ch.Encode()); err != nil {
		return nil, peererr.ErrConnectionFailed, "write"
	}
	t, payload, err := wire.ReadFrame(br, 256)
	if err != nil || t != wire.TPasswordProof {
		return nil, peererr.ErrConnectionRefused, "expected a password proof"
	}
	proof, err := wire.DecodePasswordProof(payload)
	key, kerr := sessionKey(conn)
	if err != nil || kerr != nil || !v.CheckProof(proof.Proof, key, ch.Nonce[:], peer.PeerName) {
		n.pwFailures.add(from)
		n.stats.Refused.Add(1)
		return nil, peererr.ErrNotAuthorized, reasonWrongPassword
	}
	leaf := mine.Leaf()
	subject := credential.Subject{PeerName: peer.PeerName, FriendlyName: h.FriendlyName, Key: peer.PublicKey}
	chain, err := credential.Issue(credential.Subject{PeerName: n.e.Identity().PeerName, FriendlyName: n.e.Identity().FriendlyName,
		Key: n.e.Identity().PublicKey()}, n.e.Identity().Key, mine, subject, roles, max(filetime.Now(), leaf.NotBefore), leaf.NotAfter)
	if err != nil {
		n.log.Warn("issue password credential", "err", err)
		return nil, peererr.ErrNotAuthorized, "this member cannot issue the credential"
	}
	b, _ := chain.MarshalBinary()
	n.log.Info("admitted a member with the group password", "member", peer.PeerName)
	return b, nil, ""
}

// provePassword runs the joiner's side after the member's challenge and
// returns the member's final answer (Welcome or Refuse).
func (n *Node) provePassword(conn *quic.Conn, s *quic.Stream, br *bufio.Reader, peer *identity.Info, pw string, payload []byte) (wire.Type, []byte, error) {
	ch, err := wire.DecodePasswordChallenge(payload)
	if err != nil {
		return 0, nil, err
	}
	// Only a member may see a proof.
	if _, err := n.checkMembership(peer, ch.Chain); err != nil {
		return 0, nil, fmt.Errorf("password challenge from a non-member: %w", err)
	}
	params := password.Params{Time: ch.KDFTime, MemoryKiB: ch.KDFMemory, Lanes: ch.KDFLanes}
	if err := params.Check(); err != nil {
		return 0, nil, err
	}
	key, err := sessionKey(conn)
	if err != nil {
		return 0, nil, err
	}
	pk := n.passwordKey(pw, ch.Salt, params)
	proof := &wire.PasswordProof{Proof: password.Proof(pk, key, ch.Nonce[:], n.e.Identity().PeerName)}
	s.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := wire.WriteFrame(s, wire.TPasswordProof, proof.Encode()); err != nil {
		return 0, nil, err
	}
	return wire.ReadFrame(br, 1<<20)
}

// passwordKey derives (once per salt) the joiner's key of the password.
func (n *Node) passwordKey(pw string, salt []byte, p password.Params) []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := fmt.Sprintf("%x/%d/%d/%d", salt, p.Time, p.MemoryKiB, p.Lanes)
	if n.pwKeys == nil {
		n.pwKeys = make(map[string][]byte)
	}
	if k, ok := n.pwKeys[id]; ok {
		return k
	}
	k := password.Derive(pw, salt, p)
	n.pwKeys[id] = k
	return k
}

// authenticationFailed raises AUTHENTICATION_FAILED once and stops trying
// the password until the application resumes
// (PeerGroupResumePasswordAuthentication).
func (n *Node) authenticationFailed(err error) {
	n.mu.Lock()
	already := n.authPaused
	n.authPaused = true
	n.mu.Unlock()
	if !already {
		n.log.Warn("password authentication failed", "err", err)
		n.e.Bus().Publish(event.Event{Type: event.AuthenticationFailed, Reason: peererr.HResult(err)})
	}
}

// ResumePasswordAuthentication lets a password joiner try again after
// AUTHENTICATION_FAILED.
func (n *Node) ResumePasswordAuthentication() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.authPaused {
		return errors.New("no password authentication is paused")
	}
	n.authPaused = false
	for _, c := range n.candidates {
		c.next = time.Time{}
	}
	return nil
}
