package main

/*
#cgo CFLAGS: -I${SRCDIR}
#include "p2p.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/core/wire"
	"p2p/handles"
)

// This file holds every exported function of p2p.h and nothing else: each
// one checks and converts its arguments, calls the core and converts the
// results. Out parameters are cleared first, so a bad out pointer is found
// before any work is done.

func hr(code uint32) C.HRESULT { return C.HRESULT(int32(code)) }

// cGUID drops the const of an LPCGUID argument, for reading.
func cGUID(p C.LPCGUID) *C.GUID { return (*C.GUID)(unsafe.Pointer(p)) }

// errNull is the error of a required pointer argument that is NULL.
func errNull(what string) error { return fmt.Errorf("%s is NULL: %w", what, peererr.ErrInvalidArg) }

// groupOf resolves an HGROUP.
func groupOf(h C.HGROUP) (*service.Group, error) {
	v, err := table.Get(uint64(uintptr(h)), handles.Group)
	if err != nil {
		return nil, err
	}
	return v.(*service.Group), nil
}

// returnString marshals s into *out.
func returnString(out *C.PWSTR, s string) error {
	p, err := marshalString(s)
	if err != nil {
		return err
	}
	*out = C.PWSTR(unsafe.Pointer(p))
	return nil
}

// returnEnum stores an enumeration handle into *out.
func returnEnum(out *C.HPEERENUM, h uint64, err error) error {
	if err != nil {
		return err
	}
	setHandle(unsafe.Pointer(out), h)
	return nil
}

// ---- Common calls ----

//export PeerFreeData
func PeerFreeData(pvData C.LPCVOID) {
	defer func() { recover() }()
	freeData(unsafe.Pointer(pvData))
}

//export PeerGetItemCount
func PeerGetItemCount(hPeerEnum C.HPEERENUM, pCount *C.ULONG) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if pCount == nil {
			return errNull("pCount")
		}
		*pCount = 0
		v, err := table.Get(uint64(uintptr(hPeerEnum)), handles.Enum)
		if err != nil {
			return err
		}
		*pCount = C.ULONG(v.(*enumeration).remaining())
		return nil
	}))
}

//export PeerGetNextItem
func PeerGetNextItem(hPeerEnum C.HPEERENUM, pCount *C.ULONG, pppvItems **C.PVOID) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if pCount == nil || pppvItems == nil {
			return errNull("pCount or pppvItems")
		}
		*pppvItems = nil
		want := int(*pCount)
		*pCount = 0
		v, err := table.Get(uint64(uintptr(hPeerEnum)), handles.Enum)
		if err != nil {
			return err
		}
		p, n, err := v.(*enumeration).take(want)
		if err != nil {
			return err
		}
		*pppvItems = (*C.PVOID)(p)
		*pCount = C.ULONG(n)
		return nil
	}))
}

//export PeerEndEnumeration
func PeerEndEnumeration(hPeerEnum C.HPEERENUM) C.HRESULT {
	return hr(call(func(*service.Service) error {
		_, err := table.Remove(uint64(uintptr(hPeerEnum)), handles.Enum)
		return err
	}))
}

// ---- Startup and shutdown ----

//export PeerGroupStartup
func PeerGroupStartup(wVersionRequested C.WORD, pVersionData C.PPEER_VERSION_DATA) C.HRESULT {
	return hr(guard(func() error {
		if pVersionData == nil {
			return errNull("pVersionData")
		}
		req := uint16(wVersionRequested)
		// MAKEWORD(major, minor): compare major (low byte), then minor.
		if req&0xFF < 1 {
			return fmt.Errorf("version %#x: %w", req, peererr.ErrUnsupportedVersion)
		}
		use := req
		if req&0xFF > versionHighest&0xFF || req&0xFF == versionHighest&0xFF && req>>8 > versionHighest>>8 {
			use = versionHighest
		}
		pVersionData.wVersion = C.WORD(use)
		pVersionData.wHighestVersion = C.WORD(versionHighest)
		return rt.startup()
	}))
}

//export PeerGroupShutdown
func PeerGroupShutdown() C.HRESULT {
	return hr(guard(rt.shutdown))
}

// ---- Group lifecycle ----

//export PeerGroupCreate
func PeerGroupCreate(pProperties C.PPEER_GROUP_PROPERTIES, phGroup *C.HGROUP) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		props, err := readProperties(pProperties)
		if err != nil {
			return err
		}
		g, err := svc.CreateGroup(props)
		if errors.Is(err, peererr.ErrClassifierTooLong) {
			// The PeerGroupCreate page documents PEER_E_INVALID_CLASSIFIER
			// for the classifier in pProperties ("PeerGroupCreate function
			// (p2p.h)"); PEER_E_CLASSIFIER_TOO_LONG is not among its codes.
			err = fmt.Errorf("%w: %w", peererr.ErrInvalidClassifier, err)
		}
		if err != nil {
			return err
		}
		return returnGroup(phGroup, g)
	}))
}

// returnGroup registers a new HGROUP for g.
func returnGroup(out *C.HGROUP, g *service.Group) error {
	h, err := table.New(handles.Group, g)
	if err != nil {
		g.Close()
		return err
	}
	setHandle(unsafe.Pointer(out), h)
	return nil
}

//export PeerGroupOpen
func PeerGroupOpen(pwzIdentity C.PCWSTR, pwzGroupPeerName C.PCWSTR, pwzCloud C.PCWSTR, phGroup *C.HGROUP) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		id, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		name, err := goString(u16(pwzGroupPeerName), maxName)
		if err != nil {
			return err
		}
		if _, err := optString(u16(pwzCloud), maxName); err != nil {
			return err
		}
		g, err := svc.OpenGroup(id, name)
		if err != nil {
			return err
		}
		return returnGroup(phGroup, g)
	}))
}

//export PeerGroupJoin
func PeerGroupJoin(pwzIdentity C.PCWSTR, pwzInvitation C.PCWSTR, pwzCloud C.PCWSTR, phGroup *C.HGROUP) C.HRESULT {
	var already bool
	code := call(func(svc *service.Service) error {
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		inv, err := goString(u16(pwzInvitation), maxDoc)
		if err != nil {
			return err
		}
		if _, err := optString(u16(pwzCloud), maxName); err != nil {
			return err
		}
		g, isMember, err := svc.JoinGroup(id, inv)
		if err != nil {
			return err
		}
		already = isMember
		return returnGroup(phGroup, g)
	})
	if code == peererr.SOK && already {
		code = peererr.SAlreadyAMember.HR
	}
	return hr(code)
}

//export PeerGroupPasswordJoin
func PeerGroupPasswordJoin(pwzIdentity C.PCWSTR, pwzInvitation C.PCWSTR, pwzPassword C.PCWSTR, pwzCloud C.PCWSTR, phGroup *C.HGROUP) C.HRESULT {
	var already bool
	code := call(func(svc *service.Service) error {
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		inv, err := goString(u16(pwzInvitation), maxDoc)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		if _, err := optString(u16(pwzCloud), maxName); err != nil {
			return err
		}
		g, isMember, err := svc.PasswordJoinGroup(id, inv, password)
		if err != nil {
			return err
		}
		already = isMember
		return returnGroup(phGroup, g)
	})
	if code == peererr.SOK && already {
		code = peererr.SAlreadyAMember.HR
	}
	return hr(code)
}

//export PeerGroupConnect
func PeerGroupConnect(hGroup C.HGROUP) C.HRESULT {
	return hr(connect(hGroup, nil))
}

//export PeerGroupConnectByAddress
func PeerGroupConnectByAddress(hGroup C.HGROUP, cAddresses C.ULONG, pAddresses C.PPEER_ADDRESS) C.HRESULT {
	var addrs []netip.AddrPort
	code := guard(func() error {
		if cAddresses == 0 || cAddresses > maxConnectAddresses || pAddresses == nil {
			return fmt.Errorf("%d addresses: %w", cAddresses, peererr.ErrInvalidArg)
		}
		for _, a := range unsafe.Slice(pAddresses, int(cAddresses)) {
			ap, err := readAddress(&a)
			if err != nil {
				return err
			}
			addrs = append(addrs, ap)
		}
		return nil
	})
	if code != peererr.SOK {
		if _, err := rt.service(); err != nil {
			return hr(peererr.HResult(err))
		}
		return hr(code)
	}
	return hr(connect(hGroup, addrs))
}

// maxConnectAddresses bounds one PeerGroupConnectByAddress call.
const maxConnectAddresses = 32

// connect takes a group online; PEER_S_ALREADY_CONNECTED if it was.
func connect(hGroup C.HGROUP, addrs []netip.AddrPort) uint32 {
	already := false
	code := call(func(svc *service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		already, err = g.Connect(addrs)
		return err
	})
	if code == peererr.SOK && already {
		code = peererr.SAlreadyConnected.HR
	}
	return code
}

//export PeerGroupClose
func PeerGroupClose(hGroup C.HGROUP) C.HRESULT {
	return hr(call(func(*service.Service) error {
		v, err := table.Remove(uint64(uintptr(hGroup)), handles.Group)
		if err != nil {
			return err
		}
		return v.(*service.Group).Close()
	}))
}

//export PeerGroupDelete
func PeerGroupDelete(pwzIdentity C.PCWSTR, pwzGroupPeerName C.PCWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		name, err := goString(u16(pwzGroupPeerName), maxName)
		if err != nil {
			return err
		}
		return svc.DeleteGroup(id, name)
	}))
}

//export PeerGroupGetStatus
func PeerGroupGetStatus(hGroup C.HGROUP, pdwStatus *C.DWORD) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if pdwStatus == nil {
			return errNull("pdwStatus")
		}
		*pdwStatus = 0
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		*pdwStatus = C.DWORD(g.Status())
		return nil
	}))
}

//export PeerGroupGetProperties
func PeerGroupGetProperties(hGroup C.HGROUP, ppProperties *C.PPEER_GROUP_PROPERTIES) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if ppProperties == nil {
			return errNull("ppProperties")
		}
		*ppProperties = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if g.Closed() {
			return peererr.ErrInvalidGroup
		}
		props, err := g.Properties()
		if err != nil {
			return err
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillProperties(b, &props) })
		if err != nil {
			return err
		}
		*ppProperties = C.PPEER_GROUP_PROPERTIES(p)
		return nil
	}))
}

//export PeerGroupSetProperties
func PeerGroupSetProperties(hGroup C.HGROUP, pProperties C.PPEER_GROUP_PROPERTIES) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		props, err := readProperties(pProperties)
		if err != nil {
			return err
		}
		return g.SetProperties(props)
	}))
}

//export PeerGroupPeerTimeToUniversalTime
func PeerGroupPeerTimeToUniversalTime(hGroup C.HGROUP, pftPeerTime *C.FILETIME, pftUniversalTime *C.FILETIME) C.HRESULT {
	return hr(call(func(*service.Service) error {
		return convertTime(hGroup, pftPeerTime, pftUniversalTime, (*service.Group).PeerTimeToUniversal)
	}))
}

//export PeerGroupUniversalTimeToPeerTime
func PeerGroupUniversalTimeToPeerTime(hGroup C.HGROUP, pftUniversalTime *C.FILETIME, pftPeerTime *C.FILETIME) C.HRESULT {
	return hr(call(func(*service.Service) error {
		return convertTime(hGroup, pftUniversalTime, pftPeerTime, (*service.Group).UniversalToPeerTime)
	}))
}

func convertTime(hGroup C.HGROUP, in, out *C.FILETIME, conv func(*service.Group, filetime.FILETIME) (filetime.FILETIME, error)) error {
	if in == nil || out == nil {
		return errNull("FILETIME")
	}
	g, err := groupOf(hGroup)
	if err != nil {
		return err
	}
	t, err := conv(g, goFiletime(in))
	if err != nil {
		return err
	}
	putFiletime(out, t)
	return nil
}

// ---- Invitations and credentials ----

//export PeerGroupCreateInvitation
func PeerGroupCreateInvitation(hGroup C.HGROUP, pwzIdentityInfo C.PCWSTR, pftExpiration *C.FILETIME, cRoles C.ULONG, pRoles C.LPCGUID, ppwzInvitation *C.PWSTR) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if ppwzInvitation == nil {
			return errNull("ppwzInvitation")
		}
		*ppwzInvitation = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		info, err := goString(u16(pwzIdentityInfo), maxDoc)
		if err != nil {
			return err
		}
		roles, err := readRoles(cGUID(pRoles), uint32(cRoles))
		if err != nil {
			return err
		}
		var exp filetime.FILETIME
		if pftExpiration != nil {
			if exp = goFiletime(pftExpiration); exp == 0 {
				return fmt.Errorf("expiration 0: %w", peererr.ErrInvalidArg)
			}
		}
		xml, err := g.CreateInvitation(info, exp, roles)
		if err != nil {
			return err
		}
		return returnString(ppwzInvitation, xml)
	}))
}

//export PeerGroupCreatePasswordInvitation
func PeerGroupCreatePasswordInvitation(hGroup C.HGROUP, ppwzInvitation *C.PWSTR) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if ppwzInvitation == nil {
			return errNull("ppwzInvitation")
		}
		*ppwzInvitation = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		xml, err := g.CreatePasswordInvitation()
		if err != nil {
			return err
		}
		return returnString(ppwzInvitation, xml)
	}))
}

//export PeerGroupResumePasswordAuthentication
func PeerGroupResumePasswordAuthentication(hGroup C.HGROUP, hPeerEventHandle C.HPEEREVENT) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if _, err := eventOf(hPeerEventHandle, false); err != nil {
			return err
		}
		return g.ResumePasswordAuthentication()
	}))
}

//export PeerGroupParseInvitation
func PeerGroupParseInvitation(pwzInvitation C.PCWSTR, ppInvitationInfo *C.PPEER_INVITATION_INFO) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if ppInvitationInfo == nil {
			return errNull("ppInvitationInfo")
		}
		*ppInvitationInfo = nil
		doc, err := goString(u16(pwzInvitation), maxDoc)
		if err != nil {
			return err
		}
		inv, err := invitation.Parse(doc)
		if err != nil {
			return err
		}
		// An out-of-date invitation still parses; an altered one does not.
		if err := inv.Verify(filetime.Now()); err != nil && !errors.Is(err, peererr.ErrInvalidTimePeriod) {
			return err
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillInvitationInfo(b, inv) })
		if err != nil {
			return err
		}
		*ppInvitationInfo = C.PPEER_INVITATION_INFO(p)
		return nil
	}))
}

//export PeerGroupIssueCredentials
func PeerGroupIssueCredentials(hGroup C.HGROUP, pwzSubjectIdentity C.PCWSTR, pCredentialInfo *C.PEER_CREDENTIAL_INFO, dwFlags C.DWORD, ppwzInvitation *C.PWSTR) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if ppwzInvitation != nil {
			*ppwzInvitation = nil
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		subject, err := goString(u16(pwzSubjectIdentity), maxName)
		if err != nil {
			return err
		}
		info, err := readCredentialInfo(pCredentialInfo)
		if err != nil {
			return err
		}
		xml, err := g.IssueCredentials(subject, info, uint32(dwFlags))
		if err != nil {
			return err
		}
		if ppwzInvitation == nil {
			return nil
		}
		return returnString(ppwzInvitation, xml)
	}))
}

//export PeerGroupExportConfig
func PeerGroupExportConfig(hGroup C.HGROUP, pwzPassword C.PCWSTR, ppwzXML *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzXML == nil {
			return errNull("ppwzXML")
		}
		*ppwzXML = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		xml, err := svc.ExportConfig(g, password)
		if err != nil {
			return err
		}
		return returnString(ppwzXML, xml)
	}))
}

//export PeerGroupImportConfig
func PeerGroupImportConfig(pwzXML C.PCWSTR, pwzPassword C.PCWSTR, fOverwrite C.WINBOOL, ppwzIdentity *C.PWSTR, ppwzGroup *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzIdentity == nil || ppwzGroup == nil {
			return errNull("ppwzIdentity or ppwzGroup")
		}
		*ppwzIdentity, *ppwzGroup = nil, nil
		doc, err := goString(u16(pwzXML), maxDoc)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		id, grp, err := svc.ImportConfig(doc, password, fOverwrite != 0)
		if err != nil {
			return err
		}
		if err := returnString(ppwzIdentity, id); err != nil {
			return err
		}
		if err := returnString(ppwzGroup, grp); err != nil {
			freeData(unsafe.Pointer(*ppwzIdentity))
			*ppwzIdentity = nil
			return err
		}
		return nil
	}))
}

// ---- Members and connections ----

//export PeerGroupEnumMembers
func PeerGroupEnumMembers(hGroup C.HGROUP, dwFlags C.DWORD, pwzIdentity C.PCWSTR, phPeerEnum *C.HPEERENUM) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		members, err := g.Members(uint32(dwFlags), id)
		if err != nil {
			return err
		}
		h, err := sliceEnum(members, func(b *cbuf, m group.Member) unsafe.Pointer { return fillMember(b, &m) })
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupOpenDirectConnection
func PeerGroupOpenDirectConnection(hGroup C.HGROUP, pwzIdentity C.PCWSTR, pAddress C.PPEER_ADDRESS, pullConnectionId *C.ULONGLONG) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if pullConnectionId == nil {
			return errNull("pullConnectionId")
		}
		*pullConnectionId = 0
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		peer, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		var addr netip.AddrPort
		if pAddress != nil {
			if addr, err = readAddress(pAddress); err != nil {
				return err
			}
		}
		id, err := g.OpenDirectConnection(peer, addr)
		if err != nil {
			return err
		}
		*pullConnectionId = C.ULONGLONG(id)
		return nil
	}))
}

//export PeerGroupCloseDirectConnection
func PeerGroupCloseDirectConnection(hGroup C.HGROUP, ullConnectionId C.ULONGLONG) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		return g.CloseDirectConnection(uint64(ullConnectionId))
	}))
}

//export PeerGroupEnumConnections
func PeerGroupEnumConnections(hGroup C.HGROUP, dwFlags C.DWORD, phPeerEnum *C.HPEERENUM) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		conns, err := g.Connections(uint32(dwFlags))
		if err != nil {
			return err
		}
		h, err := sliceEnum(conns, fillConnection)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupSendData
func PeerGroupSendData(hGroup C.HGROUP, ullConnectionId C.ULONGLONG, pType C.LPCGUID, cbData C.ULONG, pvData C.PVOID) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if pType == nil {
			return errNull("pType")
		}
		data, err := goBytes(unsafe.Pointer(pvData), uint32(cbData), wire.MaxData, peererr.ErrInvalidArg)
		if err != nil {
			return err
		}
		return g.SendData(uint64(ullConnectionId), goGUID(cGUID(pType)), data)
	}))
}

// ---- Events ----

// maxRegistrations bounds one PeerGroupRegisterEvent call.
const maxRegistrations = 64

//export PeerGroupRegisterEvent
func PeerGroupRegisterEvent(hGroup C.HGROUP, hEvent C.HANDLE, cEventRegistration C.DWORD, pEventRegistrations *C.PEER_GROUP_EVENT_REGISTRATION, phPeerEvent *C.HPEEREVENT) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if phPeerEvent == nil {
			return errNull("phPeerEvent")
		}
		setHandle(unsafe.Pointer(phPeerEvent), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if g.Closed() {
			return peererr.ErrInvalidGroup
		}
		n := int(cEventRegistration)
		if n == 0 || n > maxRegistrations || pEventRegistrations == nil {
			return fmt.Errorf("%d event registrations: %w", n, peererr.ErrInvalidArg)
		}
		var filters []event.Filter
		for _, r := range unsafe.Slice(pEventRegistrations, n) {
			f := event.Filter{Type: event.Type(r.eventType)}
			if !f.Type.Valid() {
				return fmt.Errorf("event type %d: %w", r.eventType, peererr.ErrInvalidArg)
			}
			if r.pType != nil {
				t := goGUID(r.pType)
				f.DataType = &t
			}
			filters = append(filters, f)
		}
		sig, err := event.NewHandleSignaler(uintptr(unsafe.Pointer(hEvent)))
		if err != nil {
			return err
		}
		sub, err := g.Subscribe(filters, sig)
		if err != nil {
			return err
		}
		h, err := table.New(handles.Event, sub)
		if err != nil {
			sub.Close()
			return err
		}
		setHandle(unsafe.Pointer(phPeerEvent), h)
		return nil
	}))
}

// eventOf resolves an HPEEREVENT; an unknown one is
// PEER_E_EVENT_HANDLE_NOT_FOUND, as the API documents.
func eventOf(h C.HPEEREVENT, remove bool) (*service.Registration, error) {
	get := table.Get
	if remove {
		get = table.Remove
	}
	v, err := get(uint64(uintptr(h)), handles.Event)
	if err != nil {
		return nil, fmt.Errorf("event handle: %w", peererr.ErrEventHandleNotFound)
	}
	return v.(*service.Registration), nil
}

//export PeerGroupUnregisterEvent
func PeerGroupUnregisterEvent(hPeerEvent C.HPEEREVENT) C.HRESULT {
	return hr(call(func(*service.Service) error {
		sub, err := eventOf(hPeerEvent, true)
		if err != nil {
			return err
		}
		sub.Close()
		return nil
	}))
}

//export PeerGroupGetEventData
func PeerGroupGetEventData(hPeerEvent C.HPEEREVENT, ppEventData *C.PPEER_GROUP_EVENT_DATA) C.HRESULT {
	noData := false
	code := call(func(*service.Service) error {
		if ppEventData == nil {
			return errNull("ppEventData")
		}
		*ppEventData = nil
		sub, err := eventOf(hPeerEvent, false)
		if err != nil {
			return err
		}
		e, ok := sub.Next()
		if !ok {
			noData = true
			return nil
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillEvent(b, &e) })
		if err != nil {
			return err
		}
		*ppEventData = C.PPEER_GROUP_EVENT_DATA(p)
		return nil
	})
	if code == peererr.SOK && noData {
		code = peererr.SNoEventData.HR
	}
	return hr(code)
}

// ---- Records ----

//export PeerGroupAddRecord
func PeerGroupAddRecord(hGroup C.HGROUP, pRecord C.PPEER_RECORD, pRecordId *C.GUID) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if pRecordId == nil {
			return errNull("pRecordId")
		}
		putGUID(pRecordId, uuid.Nil)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		n, err := readNewRecord(pRecord)
		if err != nil {
			return err
		}
		id, err := g.AddRecord(n)
		if err != nil {
			return err
		}
		putGUID(pRecordId, id)
		return nil
	}))
}

//export PeerGroupUpdateRecord
func PeerGroupUpdateRecord(hGroup C.HGROUP, pRecord C.PPEER_RECORD) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		n, err := readNewRecord(pRecord)
		if err != nil {
			return err
		}
		return g.UpdateRecord(n)
	}))
}

//export PeerGroupDeleteRecord
func PeerGroupDeleteRecord(hGroup C.HGROUP, pRecordId C.LPCGUID) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if pRecordId == nil {
			return errNull("pRecordId")
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		return g.DeleteRecord(goGUID(cGUID(pRecordId)))
	}))
}

//export PeerGroupGetRecord
func PeerGroupGetRecord(hGroup C.HGROUP, pRecordId C.LPCGUID, ppRecord *C.PPEER_RECORD) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if pRecordId == nil || ppRecord == nil {
			return errNull("pRecordId or ppRecord")
		}
		*ppRecord = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		r, err := g.GetRecord(goGUID(cGUID(pRecordId)))
		if err != nil {
			return err
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillRecord(b, r) })
		if err != nil {
			return err
		}
		*ppRecord = C.PPEER_RECORD(p)
		return nil
	}))
}

// recordEnum enumerates records by id, reading each when it is taken.
func recordEnum(g *service.Group, ids []uuid.UUID) (uint64, error) {
	return newEnum(len(ids), func(i int) (filler, bool) {
		r, err := g.GetRecord(ids[i])
		if err != nil {
			return nil, false
		}
		return func(b *cbuf) unsafe.Pointer { return fillRecord(b, r) }, true
	})
}

//export PeerGroupEnumRecords
func PeerGroupEnumRecords(hGroup C.HGROUP, pRecordType C.LPCGUID, phPeerEnum *C.HPEERENUM) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		var typ *uuid.UUID
		if pRecordType != nil {
			t := goGUID(cGUID(pRecordType))
			typ = &t
		}
		ids, err := g.RecordIDs(typ)
		if err != nil {
			return err
		}
		h, err := recordEnum(g, ids)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupSearchRecords
func PeerGroupSearchRecords(hGroup C.HGROUP, pwzCriteria C.PCWSTR, phPeerEnum *C.HPEERENUM) C.HRESULT {
	return hr(call(func(*service.Service) error {
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		criteria, err := goString(u16(pwzCriteria), maxDoc)
		if err != nil {
			return err
		}
		ids, err := g.SearchRecords(criteria)
		if err != nil {
			return err
		}
		h, err := recordEnum(g, ids)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupExportDatabase
func PeerGroupExportDatabase(hGroup C.HGROUP, pwzFilePath C.PCWSTR) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		path, err := goString(u16(pwzFilePath), maxName)
		if err != nil {
			return err
		}
		return g.ExportDatabase(path)
	}))
}

//export PeerGroupImportDatabase
func PeerGroupImportDatabase(hGroup C.HGROUP, pwzFilePath C.PCWSTR) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		path, err := goString(u16(pwzFilePath), maxName)
		if err != nil {
			return err
		}
		return g.ImportDatabase(path)
	}))
}

// ---- Identity Manager ----

//export PeerIdentityCreate
func PeerIdentityCreate(pwzClassifier C.PCWSTR, pwzFriendlyName C.PCWSTR, hCryptProv C.HCRYPTPROV, ppwzIdentity *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzIdentity == nil {
			return errNull("ppwzIdentity")
		}
		*ppwzIdentity = nil
		if hCryptProv != 0 {
			return fmt.Errorf("identities are Ed25519 keys; CryptoAPI providers are not used: %w", peererr.ErrNotImpl)
		}
		classifier, err := optString(u16(pwzClassifier), maxName)
		if err != nil {
			return err
		}
		friendly, err := optString(u16(pwzFriendlyName), maxName)
		if err != nil {
			return err
		}
		id, err := svc.Identities().Create(classifier, friendly)
		if err != nil {
			return err
		}
		return returnString(ppwzIdentity, id.PeerName)
	}))
}

//export PeerIdentityGetFriendlyName
func PeerIdentityGetFriendlyName(pwzIdentity C.PCWSTR, ppwzFriendlyName *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzFriendlyName == nil {
			return errNull("ppwzFriendlyName")
		}
		*ppwzFriendlyName = nil
		id, err := identityArg(svc, pwzIdentity)
		if err != nil {
			return err
		}
		return returnString(ppwzFriendlyName, id.FriendlyName)
	}))
}

// identityArg resolves a required identity peer name argument.
func identityArg(svc *service.Service, p C.PCWSTR) (*identity.Identity, error) {
	name, err := goString(u16(p), maxName)
	if err != nil {
		return nil, err
	}
	return svc.Identities().Get(name)
}

//export PeerIdentitySetFriendlyName
func PeerIdentitySetFriendlyName(pwzIdentity C.PCWSTR, pwzFriendlyName C.PCWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		// "Specify NULL or an empty string to reset a friendly name to the
		// default value" (PeerIdentitySetFriendlyName function, p2p.h).
		friendly, err := optString(u16(pwzFriendlyName), maxName)
		if err != nil {
			return err
		}
		return svc.Identities().SetFriendlyName(name, friendly)
	}))
}

//export PeerIdentityGetCryptKey
func PeerIdentityGetCryptKey(pwzIdentity C.PCWSTR, phCryptProv *C.HCRYPTPROV) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if phCryptProv == nil {
			return errNull("phCryptProv")
		}
		*phCryptProv = 0
		if _, err := identityArg(svc, pwzIdentity); err != nil {
			return err
		}
		return fmt.Errorf("identity keys are Ed25519, not CryptoAPI keys: %w", peererr.ErrNotImpl)
	}))
}

//export PeerIdentityDelete
func PeerIdentityDelete(pwzIdentity C.PCWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		return svc.DeleteIdentity(name)
	}))
}

//export PeerEnumIdentities
func PeerEnumIdentities(phPeerEnum *C.HPEERENUM) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		ids, err := svc.Identities().List()
		if err != nil {
			return err
		}
		pairs := make([]service.NamePair, len(ids))
		for i, id := range ids {
			pairs[i] = service.NamePair{PeerName: id.PeerName, FriendlyName: id.FriendlyName}
		}
		h, err := sliceEnum(pairs, fillNamePair)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerEnumGroups
func PeerEnumGroups(pwzIdentity C.PCWSTR, phPeerEnum *C.HPEERENUM) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		groups, err := svc.Groups(name)
		if err != nil {
			return err
		}
		h, err := sliceEnum(groups, fillNamePair)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerCreatePeerName
func PeerCreatePeerName(pwzIdentity C.PCWSTR, pwzClassifier C.PCWSTR, ppwzPeerName *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzPeerName == nil {
			return errNull("ppwzPeerName")
		}
		*ppwzPeerName = nil
		if pwzIdentity == nil && pwzClassifier == nil {
			return errNull("both pwzIdentity and pwzClassifier")
		}
		classifier, err := optString(u16(pwzClassifier), maxName)
		if err != nil {
			return err
		}
		var name string
		if pwzIdentity == nil {
			name, err = svc.CreateUnsecuredPeerName(classifier)
		} else {
			var idName string
			if idName, err = goString(u16(pwzIdentity), maxName); err != nil {
				return err
			}
			name, err = svc.CreatePeerName(idName, classifier, pwzClassifier == nil)
		}
		if err != nil {
			return err
		}
		return returnString(ppwzPeerName, name)
	}))
}

//export PeerIdentityGetXML
func PeerIdentityGetXML(pwzIdentity C.PCWSTR, ppwzIdentityXML *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzIdentityXML == nil {
			return errNull("ppwzIdentityXML")
		}
		*ppwzIdentityXML = nil
		name, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		var id *identity.Identity
		if name == "" {
			id, err = svc.Identities().Default()
		} else {
			id, err = svc.Identities().Get(name)
		}
		if err != nil {
			return err
		}
		return returnString(ppwzIdentityXML, id.XML())
	}))
}

//export PeerIdentityExport
func PeerIdentityExport(pwzIdentity C.PCWSTR, pwzPassword C.PCWSTR, ppwzExportXML *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzExportXML == nil {
			return errNull("ppwzExportXML")
		}
		*ppwzExportXML = nil
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		xml, err := svc.Identities().Export(name, password)
		if err != nil {
			return err
		}
		return returnString(ppwzExportXML, xml)
	}))
}

//export PeerIdentityImport
func PeerIdentityImport(pwzImportXML C.PCWSTR, pwzPassword C.PCWSTR, ppwzIdentity *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzIdentity == nil {
			return errNull("ppwzIdentity")
		}
		*ppwzIdentity = nil
		doc, err := goString(u16(pwzImportXML), maxDoc)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		id, err := svc.Identities().Import(doc, password)
		if err != nil {
			return err
		}
		return returnString(ppwzIdentity, id.PeerName)
	}))
}

//export PeerIdentityGetDefault
func PeerIdentityGetDefault(ppwzPeerName *C.PWSTR) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		if ppwzPeerName == nil {
			return errNull("ppwzPeerName")
		}
		*ppwzPeerName = nil
		id, err := svc.Identities().Default()
		if err != nil {
			return err
		}
		return returnString(ppwzPeerName, id.PeerName)
	}))
}
