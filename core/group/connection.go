package group

import "net/netip"

// Connection flags, as PEER_CONNECTION_FLAGS, and this library's
// ConnectionRelayed.
const (
	ConnectionNeighbor uint32 = 0x1
	ConnectionDirect   uint32 = 0x2
	// ConnectionRelayed marks a direct connection that runs through a
	// relay member; Address is then the relay's address it uses.
	ConnectionRelayed uint32 = 0x4
)

// Connection is one PEER_CONNECTION_INFO: a neighbour or direct
// connection of this member. Address is the address the connection
// uses: the member's own, or for a relayed one the relay's.
type Connection struct {
	Flags        uint32
	ConnectionID uint64
	NodeID       uint64
	PeerName     string
	Address      netip.AddrPort
	Relay        string // peer name of the relay member, if relayed
}

// MaxData is the largest message PeerGroupSendData sends: 1 MiB. Larger
// data must be split by the application.
const MaxData = 1 << 20
