package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"p2p/core/event"
	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/handles"
)

// Events: registrations (HPEEREVENT) and their queues.

//export PeerGroupRegisterEvent
func PeerGroupRegisterEvent(hGroup uintptr, hEvent uintptr, cEventRegistration C.DWORD, pEventRegistrations uintptr, phPeerEvent uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[uintptr](&a, phPeerEvent, "phPeerEvent")
		g := a.openGroup(hGroup)
		filters := a.filters(pEventRegistrations, uint32(cEventRegistration))
		if a.err != nil {
			return a.err
		}
		sig, err := event.NewHandleSignaler(hEvent)
		if err != nil {
			return err
		}
		reg, err := g.Subscribe(filters, sig)
		if err != nil {
			if c, ok := sig.(interface{ Close() error }); ok {
				c.Close() // the Win32 handle's duplicate
			}
			return err
		}
		return returnHandle(out, handles.Event, reg, reg.Close)
	})
}

//export PeerGroupUnregisterEvent
func PeerGroupUnregisterEvent(hPeerEvent uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		v, err := table.Remove(uint64(hPeerEvent), handles.Event)
		if err != nil {
			return fmt.Errorf("event handle: %w", peererr.ErrEventHandleNotFound)
		}
		v.(*service.Registration).Close()
		return nil
	})
}

//export PeerGroupGetEventData
func PeerGroupGetEventData(hPeerEvent uintptr, ppEventData uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppEventData, "ppEventData")
		reg := a.event(hPeerEvent)
		if a.err != nil {
			return a.err
		}
		e, ok := reg.Next()
		if !ok {
			return peererr.SNoEventData
		}
		err := returnBlock(out, func(b *cbuf) unsafe.Pointer { return fillEvent(b, &e) })
		e.Release() // copied into C memory: its data buffer may be reused
		return err
	})
}

// maxRegistrations bounds one PeerGroupRegisterEvent call.
const maxRegistrations = 64

// filters reads an array of n PEER_GROUP_EVENT_REGISTRATIONs.
func (a *args) filters(u uintptr, n uint32) []event.Filter {
	p := ptr[C.PEER_GROUP_EVENT_REGISTRATION](a, u)
	if a.err != nil {
		return nil
	}
	if n == 0 || n > maxRegistrations || p == nil {
		a.fail(fmt.Errorf("%d event registrations: %w", n, peererr.ErrInvalidArg))
		return nil
	}
	var filters []event.Filter
	for _, r := range unsafe.Slice(p, n) {
		f := event.Filter{Type: event.Type(r.eventType)}
		if !f.Type.Valid() {
			a.fail(fmt.Errorf("event type %d: %w", r.eventType, peererr.ErrInvalidArg))
			return nil
		}
		if r.pType != nil {
			t := goGUID(r.pType)
			f.DataType = &t
		}
		filters = append(filters, f)
	}
	return filters
}

// eventUnion is where PEER_GROUP_EVENT_DATA's union starts.
const eventUnion = 8

func fillEvent(b *cbuf, e *event.Event) unsafe.Pointer {
	base := b.take(C.sizeof_PEER_GROUP_EVENT_DATA)
	p := (*C.PEER_GROUP_EVENT_DATA)(base)
	p.eventType = C.PEER_GROUP_EVENT_TYPE(e.Type)
	u := unsafe.Add(base, eventUnion)
	switch e.Type {
	case event.StatusChanged:
		*(*C.DWORD)(u) = C.DWORD(e.Status)
	case event.RecordChanged:
		r := (*C.PEER_EVENT_RECORD_CHANGE_DATA)(u)
		r.dwSize = C.sizeof_PEER_EVENT_RECORD_CHANGE_DATA
		r.changeType = C.PEER_RECORD_CHANGE_TYPE(e.Record.Change)
		putGUID(&r.recordId, e.Record.RecordID)
		putGUID(&r.recordType, e.Record.RecordType)
	case event.DirectConnection, event.NeighborConnection:
		c := (*C.PEER_EVENT_CONNECTION_CHANGE_DATA)(u)
		c.dwSize = C.sizeof_PEER_EVENT_CONNECTION_CHANGE_DATA
		c.status = C.PEER_CONNECTION_STATUS(e.Connection.Status)
		c.ullConnectionId = C.ULONGLONG(e.Connection.ConnectionID)
		c.ullNodeId = C.ULONGLONG(e.Connection.NodeID)
		c.ullNextConnectionId = C.ULONGLONG(e.Connection.NextConnectionID)
		c.hrConnectionFailedReason = C.HRESULT(int32(e.Connection.FailedReason))
	case event.IncomingData:
		d := (*C.PEER_EVENT_INCOMING_DATA)(u)
		d.dwSize = C.sizeof_PEER_EVENT_INCOMING_DATA
		d.ullConnectionId = C.ULONGLONG(e.Data.ConnectionID)
		putGUID(&d._type, e.Data.DataType)
		d.data.cbData = C.ULONG(len(e.Data.Data))
		d.data.pbData = (*C.BYTE)(b.bytes(e.Data.Data))
	case event.MemberChanged:
		m := (*C.PEER_EVENT_MEMBER_CHANGE_DATA)(u)
		m.dwSize = C.sizeof_PEER_EVENT_MEMBER_CHANGE_DATA
		m.changeType = C.PEER_MEMBER_CHANGE_TYPE(e.Member.Change)
		m.pwzIdentity = wp(b.optWstr(e.Member.Identity))
	case event.ConnectionFailed, event.AuthenticationFailed:
		*(*C.HRESULT)(u) = C.HRESULT(int32(e.Reason))
	}
	return base
}
