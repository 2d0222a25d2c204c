//go:build linux

package cabi

import (
	"encoding/binary"
	"testing"
	"time"
	"unsafe"
)

// peerMember is the part of a PEER_MEMBER the network test reads.
type peerMember struct {
	identity string
	flags    uint32
	addrs    []PeerAddress
}

func (c *client) members(g Handle, flags uint32, identity WStr) []peerMember {
	c.Helper()
	var e Handle
	c.ok(c.lib.PeerGroupEnumMembers(g, flags, identity, &e), "PeerGroupEnumMembers")
	var out []peerMember
	c.items(e, func(it unsafe.Pointer) {
		m := (*PeerMember)(it)
		c.check(m.Size == 56 && m.CredentialInfo != nil && m.CredentialInfo.Size == 72, "PEER_MEMBER sizes %d", m.Size)
		out = append(out, peerMember{identity: str(m.Identity), flags: m.Flags,
			addrs: append([]PeerAddress(nil), unsafe.Slice(m.Addresses, m.AddressCount)...)})
	})
	return out
}

// connection is the part of a PEER_CONNECTION_INFO the network test reads.
type connection struct {
	flags uint32
	id    uint64
	peer  string
}

func (c *client) connections(g Handle, flags uint32) []connection {
	c.Helper()
	var e Handle
	c.ok(c.lib.PeerGroupEnumConnections(g, flags, &e), "PeerGroupEnumConnections")
	var out []connection
	c.items(e, func(it unsafe.Pointer) {
		ci := (*PeerConnectionInfo)(it)
		c.check(ci.Size == 64, "PEER_CONNECTION_INFO.dwSize %d", ci.Size)
		out = append(out, connection{flags: ci.Flags, id: ci.ConnectionID, peer: str(ci.PeerID)})
	})
	return out
}

// ready reports whether a member may publish: peer-time conversion answers
// PEER_E_GROUP_NOT_READY until its first synchronisation.
func (c *client) ready(g Handle) bool {
	u := filetime(time.Now())
	var pt FileTime
	return c.lib.PeerGroupUniversalTimeToPeerTime(g, &u, &pt) == sOK
}

// registerAll registers every event type of interest on a new eventfd.
func (c *client) registerAll(g Handle) (Handle, eventFD) {
	c.Helper()
	fd := c.eventfd()
	types := []int32{evStatusChanged, evDirectConnection, evNeighborConnection, evIncomingData, evMemberChanged}
	regs := cnew[[5]PeerGroupEventRegistration](c)[:]
	for i, typ := range types {
		regs[i].EventType = typ
	}
	var he Handle
	c.ok(c.lib.PeerGroupRegisterEvent(g, Handle(fd), uint32(len(types)), &regs[0], &he), "PeerGroupRegisterEvent")
	return he, fd
}

// TestNetworkCalls: PeerGroupConnect, PeerGroupConnectByAddress,
// PeerGroupEnumMembers, PeerGroupEnumConnections,
// PeerGroupOpenDirectConnection, PeerGroupSendData and
// PeerGroupCloseDirectConnection, with three members of one group in this
// process talking over loopback.
func TestNetworkCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		alice := c.identity("alice", "Alice")
		bob := c.identity("bob", "Bob")
		carol := c.identity("carol", "Carol")
		g, _ := c.group(alice, "net", "Network")
		heA, fdA := c.registerAll(g)

		// Before connecting: no connections; alice is a member, not present.
		c.check(len(c.connections(g, connNeighbor|connDirect)) == 0, "connections of an offline group")
		ms := c.members(g, 0, nil)
		c.check(len(ms) == 1 && ms[0].identity == alice && ms[0].flags&memberPresent == 0, "offline members %+v", ms)
		c.check(len(c.members(g, memberPresent, nil)) == 0, "present members of an offline group")
		var e Handle
		c.expect(l.PeerGroupEnumConnections(g, 0x10, &e), eInvalidArg, "PeerGroupEnumConnections(flags 0x10)")
		c.expect(l.PeerGroupEnumConnections(g, connNeighbor, nil), eInvalidArg, "PeerGroupEnumConnections(..., NULL)")
		c.expect(l.PeerGroupEnumMembers(g, 0, nil, nil), eInvalidArg, "PeerGroupEnumMembers(..., NULL)")

		// PeerGroupConnect: listening; a second call is PEER_S_ALREADY_CONNECTED.
		c.ok(l.PeerGroupConnect(g), "PeerGroupConnect(alice)")
		c.waitEvent(heA, fdA, 20*time.Second, "STATUS_CHANGED with LISTENING", func(e event) bool {
			return e.typ == evStatusChanged && e.status&statusListening != 0
		})
		var status uint32
		c.ok(l.PeerGroupGetStatus(g, &status), "PeerGroupGetStatus")
		c.check(status&statusListening != 0, "status %#x after connect, want LISTENING", status)
		c.expect(l.PeerGroupConnect(g), peerSAlreadyConnected, "PeerGroupConnect again")
		var self []peerMember
		c.check(eventually(10*time.Second, func() bool {
			self = c.members(g, memberPresent, c.w(alice))
			return len(self) == 1 && len(self[0].addrs) > 0
		}), "alice is not present with an address: %+v", self)
		addr := self[0].addrs[0]
		c.check(addr.Size == 32 && addr.Sin6.Port != 0, "alice's address: size %d port %d", addr.Size, addr.Sin6.Port)

		// Bob joins and connects; a neighbour connection forms.
		var p, inv WStr
		c.ok(l.PeerIdentityGetXML(c.w(bob), &p), "PeerIdentityGetXML(bob)")
		c.ok(l.PeerGroupCreateInvitation(g, p, nil, 0, nil, &inv), "PeerGroupCreateInvitation(bob)")
		l.PeerFreeData(unsafe.Pointer(p))
		var gb Handle
		c.ok(l.PeerGroupJoin(c.w(bob), inv, nil, &gb), "PeerGroupJoin(bob)")
		l.PeerFreeData(unsafe.Pointer(inv))
		heB, fdB := c.registerAll(gb)
		c.ok(l.PeerGroupConnect(gb), "PeerGroupConnect(bob)")
		c.check(eventually(30*time.Second, func() bool { return c.ready(gb) }), "bob's group did not become ready")
		c.waitEvent(heB, fdB, 20*time.Second, "STATUS_CHANGED with HAS_CONNECTIONS", func(e event) bool {
			return e.typ == evStatusChanged && e.status&statusHasConnections != 0
		})
		var neighbours []connection
		c.check(eventually(10*time.Second, func() bool {
			neighbours = c.connections(gb, connNeighbor)
			return len(neighbours) > 0
		}), "bob has no neighbour connection")
		c.check(neighbours[0].flags&connNeighbor != 0 && neighbours[0].id != 0, "bob's neighbour %+v", neighbours[0])
		c.check(eventually(10*time.Second, func() bool { return len(c.members(g, memberPresent, nil)) == 2 }),
			"alice does not see two present members: %+v", c.members(g, memberPresent, nil))

		// A direct connection from alice to bob, data both ways, then close.
		var conn uint64
		c.expect(l.PeerGroupOpenDirectConnection(g, c.w(alice), nil, &conn), peerEConnectSelf, "PeerGroupOpenDirectConnection to oneself")
		c.expect(l.PeerGroupOpenDirectConnection(g, c.w(bob), nil, nil), eInvalidArg, "PeerGroupOpenDirectConnection(..., NULL)")
		c.ok(l.PeerGroupOpenDirectConnection(g, c.w(bob), nil, &conn), "PeerGroupOpenDirectConnection(alice -> bob)")
		c.check(conn != 0, "no connection id")
		ev := c.waitEvent(heA, fdA, 20*time.Second, "alice's DIRECT_CONNECTION", func(e event) bool {
			return e.typ == evDirectConnection && e.connectionID == conn
		})
		c.check(ev.connStatus == peerConnected, "alice's direct connection status %d", ev.connStatus)
		ev = c.waitEvent(heB, fdB, 20*time.Second, "bob's DIRECT_CONNECTION", func(e event) bool {
			return e.typ == evDirectConnection && e.connStatus == peerConnected
		})
		bobConn := ev.connectionID
		direct := c.connections(g, connDirect)
		c.check(len(direct) == 1 && direct[0].id == conn && direct[0].flags&connDirect != 0 && direct[0].peer == bob,
			"alice's direct connections %+v", direct)

		payload := []byte("ping \x00 with a NUL and ü")
		c.ok(l.PeerGroupSendData(g, conn, c.guidPtr(typeA), uint32(len(payload)), c.cbytes(payload)), "PeerGroupSendData(alice -> bob)")
		ev = c.waitEvent(heB, fdB, 20*time.Second, "bob's INCOMING_DATA", func(e event) bool { return e.typ == evIncomingData })
		c.check(ev.data == string(payload) && ev.dataType == typeA && ev.connectionID == bobConn,
			"bob received %q of type %v on %d", ev.data, ev.dataType, ev.connectionID)
		c.ok(l.PeerGroupSendData(gb, bobConn, c.guidPtr(typeB), 4, c.cbytes([]byte("pong"))), "PeerGroupSendData(bob -> alice)")
		ev = c.waitEvent(heA, fdA, 20*time.Second, "alice's INCOMING_DATA", func(e event) bool { return e.typ == evIncomingData })
		c.check(ev.data == "pong" && ev.dataType == typeB && ev.connectionID == conn, "alice received %q on %d", ev.data, ev.connectionID)
		c.expect(l.PeerGroupSendData(g, conn, nil, 4, c.cbytes([]byte("pong"))), eInvalidArg, "PeerGroupSendData with a NULL type")
		c.expect(l.PeerGroupSendData(g, conn, c.guidPtr(typeA), 4, nil), eInvalidArg, "PeerGroupSendData: 4 bytes at NULL")
		// Data at an address the process does not own faults while it is
		// framed, small (written to the stream at once) or large (queued):
		// E_POINTER, and the connection stays usable.
		for _, size := range []uint32{16, 65536} {
			c.expect(l.PeerGroupSendData(g, conn, c.guidPtr(typeA), size, Unmapped()), ePointer, "PeerGroupSendData of unmapped memory")
		}
		c.ok(l.PeerGroupSendData(g, conn, c.guidPtr(typeA), 5, c.cbytes([]byte("again"))), "PeerGroupSendData after a fault")
		ev = c.waitEvent(heB, fdB, 20*time.Second, "bob's INCOMING_DATA after alice's fault", func(e event) bool {
			return e.typ == evIncomingData && e.data == "again"
		})

		c.ok(l.PeerGroupCloseDirectConnection(g, conn), "PeerGroupCloseDirectConnection")
		ev = c.waitEvent(heB, fdB, 20*time.Second, "bob's DIRECT_CONNECTION DISCONNECTED", func(e event) bool {
			return e.typ == evDirectConnection && e.connectionID == bobConn && e.connStatus == peerDisconnected
		})
		c.expect(l.PeerGroupSendData(g, conn, c.guidPtr(typeA), 1, c.cbytes([]byte("x"))), peerEConnectionNF, "PeerGroupSendData after close")
		c.expect(l.PeerGroupCloseDirectConnection(g, conn), peerEConnectionNF, "PeerGroupCloseDirectConnection twice")
		c.expect(l.PeerGroupCloseDirectConnection(g, 0x7777), peerEConnectionNF, "PeerGroupCloseDirectConnection(unknown id)")
		c.check(len(c.connections(g, connDirect)) == 0, "direct connections after close")

		// Carol joins and reaches alice by address: the address alice
		// publishes (native AF_INET6), and loopback with Windows' AF_INET6 (23).
		c.ok(l.PeerIdentityGetXML(c.w(carol), &p), "PeerIdentityGetXML(carol)")
		c.ok(l.PeerGroupCreateInvitation(g, p, nil, 0, nil, &inv), "PeerGroupCreateInvitation(carol)")
		l.PeerFreeData(unsafe.Pointer(p))
		var gc Handle
		c.ok(l.PeerGroupJoin(c.w(carol), inv, nil, &gc), "PeerGroupJoin(carol)")
		l.PeerFreeData(unsafe.Pointer(inv))
		addrs := cnew[[2]PeerAddress](c)
		addrs[0] = addr
		addrs[1] = PeerAddress{Size: 32, Sin6: SockaddrIn6{Family: 23, Port: addr.Sin6.Port}}
		copy(addrs[1].Sin6.Addr[10:], []byte{0xff, 0xff, 127, 0, 0, 1})
		bad := cnew[PeerAddress](c)
		*bad = addrs[1]
		bad.Sin6.Family = 2
		c.expect(l.PeerGroupConnectByAddress(gc, 1, bad), peerEInvalidAddress, "PeerGroupConnectByAddress(AF_INET)")
		*bad = addrs[1]
		bad.Sin6.Port = 0
		c.expect(l.PeerGroupConnectByAddress(gc, 1, bad), peerEInvalidAddress, "PeerGroupConnectByAddress(port 0)")
		bad.Size = 8
		c.expect(l.PeerGroupConnectByAddress(gc, 1, bad), eInvalidArg, "PeerGroupConnectByAddress(dwSize 8)")
		c.expect(l.PeerGroupConnectByAddress(gc, 0, &addrs[0]), eInvalidArg, "PeerGroupConnectByAddress(0 addresses)")
		c.expect(l.PeerGroupConnectByAddress(gc, 1, nil), eInvalidArg, "PeerGroupConnectByAddress(1, NULL)")
		c.ok(l.PeerGroupConnectByAddress(gc, 2, &addrs[0]), "PeerGroupConnectByAddress(carol -> alice)")
		c.check(eventually(30*time.Second, func() bool { return c.ready(gc) }), "carol's group did not become ready")
		c.check(eventually(10*time.Second, func() bool { return len(c.members(g, memberPresent, nil)) == 3 }),
			"alice does not see three present members")
		c.expect(l.PeerGroupConnectByAddress(gc, 1, &addrs[1]), peerSAlreadyConnected, "PeerGroupConnectByAddress again")
		t.Logf("alice's published address: family %d port %d; loopback with family 23 also accepted",
			addr.Sin6.Family, binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&addr.Sin6.Port))[:]))

		// Every network call refuses a bad HGROUP.
		c.ok(l.PeerGroupClose(gc), "PeerGroupClose(carol)")
		for _, h := range []Handle{0, 0xdeadbeef, gc, heA} {
			c.expect(l.PeerGroupConnect(h), eHandle, "PeerGroupConnect(bad)")
			c.expect(l.PeerGroupConnectByAddress(h, 1, &addrs[0]), eHandle, "PeerGroupConnectByAddress(bad)")
			c.expect(l.PeerGroupEnumMembers(h, 0, nil, &e), eHandle, "PeerGroupEnumMembers(bad)")
			c.expect(l.PeerGroupEnumConnections(h, connDirect, &e), eHandle, "PeerGroupEnumConnections(bad)")
			c.expect(l.PeerGroupOpenDirectConnection(h, c.w(bob), nil, &conn), eHandle, "PeerGroupOpenDirectConnection(bad)")
			c.expect(l.PeerGroupCloseDirectConnection(h, conn), eHandle, "PeerGroupCloseDirectConnection(bad)")
			c.expect(l.PeerGroupSendData(h, conn, c.guidPtr(typeA), 1, c.cbytes([]byte("x"))), eHandle, "PeerGroupSendData(bad)")
		}
		c.ok(l.PeerGroupClose(gb), "PeerGroupClose(bob)")
		c.ok(l.PeerGroupClose(g), "PeerGroupClose(alice)")
	})
}
