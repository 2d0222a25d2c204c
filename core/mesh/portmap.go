package mesh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/jackpal/gateway"
	natpmp "github.com/jackpal/go-nat-pmp"
)

// Port mapping: with Options.PortMapping ($P2P_PORTMAP=1) a member asks
// its gateway to forward a public UDP port to its group socket, through
// NAT-PMP or UPnP-IGD, and publishes the mapped address as a candidate.
// It is off by default because it talks to the gateway (a NAT-PMP request
// to the default route's router, SSDP multicast on the LAN); failures
// are silent and logged at debug level only.

const (
	mapLifetime   = time.Hour
	mapTimeout    = 3 * time.Second
	mapRetryAfter = 5 * time.Minute
	mapName       = "p2p group"
)

// portMapper is one gateway protocol.
type portMapper interface {
	// mapPort maps the gateway's UDP port (internal if free) to internal
	// on this host and returns the public address.
	mapPort(ctx context.Context, internal uint16, lifetime time.Duration) (netip.AddrPort, error)
	// unmapPort removes the mapping.
	unmapPort(ctx context.Context, internal, external uint16) error
	String() string
}

var (
	_ portMapper = (*natPMPMapper)(nil)
	_ portMapper = (*igdMapper)(nil)
)

// portMapLoop keeps a port mapping for the group socket while the node
// is online and removes it when the node closes.
func (n *Node) portMapLoop() {
	la, ok := n.udp.LocalAddr().(*net.UDPAddr)
	if !ok || la.IP.IsLoopback() {
		return
	}
	port := uint16(la.Port)
	var m portMapper
	var ext netip.AddrPort
	for {
		if m == nil {
			m = n.findMapper()
		}
		var err error
		if m != nil {
			ctx, cancel := context.WithTimeout(n.ctx, mapTimeout)
			ext, err = m.mapPort(ctx, port, mapLifetime)
			cancel()
		}
		wait := mapLifetime / 2
		switch {
		case m == nil:
			wait = mapRetryAfter
		case err != nil:
			n.log.Debug("port mapping failed", "gateway", m, "err", err)
			m, ext, wait = nil, netip.AddrPort{}, mapRetryAfter
		default:
			n.log.Debug("port mapped", "gateway", m, "external", ext)
		}
		n.setMapped(ext)
		select {
		case <-n.ctx.Done():
			if m != nil && ext.IsValid() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				if err := m.unmapPort(ctx, port, ext.Port()); err != nil {
					n.log.Debug("port unmapping failed", "gateway", m, "err", err)
				}
				cancel()
			}
			return
		case <-time.After(wait):
		}
	}
}

// findMapper returns the first gateway protocol that answers: NAT-PMP
// (one datagram to the default gateway), then UPnP-IGD (SSDP discovery).
func (n *Node) findMapper() portMapper {
	if gw, err := gateway.DiscoverGateway(); err == nil {
		if ip, ok := netip.AddrFromSlice(gw); ok && ip.Unmap().Is4() {
			m := &natPMPMapper{c: natpmp.NewClientWithTimeout(gw, mapTimeout), gw: ip.Unmap()}
			if _, err := m.c.GetExternalAddress(); err == nil {
				return m
			} else {
				n.log.Debug("no NAT-PMP gateway", "gateway", ip, "err", err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(n.ctx, mapTimeout)
	defer cancel()
	if m := discoverIGD(ctx); m != nil {
		return m
	}
	n.log.Debug("no UPnP-IGD gateway")
	return nil
}

// natPMPMapper maps through NAT-PMP (RFC 6886).
type natPMPMapper struct {
	c  *natpmp.Client
	gw netip.Addr
}

func (m *natPMPMapper) String() string { return "NAT-PMP " + m.gw.String() }

func (m *natPMPMapper) mapPort(_ context.Context, internal uint16, lifetime time.Duration) (netip.AddrPort, error) {
	ext, err := m.c.GetExternalAddress()
	if err != nil {
		return netip.AddrPort{}, err
	}
	r, err := m.c.AddPortMapping("udp", int(internal), int(internal), int(lifetime/time.Second))
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(netip.AddrFrom4(ext.ExternalIPAddress), r.MappedExternalPort), nil
}

func (m *natPMPMapper) unmapPort(_ context.Context, internal, _ uint16) error {
	_, err := m.c.AddPortMapping("udp", int(internal), 0, 0)
	return err
}

// igdClient is what the WANIPConnection and WANPPPConnection services of
// internetgateway2 share.
type igdClient interface {
	AddPortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string,
		internalPort uint16, internalClient string, enabled bool, description string, lease uint32) error
	DeletePortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string) error
	GetExternalIPAddressCtx(ctx context.Context) (string, error)
	LocalAddr() net.IP
}

var (
	_ igdClient = (*internetgateway2.WANIPConnection2)(nil)
	_ igdClient = (*internetgateway2.WANIPConnection1)(nil)
	_ igdClient = (*internetgateway2.WANPPPConnection1)(nil)
)

// igdMapper maps through a UPnP Internet Gateway Device.
type igdMapper struct{ c igdClient }

func (m *igdMapper) String() string { return "UPnP-IGD" }

func discoverIGD(ctx context.Context) *igdMapper {
	if cs, _, err := internetgateway2.NewWANIPConnection2ClientsCtx(ctx); err == nil && len(cs) > 0 {
		return &igdMapper{cs[0]}
	}
	if cs, _, err := internetgateway2.NewWANIPConnection1ClientsCtx(ctx); err == nil && len(cs) > 0 {
		return &igdMapper{cs[0]}
	}
	if cs, _, err := internetgateway2.NewWANPPPConnection1ClientsCtx(ctx); err == nil && len(cs) > 0 {
		return &igdMapper{cs[0]}
	}
	return nil
}

func (m *igdMapper) mapPort(ctx context.Context, internal uint16, lifetime time.Duration) (netip.AddrPort, error) {
	local := m.c.LocalAddr()
	if local == nil {
		return netip.AddrPort{}, errors.New("no local address toward the gateway")
	}
	s, err := m.c.GetExternalIPAddressCtx(ctx)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("external address %q: %v", s, err)
	}
	if err := m.c.AddPortMappingCtx(ctx, "", internal, "UDP", internal, local.String(), true, mapName,
		uint32(lifetime/time.Second)); err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip.Unmap(), internal), nil
}

func (m *igdMapper) unmapPort(ctx context.Context, _, external uint16) error {
	return m.c.DeletePortMappingCtx(ctx, "", external, "UDP")
}
