package mesh

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/core/event"
	"p2p/core/password"
	"p2p/core/peererr"
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
