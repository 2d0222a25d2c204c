package mesh

import (
	"bufio"
	"bytes"
	"errors"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/quic-go/quic-go"

	"p2p/core/event"
	"p2p/core/peererr"
	"p2p/core/wire"
)

// stepEngine is the engine of a node whose handshake steps are run
// alone: the group's name and the event bus; any other call panics.
type stepEngine struct {
	engine
	bus event.Bus
}

func (e *stepEngine) GroupPeerName() string { return "the-group" }
func (e *stepEngine) Bus() *event.Bus       { return &e.bus }

func stepNode() (*Node, *stepEngine) {
	e := &stepEngine{}
	return &Node{e: e, nodeID: 7, log: slog.Default()}, e
}

func frame(t wire.Type, payload []byte) *bufio.Reader {
	var b bytes.Buffer
	wire.WriteFrame(&b, t, payload)
	return bufio.NewReader(&b)
}

// TestServerReadHello: the accepting side refuses a first message that
// is no Hello, a malformed one, another version, another group and its
// own node, each with its HRESULT and reason, and takes a good Hello.
func TestServerReadHello(t *testing.T) {
	n, _ := stepNode()
	hello := func(change func(*wire.Hello)) []byte {
		h := &wire.Hello{Version: wire.Version, Group: "the-group", NodeID: 9}
		change(h)
		return h.Encode()
	}
	for _, c := range []struct {
		name    string
		in      *bufio.Reader
		code    *peererr.Code
		reason  string
		wantErr bool
	}{
		{"not a hello", frame(wire.TWelcome, hello(func(*wire.Hello) {})), peererr.ErrConnectionRefused, "expected hello", true},
		{"nothing", bufio.NewReader(bytes.NewReader(nil)), peererr.ErrConnectionRefused, "expected hello", true},
		{"malformed", frame(wire.THello, []byte{1, 2, 3}), peererr.ErrConnectionRefused, "malformed hello", true},
		{"version", frame(wire.THello, hello(func(h *wire.Hello) { h.Version++ })), peererr.ErrUnsupportedVersion, "protocol version", true},
		{"group", frame(wire.THello, hello(func(h *wire.Hello) { h.Group = "another" })), peererr.ErrInvalidGroup, "not this group", true},
		{"own node", frame(wire.THello, hello(func(h *wire.Hello) { h.NodeID = n.nodeID })), peererr.ErrConnectSelf, "own node", true},
		{"good", frame(wire.THello, hello(func(*wire.Hello) {})), nil, "", false},
	} {
		hs := &serverHandshake{n: n, br: c.in}
		err := hs.readHello()
		if !c.wantErr {
			if err != nil || hs.hello == nil || hs.hello.NodeID != 9 {
				t.Errorf("%s: %v, hello %+v", c.name, err, hs.hello)
			}
			continue
		}
		var r *refusal
		if !errors.As(err, &r) || r.code != c.code || r.reason != c.reason {
			t.Errorf("%s: %v, want a refusal %s %q", c.name, err, c.code, c.reason)
		}
	}
}

// TestClientReadWelcome: the dialling side maps the member's answer: a
// refusal to the member's HRESULT, AUTHENTICATION_FAILED raised once
// for a wrong password and only for a password joiner; an unreadable
// refusal, another message and an unreadable Welcome each to its own
// code; and a Welcome from itself or without a valid credential to
// PEER_E_CONNECTION_NOT_AUTHENTICATED.
func TestClientReadWelcome(t *testing.T) {
	n, e := stepNode()
	failed := e.bus.Subscribe([]event.Filter{{Type: event.AuthenticationFailed}}, nil)
	defer failed.Close()
	a := netip.MustParseAddrPort("192.0.2.1:5000")
	wrongPassword := (&wire.Refuse{HR: peererr.ErrNotAuthorized.HR, Reason: reasonWrongPassword}).Encode()
	check := func(name string, hs *clientHandshake, step func() error, code quic.ApplicationErrorCode, want *peererr.Code) {
		t.Helper()
		var f *stepFailure
		if err := step(); !errors.As(err, &f) || f.code != code || !errors.Is(f.err, want) {
			t.Errorf("%s: %v, want close code %d and %s", name, err, code, want)
		}
	}
	for i := range 2 {
		hs := &clientHandshake{n: n, addr: a, password: "guess", answer: wire.TRefuse, payload: wrongPassword}
		check("wrong password", hs, hs.readWelcome, codeRefused, peererr.ErrNotAuthorized)
		if got := failed.Len(); got != 1 {
			t.Fatalf("after %d wrong passwords: %d AUTHENTICATION_FAILED events, want 1", i+1, got)
		}
	}
	n.authPaused = false
	hs := &clientHandshake{n: n, addr: a, answer: wire.TRefuse, payload: wrongPassword}
	check("a member refused", hs, hs.readWelcome, codeRefused, peererr.ErrNotAuthorized)
	if got := failed.Len(); got != 1 {
		t.Fatalf("a member's refusal raised AUTHENTICATION_FAILED (%d events)", got)
	}
	hs = &clientHandshake{n: n, addr: a, answer: wire.TRefuse, payload: []byte{0xff}}
	check("unreadable refusal", hs, hs.readWelcome, codeRefused, peererr.ErrConnectionRefused)
	hs = &clientHandshake{n: n, addr: a, answer: wire.TRecords}
	check("unexpected message", hs, hs.readWelcome, codeProtocol, peererr.ErrConnectionFailed)

	refused := n.stats.Refused.Load()
	hs = &clientHandshake{n: n, addr: a, answer: wire.TWelcome, payload: []byte{0xff}}
	check("unreadable welcome", hs, hs.readWelcome, codeRefused, peererr.ErrConnectionNotAuthenticated)
	hs = &clientHandshake{n: n, addr: a, welcome: &wire.Welcome{NodeID: n.nodeID}}
	check("itself", hs, hs.verifyPeer, codeRefused, peererr.ErrConnectionNotAuthenticated)
	hs = &clientHandshake{n: n, addr: a, welcome: &wire.Welcome{NodeID: 9, Chain: []byte("no credential")}}
	check("no credential", hs, hs.verifyPeer, codeRefused, peererr.ErrConnectionNotAuthenticated)
	if got := n.stats.Refused.Load() - refused; got != 3 {
		t.Errorf("%d refusals counted, want 3", got)
	}
}
