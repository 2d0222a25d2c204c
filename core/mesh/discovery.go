package mesh

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"net"
	"net/netip"
	"time"
)

// LAN discovery: an online member multicasts a small announcement (a tag
// derived from the group name, its port and node id) on the local
// network, and listens for the announcements of others. An announcement
// is only a hint where to dial; the connection itself must pass the full
// authenticated handshake.

var discoveryGroup = &net.UDPAddr{IP: net.IPv4(239, 255, 80, 50), Port: 25250}

const discoveryMagic = "P2PD1"

func (n *Node) discoveryTag() []byte {
	h := sha256.Sum256([]byte("p2p-lan-discovery\x00" + n.e.GroupPeerName()))
	return h[:16]
}

func (n *Node) announcement() []byte {
	b := append([]byte(discoveryMagic), n.discoveryTag()...)
	la, _ := n.udp.LocalAddr().(*net.UDPAddr)
	port := 0
	if la != nil {
		port = la.Port
	}
	b = binary.BigEndian.AppendUint16(b, uint16(port))
	return binary.BigEndian.AppendUint64(b, n.nodeID)
}

// discoveryLoop announces this member and listens for others until the
// node closes. Networks without multicast simply find nobody this way.
func (n *Node) discoveryLoop() {
	ln, err := net.ListenMulticastUDP("udp4", nil, discoveryGroup)
	if err != nil {
		n.log.Debug("LAN discovery unavailable", "err", err)
		return
	}
	defer ln.Close()
	n.run(func() {
		<-n.ctx.Done()
		ln.Close()
	})
	n.run(func() { n.announceLoop() })
	tag := n.discoveryTag()
	buf := make([]byte, 64)
	for {
		k, src, err := ln.ReadFromUDP(buf)
		if err != nil {
			return
		}
		msg := buf[:k]
		if len(msg) != len(discoveryMagic)+16+2+8 || !bytes.HasPrefix(msg, []byte(discoveryMagic)) {
			continue
		}
		msg = msg[len(discoveryMagic):]
		if !bytes.Equal(msg[:16], tag) || binary.BigEndian.Uint64(msg[18:]) == n.nodeID {
			continue
		}
		ip, ok := netip.AddrFromSlice(src.IP)
		if !ok {
			continue
		}
		n.addCandidates([]netip.AddrPort{netip.AddrPortFrom(ip.Unmap(), binary.BigEndian.Uint16(msg[16:]))})
	}
}

// announceLoop multicasts the announcement every few seconds at first,
// then every 30 s.
func (n *Node) announceLoop() {
	conn, err := net.DialUDP("udp4", nil, discoveryGroup)
	if err != nil {
		return
	}
	defer conn.Close()
	msg := n.announcement()
	for i := 0; ; i++ {
		conn.Write(msg)
		every := 2 * time.Second
		if i > 10 {
			every = 30 * time.Second
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
