package mesh

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	natpmp "github.com/jackpal/go-nat-pmp"

	"p2p/core/group"
)

// TestNATPMPMapper: against a fake NAT-PMP gateway on 127.0.0.1, the
// mapper asks for the socket's port, returns the public address the
// gateway grants, and removes the mapping (lifetime 0); the mapped
// address becomes the node's first candidate. (Not another loopback
// address: under Wine 8 a connected UDP socket, as the NAT-PMP client
// uses, never receives the answers of 127.0.0.51.)
func TestNATPMPMapper(t *testing.T) {
	gw := netip.MustParseAddr("127.0.0.1")
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(gw, 5351)))
	if err != nil {
		t.Skipf("cannot play a NAT-PMP gateway on %s:5351: %v", gw, err)
	}
	defer conn.Close()
	public := netip.MustParseAddr("203.0.113.7")
	lifetimes := make(chan uint32, 8)
	go func() {
		buf := make([]byte, 64)
		for {
			k, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			req := buf[:k]
			switch {
			case k == 2 && req[1] == 0: // external address
				resp := []byte{0, 128, 0, 0, 0, 0, 0, 1}
				resp = append(resp, public.AsSlice()...)
				conn.WriteToUDP(resp, from)
			case k == 12 && req[1] == 1: // map UDP
				internal := binary.BigEndian.Uint16(req[4:6])
				life := binary.BigEndian.Uint32(req[8:12])
				lifetimes <- life
				resp := []byte{0, 129, 0, 0, 0, 0, 0, 1}
				resp = binary.BigEndian.AppendUint16(resp, internal)
				resp = binary.BigEndian.AppendUint16(resp, internal+1000)
				resp = binary.BigEndian.AppendUint32(resp, life)
				conn.WriteToUDP(resp, from)
			}
		}
	}()
	m := &natPMPMapper{c: natpmp.NewClientWithTimeout(gw.AsSlice(), 2*time.Second), gw: gw}
	ext, err := m.mapPort(context.Background(), 4000, time.Hour)
	if want := netip.AddrPortFrom(public, 5000); err != nil || ext != want {
		t.Fatalf("mapped %v (%v), want %v", ext, err, want)
	}
	if life := <-lifetimes; life != 3600 {
		t.Fatalf("asked for %d s", life)
	}
	if err := m.unmapPort(context.Background(), 4000, 5000); err != nil {
		t.Fatal(err)
	}
	if life := <-lifetimes; life != 0 {
		t.Fatalf("removal asked for %d s, want 0", life)
	}

	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	n := &Node{udp: udp, cands: newCandidateSet()}
	n.setMapped(ext)
	if c := n.Candidates(); len(c) < 2 || c[0] != (Candidate{Addr: ext, Kind: group.CandidateMapped}) || c[1].Kind != group.CandidateHost {
		t.Fatalf("candidates %v", c)
	}
	select {
	case <-n.cands.changed:
	default:
		t.Fatal("a new mapping did not ask for a new presence record")
	}
}
