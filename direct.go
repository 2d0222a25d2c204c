package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"net/netip"
	"unsafe"

	"p2p/core/group"
	"p2p/core/peererr"
	"p2p/core/service"
)

// Direct connections and the connection list.

//export PeerGroupOpenDirectConnection
func PeerGroupOpenDirectConnection(hGroup uintptr, pwzIdentity uintptr, pAddress uintptr, pullConnectionId uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[uint64](&a, pullConnectionId, "pullConnectionId")
		g := a.group(hGroup)
		peer := a.str(pwzIdentity, maxName)
		addr := a.optAddress(pAddress)
		if a.err != nil {
			return a.err
		}
		id, err := g.OpenDirectConnection(peer, addr)
		if err != nil {
			return err
		}
		*out = id
		return nil
	})
}

//export PeerGroupCloseDirectConnection
func PeerGroupCloseDirectConnection(hGroup uintptr, ullConnectionId C.ULONGLONG) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		g := a.group(hGroup)
		if a.err != nil {
			return a.err
		}
		return g.CloseDirectConnection(uint64(ullConnectionId))
	})
}

//export PeerGroupEnumConnections
func PeerGroupEnumConnections(hGroup uintptr, dwFlags C.DWORD, phPeerEnum uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[uintptr](&a, phPeerEnum, "phPeerEnum")
		g := a.group(hGroup)
		if a.err != nil {
			return a.err
		}
		conns, err := g.Connections(uint32(dwFlags))
		if err != nil {
			return err
		}
		return returnSlice(out, conns, fillConnection)
	})
}

//export PeerGroupSendData
func PeerGroupSendData(hGroup uintptr, ullConnectionId C.ULONGLONG, pType uintptr, cbData C.ULONG, pvData uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		data := ptr[byte](&a, pvData)
		g := a.group(hGroup)
		typ := required[C.GUID](&a, pType, "pType")
		if a.err != nil {
			return a.err
		}
		// Not copied: the message is framed (Local) or encoded (attached)
		// before SendData returns.
		msg, err := cBytes(unsafe.Pointer(data), uint32(cbData), group.MaxData, peererr.ErrInvalidArg)
		if err != nil {
			return err
		}
		return g.SendData(uint64(ullConnectionId), goGUID(typ), msg)
	})
}

// optAddress reads an optional PEER_ADDRESS argument: NULL is the zero
// AddrPort.
func (a *args) optAddress(u uintptr) netip.AddrPort {
	p := ptr[C.PEER_ADDRESS](a, u)
	if a.err != nil || p == nil {
		return netip.AddrPort{}
	}
	addr, err := readAddress(p)
	a.fail(err)
	return addr
}

func fillConnection(b *cbuf, c *group.Connection) unsafe.Pointer {
	p := (*C.PEER_CONNECTION_INFO)(b.take(C.sizeof_PEER_CONNECTION_INFO))
	p.dwSize = C.sizeof_PEER_CONNECTION_INFO
	p.dwFlags = C.DWORD(c.Flags)
	p.ullConnectionId = C.ULONGLONG(c.ConnectionID)
	p.ullNodeId = C.ULONGLONG(c.NodeID)
	p.pwzPeerId = wp(b.optWstr(c.PeerName))
	if c.Address.IsValid() {
		fillAddress(&p.address, c.Address)
	}
	return unsafe.Pointer(p)
}
